import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

interface ZoneInfo {
  zoneName: string;
  zoneState: { available: boolean };
  hosts: Record<string, Record<string, { available: boolean; active: boolean; updated_at: string | null }>> | null;
}

for (const backend of BACKENDS) {
  describe(`os-availability-zone (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      // A non-default internal zone name must be honoured (and hidden) everywhere.
      cloud = await startCloud(backend, '[DEFAULT]\ninternal_service_availability_zone = backstage\n');
      await cloud.waitForCompute();
    });
    after(async () => cloud?.stop());

    const zones = async (path = '', token?: string): Promise<ZoneInfo[]> => {
      const r = await cloud.request('GET', `/v2.1/os-availability-zone${path}`, { token });
      assert.equal(r.status, 200, r.text);
      return r.body.availabilityZoneInfo;
    };

    it('anyone may list zones; the internal zone is hidden and hosts are null', async () => {
      const expected = [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }];
      assert.deepEqual(await zones(), expected);
      assert.deepEqual(await zones('', 'mallory:pm'), expected);
    });

    it('detail (admin) lists every zone with its hosts and services; API services are left out', async () => {
      const detail = await zones('/detail');
      assert.deepEqual(detail.map((z) => z.zoneName), ['backstage', 'nova']);
      const internal = detail[0];
      assert.deepEqual(internal.zoneState, { available: true });
      const internalServices = Object.keys(internal.hosts!.functest).sort();
      assert.ok(internalServices.includes('nova-scheduler') && internalServices.includes('nova-conductor'), internalServices.join());
      assert.ok(!internalServices.includes('nova-compute'));
      assert.ok(!internalServices.some((b) => ['nova-api', 'nova-osapi_compute', 'nova-metadata'].includes(b)));
      const nova = detail[1];
      assert.deepEqual(Object.keys(nova.hosts!), ['functest']);
      assert.deepEqual(Object.keys(nova.hosts!.functest), ['nova-compute']);
      const state = nova.hosts!.functest['nova-compute'];
      assert.deepEqual(Object.keys(state).sort(), ['active', 'available', 'updated_at']);
      assert.equal(state.available, true);
      assert.equal(state.active, true);
      // Timestamps as oslo jsonutils writes them (null before a service's first heartbeat).
      assert.match(internal.hosts!.functest['nova-conductor'].updated_at ?? '', MICRO);
      if (state.updated_at !== null) assert.match(state.updated_at, MICRO);
    });

    it('detail is admin only', async () => {
      const r = await cloud.request('GET', '/v2.1/os-availability-zone/detail', { token: 'mallory:pm' });
      assert.equal(r.status, 403);
      assert.deepEqual(r.body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed." } });
    });

    it('a zone whose only compute is disabled is unavailable and its hosts are not shown', async () => {
      const off = await cloud.request('PUT', '/v2.1/os-services/disable', { body: { host: 'functest', binary: 'nova-compute' } });
      assert.equal(off.status, 200, off.text);
      assert.deepEqual(await zones(), [{ zoneName: 'nova', zoneState: { available: false }, hosts: null }]);
      const detail = await zones('/detail');
      assert.deepEqual(detail.find((z) => z.zoneName === 'nova'), { zoneName: 'nova', zoneState: { available: false }, hosts: null });
      assert.equal(detail[detail.length - 1].zoneName, 'nova', 'unavailable zones come after the available ones');
      await cloud.request('PUT', '/v2.1/os-services/enable', { body: { host: 'functest', binary: 'nova-compute' } });
      assert.deepEqual(await zones(), [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }]);
    });

    it("an aggregate's zone replaces the default once the compute host joins it", async () => {
      const agg = await cloud.request('POST', '/v2.1/os-aggregates', { body: { aggregate: { name: 'az-agg', availability_zone: 'edge-1' } } });
      assert.equal(agg.status, 200, agg.text);
      const add = await cloud.request('POST', `/v2.1/os-aggregates/${agg.body.aggregate.id}/action`, { body: { add_host: { host: 'functest' } } });
      assert.equal(add.status, 200, add.text);
      assert.deepEqual(await zones(), [{ zoneName: 'edge-1', zoneState: { available: true }, hosts: null }]);
      const detail = await zones('/detail');
      assert.deepEqual(detail.map((z) => z.zoneName), ['backstage', 'edge-1']);
      assert.deepEqual(Object.keys(detail[1].hosts!.functest), ['nova-compute']);
    });
  });
}
