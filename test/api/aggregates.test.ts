import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateView } from '../../src/api/views/aggregate.view';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

const MICRO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
const CREATE_KEYS = ['availability_zone', 'created_at', 'deleted', 'deleted_at', 'id', 'name', 'updated_at'];
const FULL_KEYS = [...CREATE_KEYS, 'hosts', 'metadata'].sort();

describe('aggregate view per microversion', () => {
  const rec = {
    id: 4, uuid: '0d3f6d1e-8b9a-4d0e-9c55-1f2e3d4c5b6a', name: 'a', availability_zone: 'z', hosts: ['h'], metadata: { availability_zone: 'z' },
    created_at: '2024-01-02T03:04:05.000Z', updated_at: null, deleted_at: null, deleted: false,
  } as const;
  it('2.1 has no uuid; 2.41 adds it; create leaves out hosts and metadata', () => {
    const v21 = aggregateView({ major: 2, minor: 1 }, { ...rec, hosts: [...rec.hosts], metadata: { ...rec.metadata } });
    assert.deepEqual(Object.keys(v21).sort(), FULL_KEYS);
    assert.equal(v21.created_at, '2024-01-02T03:04:05.000000');
    const v241 = aggregateView({ major: 2, minor: 41 }, { ...rec, hosts: [], metadata: {} }, false);
    assert.deepEqual(Object.keys(v241).sort(), [...CREATE_KEYS, 'uuid'].sort());
    assert.equal(v241.uuid, rec.uuid);
  });
});

for (const backend of BACKENDS) {
  describe(`os-aggregates (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend);
      await cloud.waitForCompute();
    });
    after(async () => cloud?.stop());

    const req = (method: string, path: string, body?: unknown, token?: string) => cloud.request(method, `/v2.1${path}`, { body, token });
    async function create(name: string, az?: string | null): Promise<number> {
      const r = await req('POST', '/os-aggregates', { aggregate: az === undefined ? { name } : { name, availability_zone: az } });
      assert.equal(r.status, 200, r.text);
      return r.body.aggregate.id;
    }
    const action = (id: number | string, body: unknown) => req('POST', `/os-aggregates/${id}/action`, body);
    function assertFault(r: { status: number; body: unknown; text: string }, status: number, message: string) {
      const name = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound', 409: 'conflictingRequest' }[status]!;
      assert.equal(r.status, status, r.text);
      assert.deepEqual(r.body, { [name]: { code: status, message } });
    }
    async function zones() {
      return (await req('GET', '/os-availability-zone')).body.availabilityZoneInfo;
    }

    it('create answers 200 with the 2.1 keys (no hosts, metadata or uuid); show and list add hosts and metadata', async () => {
      const r = await req('POST', '/os-aggregates', { aggregate: { name: 'rack1', availability_zone: 'zone-a' } });
      assert.equal(r.status, 200);
      const a = r.body.aggregate;
      assert.deepEqual(Object.keys(a).sort(), CREATE_KEYS);
      assert.equal(a.name, 'rack1');
      assert.equal(a.availability_zone, 'zone-a');
      assert.equal(typeof a.id, 'number');
      assert.match(a.created_at, MICRO);
      assert.equal(a.updated_at, null);
      assert.equal(a.deleted, false);
      assert.equal(a.deleted_at, null);

      const shown = await req('GET', `/os-aggregates/${a.id}`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body.aggregate, { ...a, hosts: [], metadata: { availability_zone: 'zone-a' } });
      const list = await req('GET', '/os-aggregates');
      assert.equal(list.status, 200);
      const item = list.body.aggregates.find((x: { id: number }) => x.id === a.id);
      assert.deepEqual(Object.keys(item).sort(), FULL_KEYS);

      const noAz = await req('POST', '/os-aggregates', { aggregate: { name: 'plain', availability_zone: null } });
      assert.equal(noAz.status, 200);
      assert.equal(noAz.body.aggregate.availability_zone, null);
      const shownPlain = await req('GET', `/os-aggregates/${noAz.body.aggregate.id}`);
      assert.deepEqual(shownPlain.body.aggregate.metadata, {});
    });

    it('create validation and conflicts', async () => {
      assertFault(await req('POST', '/os-aggregates', { aggregate: { name: 'rack1' } }), 409, 'Aggregate rack1 already exists.');
      assertFault(await req('POST', '/os-aggregates', { aggregate: {} }), 400, "Invalid input for field/attribute aggregate. Value: {}. 'name' is a required property");
      assertFault(await req('POST', '/os-aggregates', { name: 'x' }), 400, "'aggregate' is a required property");
      assertFault(await req('POST', '/os-aggregates', { aggregate: { name: 'x' }, extra: 1 }), 400, "Additional properties are not allowed ('extra' was unexpected)");
      assertFault(await req('POST', '/os-aggregates', { aggregate: { name: 'x', hosts: [] } }), 400,
        "Invalid input for field/attribute aggregate. Value: {'name': 'x', 'hosts': []}. Additional properties are not allowed ('hosts' was unexpected)");
      assertFault(await req('POST', '/os-aggregates', { aggregate: { name: ' padded' } }), 400,
        "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.");
      assertFault(await req('POST', '/os-aggregates', { aggregate: { name: 5 } }), 400, "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'");
      assertFault(await req('POST', '/os-aggregates', { aggregate: { name: 'x', availability_zone: 'a:b' } }), 400,
        "Invalid input for field/attribute availability_zone. Value: a:b. 'a:b' is not valid under any of the given schemas");
      assertFault(await req('POST', '/os-aggregates', { aggregate: { name: 'x', availability_zone: '' } }), 400,
        "Invalid input for field/attribute availability_zone. Value: . '' is not valid under any of the given schemas");
      const long = await req('POST', '/os-aggregates', { aggregate: { name: 'n'.repeat(256) } });
      assert.equal(long.status, 400);
      assert.match(long.body.badRequest.message, new RegExp(`^Invalid input for field/attribute name\\. Value: n{256}\\. 'n{256}' is too long$`));
      const names = (await req('GET', '/os-aggregates')).body.aggregates.map((a: { name: string }) => a.name);
      assert.ok(!names.includes('x'), 'nothing was created by refused requests');
    });

    it('show, update and delete refuse non-integer ids (400) and unknown ones (404)', async () => {
      assertFault(await req('GET', '/os-aggregates/abc'), 400, 'Invalid input received: id must be an integer');
      assertFault(await req('GET', '/os-aggregates/424242'), 404, 'Aggregate 424242 could not be found.');
      assertFault(await req('PUT', '/os-aggregates/abc', { aggregate: { name: 'y' } }), 400, 'Invalid input received: id must be an integer');
      assertFault(await req('PUT', '/os-aggregates/424242', { aggregate: { name: 'y' } }), 404, 'Aggregate 424242 could not be found.');
      assertFault(await req('DELETE', '/os-aggregates/abc'), 400, 'Invalid input received: id must be an integer');
      assertFault(await req('DELETE', '/os-aggregates/424242'), 404, 'Aggregate 424242 could not be found.');
      assertFault(await action(424242, { add_host: { host: 'functest' } }), 404, 'Aggregate 424242 could not be found.');
      assertFault(await action('abc', { set_metadata: { metadata: {} } }), 400, 'Invalid input received: id must be an integer');
    });

    it('update renames and changes the zone; refuses empty bodies, a null zone and a taken name', async () => {
      const id = await create('to-update');
      const r = await req('PUT', `/os-aggregates/${id}`, { aggregate: { name: '  renamed  ', availability_zone: 'zone-u' } });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.body.aggregate).sort(), FULL_KEYS);
      assert.equal(r.body.aggregate.name, 'renamed', 'update strips the name');
      assert.equal(r.body.aggregate.availability_zone, 'zone-u');
      assert.deepEqual(r.body.aggregate.metadata, { availability_zone: 'zone-u' });
      assert.match(r.body.aggregate.updated_at, MICRO);

      assertFault(await req('PUT', `/os-aggregates/${id}`, { aggregate: {} }), 400,
        'Invalid input for field/attribute aggregate. Value: {}. {} is not valid under any of the given schemas');
      assertFault(await req('PUT', `/os-aggregates/${id}`, { aggregate: { name: '   ' } }), 400,
        "An invalid 'name' value was provided. The name must be: printable characters with at least one non space character");
      assertFault(await req('PUT', `/os-aggregates/${id}`, { aggregate: { availability_zone: null } }), 400,
        `Cannot update aggregate ${id}. Reason: Aggregate renamed does not support empty named availability zone.`);
      assertFault(await req('PUT', `/os-aggregates/${id}`, { aggregate: { name: 'rack1' } }), 409, 'Aggregate rack1 already exists.');
      assert.equal((await req('GET', `/os-aggregates/${id}`)).body.aggregate.name, 'renamed');
    });

    it('a zone appears in os-availability-zone once a compute host joins its aggregate, and leaves with it', async () => {
      assert.deepEqual(await zones(), [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }]);
      const id = await create('zoned', 'zone-x');
      assert.deepEqual(await zones(), [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }], 'an empty aggregate adds no zone');

      const add = await action(id, { add_host: { host: 'functest' } });
      assert.equal(add.status, 200, add.text);
      assert.deepEqual(Object.keys(add.body.aggregate).sort(), FULL_KEYS);
      assert.deepEqual(add.body.aggregate.hosts, ['functest']);
      assert.deepEqual(await zones(), [{ zoneName: 'zone-x', zoneState: { available: true }, hosts: null }]);

      const detail = await req('GET', '/os-availability-zone/detail');
      const zx = detail.body.availabilityZoneInfo.find((z: { zoneName: string }) => z.zoneName === 'zone-x');
      assert.deepEqual(Object.keys(zx.hosts), ['functest']);
      assert.deepEqual(Object.keys(zx.hosts.functest), ['nova-compute']);
      const compute = (await req('GET', '/os-services?binary=nova-compute')).body.services[0];
      assert.equal(compute.zone, 'zone-x');

      assertFault(await action(id, { add_host: { host: 'functest' } }), 409, `Aggregate ${id} already has host functest.`);
      // A host is in one zone at most.
      const other = await create('zoned-2', 'zone-y');
      assertFault(await action(other, { add_host: { host: 'functest' } }), 409,
        `Cannot add host to aggregate ${other}. Reason: One or more hosts already in availability zone(s) ['zone-x'].`);
      // An aggregate without a zone can take the host; it then cannot get a different zone.
      const plain = await create('plain-2');
      assert.equal((await action(plain, { add_host: { host: 'functest' } })).status, 200);
      assertFault(await action(plain, { set_metadata: { metadata: { availability_zone: 'zone-z' } } }), 400,
        `Cannot update metadata of aggregate ${plain}. Reason: One or more hosts already in availability zone(s) ['zone-x'].`);
      assertFault(await req('PUT', `/os-aggregates/${plain}`, { aggregate: { availability_zone: 'zone-z' } }), 400,
        `Cannot update aggregate ${plain}. Reason: One or more hosts already in availability zone(s) ['zone-x'].`);

      // Deleting a non-empty aggregate is refused.
      assertFault(await req('DELETE', `/os-aggregates/${id}`), 400, `Cannot remove host from aggregate ${id}. Reason: Host aggregate is not empty.`);

      const removed = await action(id, { remove_host: { host: 'functest' } });
      assert.equal(removed.status, 200);
      assert.deepEqual(removed.body.aggregate.hosts, []);
      assert.deepEqual(await zones(), [{ zoneName: 'nova', zoneState: { available: true }, hosts: null }]);
      assertFault(await action(id, { remove_host: { host: 'functest' } }), 404, `Cannot remove host functest in aggregate ${id}`);
      assert.equal((await action(plain, { remove_host: { host: 'functest' } })).status, 200);

      const del = await req('DELETE', `/os-aggregates/${id}`);
      assert.equal(del.status, 200);
      assert.equal(del.text, '');
      assertFault(await req('GET', `/os-aggregates/${id}`), 404, `Aggregate ${id} could not be found.`);
    });

    it('add_host/remove_host of hosts that run no compute service → 404', async () => {
      const id = await create('hostless');
      assertFault(await action(id, { add_host: { host: 'nosuchhost' } }), 404, 'Compute host nosuchhost could not be found.');
      assertFault(await action(id, { remove_host: { host: 'nosuchhost' } }), 404, `Cannot remove host nosuchhost in aggregate ${id}`);
      assertFault(await action(id, { add_host: {} }), 400, "Invalid input for field/attribute add_host. Value: {}. 'host' is a required property");
      assertFault(await action(id, { add_host: 'functest' }), 400,
        "Invalid input for field/attribute add_host. Value: functest. 'functest' is not of type 'object'");
    });

    it('set_metadata merges keys, deletes null ones and validates keys and values', async () => {
      const id = await create('meta');
      const set = await action(id, { set_metadata: { metadata: { ssd: 'true', 'gpu.count': '2' } } });
      assert.equal(set.status, 200, set.text);
      assert.deepEqual(set.body.aggregate.metadata, { ssd: 'true', 'gpu.count': '2' });
      const merged = await action(id, { set_metadata: { metadata: { ssd: null, numa: 'yes' } } });
      assert.deepEqual(merged.body.aggregate.metadata, { 'gpu.count': '2', numa: 'yes' });
      assert.deepEqual((await req('GET', `/os-aggregates/${id}`)).body.aggregate.metadata, { 'gpu.count': '2', numa: 'yes' });

      assertFault(await action(id, { set_metadata: { metadata: { 'bad/key': 'v' } } }), 400,
        "Invalid input for field/attribute metadata. Value: {'bad/key': 'v'}. 'bad/key' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'");
      assertFault(await action(id, { set_metadata: { metadata: { k: 1 } } }), 400, "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string', 'null'");
      assertFault(await action(id, { set_metadata: { metadata: { availability_zone: null } } }), 400,
        `Cannot update metadata of aggregate ${id}. Reason: Aggregate meta does not support empty named availability zone.`);
      assertFault(await action(id, { set_metadata: {} }), 400, "Invalid input for field/attribute set_metadata. Value: {}. 'metadata' is a required property");
      assertFault(await action(id, { add_host: { host: 'functest' }, remove_host: { host: 'functest' } }), 400, 'Malformed request body');
      assertFault(await action(id, { explode: {} }), 400, 'There is no such action: explode');
      const zoned = await action(id, { set_metadata: { metadata: { availability_zone: 'zone-m' } } });
      assert.equal(zoned.body.aggregate.availability_zone, 'zone-m');
    });

    it('every call is admin only', async () => {
      const token = 'carol:p3';
      const id = await create('policy');
      const calls: Array<[string, string, unknown, string]> = [
        ['GET', '/os-aggregates', undefined, 'index'],
        ['POST', '/os-aggregates', { aggregate: { name: 'nope' } }, 'create'],
        ['GET', `/os-aggregates/${id}`, undefined, 'show'],
        ['PUT', `/os-aggregates/${id}`, { aggregate: { name: 'nope' } }, 'update'],
        ['DELETE', `/os-aggregates/${id}`, undefined, 'delete'],
        ['POST', `/os-aggregates/${id}/action`, { add_host: { host: 'functest' } }, 'add_host'],
        ['POST', `/os-aggregates/${id}/action`, { remove_host: { host: 'functest' } }, 'remove_host'],
        ['POST', `/os-aggregates/${id}/action`, { set_metadata: { metadata: { a: 'b' } } }, 'set_metadata'],
      ];
      for (const [method, path, body, rule] of calls) {
        assertFault(await req(method, path, body, token), 403, `Policy doesn't allow os_compute_api:os-aggregates:${rule} to be performed.`);
      }
      const still = await req('GET', `/os-aggregates/${id}`);
      assert.equal(still.body.aggregate.name, 'policy');
      assert.deepEqual(still.body.aggregate.metadata, {});
    });
  });
}
