import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serviceView } from '../../src/api/views/service.view';
import type { ServiceRecord } from '../../src/objects/service.object';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
const KEYS_21 = ['binary', 'disabled_reason', 'host', 'id', 'state', 'status', 'updated_at', 'zone'];

interface Service {
  id: number;
  binary: string;
  host: string;
  zone: string;
  status: string;
  state: string;
  updated_at: string | null;
  disabled_reason: string | null;
}

const record: ServiceRecord = {
  id: 7, uuid: '6f0b4c6e-2f6b-4d3e-9a55-2f1c1b7f2a10', host: 'h1', binary: 'nova-compute', topic: 'compute', report_count: 3,
  disabled: true, disabled_reason: 'maintenance', forced_down: true, version: 1,
  last_seen_up: '2024-05-01T10:00:00.000Z', created_at: '2024-05-01T09:00:00.000Z', updated_at: '2024-05-01T10:00:01.000Z',
};

describe('os-services view per microversion', () => {
  it('2.1: integer id, no forced_down; timestamps with microseconds and no zone', () => {
    const v = serviceView({ major: 2, minor: 1 }, { service: record, zone: 'az1', up: false });
    assert.deepEqual(v, {
      id: 7, binary: 'nova-compute', host: 'h1', zone: 'az1', status: 'disabled', state: 'down',
      updated_at: '2024-05-01T10:00:01.000000', disabled_reason: 'maintenance',
    });
  });

  it('2.11 adds forced_down; 2.53 uses the uuid as id', () => {
    const v211 = serviceView({ major: 2, minor: 11 }, { service: record, zone: 'nova', up: true });
    assert.equal(v211.forced_down, true);
    assert.equal(v211.id, 7);
    assert.equal(v211.state, 'up');
    const v253 = serviceView({ major: 2, minor: 53 }, { service: { ...record, disabled: false, disabled_reason: null }, zone: 'nova', up: true });
    assert.equal(v253.id, record.uuid);
    assert.equal(v253.status, 'enabled');
    assert.equal(v253.disabled_reason, null);
  });
});

for (const backend of BACKENDS) {
  describe(`os-services (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend);
      await cloud.waitForCompute();
    });
    after(async () => cloud?.stop());

    async function services(query = ''): Promise<Service[]> {
      const r = await cloud.request('GET', `/v2.1/os-services${query}`);
      assert.equal(r.status, 200, r.text);
      return r.body.services;
    }
    const compute = async () => (await services('?binary=nova-compute')).find((s) => s.host === 'functest')!;

    it('lists the RPC services of the host with their zone, state and status (2.1 keys)', async () => {
      const all = await services();
      const binaries = all.map((s) => s.binary);
      for (const b of ['nova-compute', 'nova-scheduler', 'nova-conductor']) assert.ok(binaries.includes(b), `${b} listed: ${binaries}`);
      for (const b of ['nova-api', 'nova-osapi_compute', 'nova-metadata']) assert.ok(!binaries.includes(b), `${b} hidden`);
      for (const s of all) {
        assert.deepEqual(Object.keys(s).sort(), KEYS_21);
        assert.equal(typeof s.id, 'number');
        assert.equal(s.host, 'functest');
        assert.equal(s.zone, s.binary === 'nova-compute' ? 'nova' : 'internal');
        assert.equal(s.status, 'enabled');
        assert.equal(s.state, 'up');
        assert.equal(s.disabled_reason, null);
        // null until the service's first heartbeat
        if (s.updated_at !== null || s.binary === 'nova-conductor') assert.match(s.updated_at ?? '', MICRO);
      }
    });

    it('filters by host and binary; empty values do not filter', async () => {
      const one = await services('?host=functest&binary=nova-compute');
      assert.deepEqual(one.map((s) => s.binary), ['nova-compute']);
      assert.deepEqual(await services('?host=nosuchhost'), []);
      assert.deepEqual(await services('?binary=nova-nothing'), []);
      assert.equal((await services('?host=&binary=')).length, (await services()).length);
    });

    it('non-admins are refused every call with the policy name', async () => {
      const token = 'alice:p1';
      const list = await cloud.request('GET', '/v2.1/os-services', { token });
      assert.equal(list.status, 403);
      assert.deepEqual(list.body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-services:list to be performed." } });
      const upd = await cloud.request('PUT', '/v2.1/os-services/disable', { token, body: { host: 'functest', binary: 'nova-compute' } });
      assert.equal(upd.status, 403);
      assert.equal(upd.body.forbidden.message, "Policy doesn't allow os_compute_api:os-services:update to be performed.");
      const del = await cloud.request('DELETE', '/v2.1/os-services/1', { token });
      assert.equal(del.status, 403);
      assert.equal(del.body.forbidden.message, "Policy doesn't allow os_compute_api:os-services:delete to be performed.");
      // An admin role in another project is admin everywhere.
      const viaRole = await cloud.request('GET', '/v2.1/os-services', { token: 'bob:p2', headers: { 'X-Roles': 'admin' } });
      assert.equal(viaRole.status, 200);
      const asMember = await cloud.request('GET', '/v2.1/os-services', { headers: { 'X-Roles': 'member,reader' } });
      assert.equal(asMember.status, 403, 'X-Roles narrows the admin user to member');
    });

    it('disable with a reason shows in the list and makes the zone unavailable; enable clears it', async () => {
      const dis = await cloud.request('PUT', '/v2.1/os-services/disable-log-reason', {
        body: { host: 'functest', binary: 'nova-compute', disabled_reason: 'hardware swap' },
      });
      assert.equal(dis.status, 200);
      assert.deepEqual(dis.body, { service: { host: 'functest', binary: 'nova-compute', status: 'disabled', disabled_reason: 'hardware swap' } });
      const c = await compute();
      assert.equal(c.status, 'disabled');
      assert.equal(c.disabled_reason, 'hardware swap');
      assert.equal(c.state, 'up', 'disabling does not stop the heartbeat');

      const azs = await cloud.request('GET', '/v2.1/os-availability-zone');
      assert.deepEqual(azs.body, { availabilityZoneInfo: [{ zoneName: 'nova', zoneState: { available: false }, hosts: null }] });

      const en = await cloud.request('PUT', '/v2.1/os-services/enable', { body: { host: 'functest', binary: 'nova-compute' } });
      assert.equal(en.status, 200);
      assert.deepEqual(en.body, { service: { host: 'functest', binary: 'nova-compute', status: 'enabled' } });
      const after = await compute();
      assert.equal(after.status, 'enabled');
      assert.equal(after.disabled_reason, null);
      const azs2 = await cloud.request('GET', '/v2.1/os-availability-zone');
      assert.deepEqual(azs2.body.availabilityZoneInfo, [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }]);
    });

    it('plain disable sets no reason and answers without one', async () => {
      const dis = await cloud.request('PUT', '/v2.1/os-services/disable', { body: { host: 'functest', binary: 'nova-compute' } });
      assert.equal(dis.status, 200);
      assert.deepEqual(dis.body, { service: { host: 'functest', binary: 'nova-compute', status: 'disabled' } });
      const c = await compute();
      assert.equal(c.status, 'disabled');
      assert.equal(c.disabled_reason, null);
      await cloud.request('PUT', '/v2.1/os-services/enable', { body: { host: 'functest', binary: 'nova-compute' } });
      assert.equal((await compute()).status, 'enabled');
    });

    it('update errors: Nova messages and statuses', async () => {
      const cases: Array<[string, unknown, number, string, string]> = [
        ['disable-log-reason', { host: 'functest', binary: 'nova-compute' }, 400, 'badRequest', 'Missing disabled reason field'],
        ['shutdown', { host: 'functest', binary: 'nova-compute' }, 404, 'itemNotFound', 'Unknown action'],
        // force-down arrives with 2.11
        ['force-down', { host: 'functest', binary: 'nova-compute' }, 404, 'itemNotFound', 'Unknown action'],
        ['disable', { host: 'functest', binary: 'nova-scheduler' }, 400, 'badRequest',
          'Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.'],
        ['disable', { host: 'nosuchhost', binary: 'nova-compute' }, 404, 'itemNotFound', "Host 'nosuchhost' is not mapped to any cell"],
        ['disable', { binary: 'nova-compute' }, 400, 'badRequest', "'host' is a required property"],
        ['disable', { host: 'functest' }, 400, 'badRequest', "'binary' is a required property"],
        ['disable', { host: 'functest', binary: 'nova-compute', forced_down: true }, 400, 'badRequest',
          "Additional properties are not allowed ('forced_down' was unexpected)"],
        ['disable', { host: 'functest', binary: 'nova-compute', disabled_reason: 12 }, 400, 'badRequest',
          "Invalid input for field/attribute disabled_reason. Value: 12. 12 is not of type 'string'"],
      ];
      for (const [action, body, status, fault, message] of cases) {
        const r = await cloud.request('PUT', `/v2.1/os-services/${action}`, { body });
        assert.equal(r.status, status, `${action} ${JSON.stringify(body)}: ${r.text}`);
        assert.deepEqual(r.body, { [fault]: { code: status, message } }, `${action} ${JSON.stringify(body)}`);
      }
      const badHost = await cloud.request('PUT', '/v2.1/os-services/disable', { body: { host: 'bad host', binary: 'nova-compute' } });
      assert.equal(badHost.status, 400);
      assert.match(badHost.body.badRequest.message, /^Invalid input for field\/attribute host\. Value: bad host\. 'bad host' does not match '\^\[a-zA-Z0-9-\._\]\*\$'$/);
      const noBody = await cloud.request('PUT', '/v2.1/os-services/disable', { rawBody: '', headers: { 'Content-Type': 'application/json' } });
      assert.equal(noBody.status, 400);
      assert.equal(noBody.body.badRequest.message, "None is not of type 'object'");
      assert.equal((await compute()).status, 'enabled', 'no failed call changed the service');
    });

    it('delete: 400 for a non-integer id, 404 for an unknown one, 204 then gone', async () => {
      const bad = await cloud.request('DELETE', '/v2.1/os-services/abc');
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body, { badRequest: { code: 400, message: 'Invalid input received: id must be an integer' } });
      const missing = await cloud.request('DELETE', '/v2.1/os-services/987654');
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { itemNotFound: { code: 404, message: 'Service 987654 not found.' } });

      const sched = (await services('?binary=nova-scheduler'))[0];
      const del = await cloud.request('DELETE', `/v2.1/os-services/${sched.id}`);
      assert.equal(del.status, 204);
      assert.equal(del.text, '');
      assert.deepEqual(await services('?binary=nova-scheduler'), []);
      const again = await cloud.request('DELETE', `/v2.1/os-services/${sched.id}`);
      assert.equal(again.status, 404);
      assert.equal(again.body.itemNotFound.message, `Service ${sched.id} not found.`);
    });

    it("a compute host's zone comes from its aggregates; deleting the compute service takes it out of them", async () => {
      const agg = await cloud.request('POST', '/v2.1/os-aggregates', { body: { aggregate: { name: 'svc-agg', availability_zone: 'svc-az' } } });
      assert.equal(agg.status, 200, agg.text);
      const id = agg.body.aggregate.id;
      const add = await cloud.request('POST', `/v2.1/os-aggregates/${id}/action`, { body: { add_host: { host: 'functest' } } });
      assert.equal(add.status, 200, add.text);
      const c = await compute();
      assert.equal(c.zone, 'svc-az');
      assert.ok((await services('?binary=nova-conductor')).every((s) => s.zone === 'internal'), 'other services stay internal');

      const del = await cloud.request('DELETE', `/v2.1/os-services/${c.id}`);
      assert.equal(del.status, 204, del.text);
      assert.deepEqual(await services('?binary=nova-compute'), []);
      const shown = await cloud.request('GET', `/v2.1/os-aggregates/${id}`);
      assert.deepEqual(shown.body.aggregate.hosts, []);
      const azs = await cloud.request('GET', '/v2.1/os-availability-zone');
      assert.deepEqual(azs.body.availabilityZoneInfo, [], 'no compute service is left in any zone');
      const upd = await cloud.request('PUT', '/v2.1/os-services/enable', { body: { host: 'functest', binary: 'nova-compute' } });
      assert.equal(upd.status, 404);
      assert.equal(upd.body.itemNotFound.message, "Host 'functest' is not mapped to any cell");
    });
  });
}
