/**
 * The server sub-resources through the real binary (`nova --role=all`, fake driver) on SQLite +
 * in-process bus and on MariaDB + RabbitMQ, at the advertised microversion (2.1): metadata,
 * ips, instance actions, os-simple-tenant-usage, and tags' 404 below 2.26. The later
 * microversions are covered by test/api/server-subresources*.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

for (const engine of BACKENDS) {
  describe(`server sub-resources (${engine})`, () => {
    let cloud: Cloud;
    let image: string;
    let flavor: string;
    let server: string;
    const alice = 'alice:proj1';
    const bob = 'bob:proj2';

    const boot = async (name: string, token: string, flavorRef: string, extra: Record<string, unknown> = {}) => {
      const r = await cloud.request('POST', '/v2.1/servers', { token, body: { server: { name, imageRef: image, flavorRef, ...extra } } });
      assert.equal(r.status, 202, r.text);
      return r.body.server.id as string;
    };

    before(async () => {
      cloud = await startCloud(engine, '[fake_driver]\nvcpus = 8\nmemory_mb = 8192\nlocal_gb = 100\n');
      await cloud.waitForCompute();
      image = await cloud.createImage('cirros');
      flavor = await cloud.createFlavor('m1.tiny', 512, 1, 1);
      server = await boot('meta-vm', alice, flavor, { metadata: { a: '1' } });
      const s = await cloud.waitServer(server, (x) => x?.status === 'ACTIVE' || x?.status === 'ERROR', { token: alice });
      assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault));
    });
    after(async () => {
      await cloud?.stop();
    });

    it('metadata: list, merge, replace, one item, delete, with Nova status codes and messages', async () => {
      const base = `/v2.1/servers/${server}/metadata`;
      const req = (method: string, path: string, body?: unknown, token = alice) => cloud.request(method, base + path, { token, body });
      let r = await req('GET', '');
      assert.deepEqual([r.status, r.body], [200, { metadata: { a: '1' } }]);
      r = await req('POST', '', { metadata: { b: '2' } });
      assert.deepEqual([r.status, r.body], [200, { metadata: { a: '1', b: '2' } }]);
      r = await req('PUT', '', { metadata: { c: '3', d: '4' } });
      assert.deepEqual([r.status, r.body], [200, { metadata: { c: '3', d: '4' } }]);
      r = await req('GET', '/c');
      assert.deepEqual([r.status, r.body], [200, { meta: { c: '3' } }]);
      r = await req('GET', '/a');
      assert.deepEqual([r.status, r.body], [404, { itemNotFound: { code: 404, message: 'Metadata item was not found' } }]);
      r = await req('PUT', '/e', { meta: { e: '5' } });
      assert.deepEqual([r.status, r.body], [200, { meta: { e: '5' } }]);
      r = await req('PUT', '/e', { meta: { f: '5' } });
      assert.deepEqual([r.status, r.body], [400, { badRequest: { code: 400, message: 'Request body and URI mismatch' } }]);
      r = await req('PUT', '/e', { meta: { e: '5', f: '6' } });
      assert.equal(r.status, 400);
      assert.match(r.body.badRequest.message, /has too many properties$/);
      r = await req('POST', '', { metadata: { 'bad/key': 'x' } });
      assert.equal(r.status, 400);
      assert.match(r.body.badRequest.message, /^Invalid input for field\/attribute metadata\. .*does not match any of the regexes/);
      r = await req('POST', '', { meta: {} });
      assert.deepEqual([r.status, r.body.badRequest?.message], [400, "'metadata' is a required property"]);
      r = await cloud.request('POST', base, { token: alice, rawBody: 'not json', headers: { 'Content-Type': 'application/json' } });
      assert.equal(r.status, 400);
      r = await req('DELETE', '/e');
      assert.equal(r.status, 204);
      assert.equal(r.text, '');
      r = await req('DELETE', '/e');
      assert.deepEqual([r.status, r.body.itemNotFound?.message], [404, 'Metadata item was not found']);
      assert.deepEqual((await req('GET', '')).body, { metadata: { c: '3', d: '4' } });
      // The server view shows the same items.
      assert.deepEqual((await cloud.request('GET', `/v2.1/servers/${server}`, { token: alice })).body.server.metadata, { c: '3', d: '4' });
    });

    it("metadata: another project's server is 404; quota 403; lock and state 409", async () => {
      const base = `/v2.1/servers/${server}/metadata`;
      let r = await cloud.request('GET', base, { token: bob });
      assert.deepEqual([r.status, r.body.itemNotFound?.message], [404, `Instance ${server} could not be found.`]);
      assert.equal((await cloud.request('POST', base, { token: bob, body: { metadata: { x: 'y' } } })).status, 404);

      r = await cloud.request('PUT', '/v2.1/os-quota-sets/proj1', { body: { quota_set: { metadata_items: 3 } } });
      assert.equal(r.status, 200, r.text);
      r = await cloud.request('POST', base, { token: alice, body: { metadata: { x: '1', y: '2' } } });
      assert.deepEqual([r.status, r.body.forbidden?.message], [403, 'Maximum number of metadata items exceeds 3']);
      assert.equal((await cloud.request('POST', base, { token: alice, body: { metadata: { x: '1' } } })).status, 200);
      assert.equal((await cloud.request('PUT', '/v2.1/os-quota-sets/proj1', { body: { quota_set: { metadata_items: 128 } } })).status, 200);

      assert.equal((await cloud.request('POST', `/v2.1/servers/${server}/action`, { token: alice, body: { lock: null } })).status, 202);
      r = await cloud.request('PUT', `${base}/z`, { token: alice, body: { meta: { z: '1' } } });
      assert.deepEqual([r.status, r.body.conflictingRequest?.message], [409, `Instance ${server} is locked`]);
      r = await cloud.request('DELETE', `${base}/x`, { token: alice });
      assert.deepEqual([r.status, r.body.conflictingRequest?.message], [409, `Instance ${server} is locked`]);
      assert.equal((await cloud.request('PUT', `${base}/z`, { body: { meta: { z: '1' } } })).status, 200, 'admin ignores the lock');
      assert.equal((await cloud.request('POST', `/v2.1/servers/${server}/action`, { token: alice, body: { unlock: null } })).status, 202);

      const big = await cloud.createFlavor('m1.huge', 16384, 1, 1);
      const broken = await boot('no-host', alice, big);
      await cloud.waitServer(broken, (x) => x?.status === 'ERROR', { token: alice });
      r = await cloud.request('POST', `/v2.1/servers/${broken}/metadata`, { token: alice, body: { metadata: { k: 'v' } } });
      assert.deepEqual([r.status, r.body.conflictingRequest?.message], [409, `Cannot 'update metadata' instance ${broken} while it is in vm_state error`]);
      assert.deepEqual((await cloud.request('GET', `/v2.1/servers/${broken}/metadata`, { token: alice })).body, { metadata: {} });
    });

    it('ips: no networking service, so no addresses and no network', async () => {
      let r = await cloud.request('GET', `/v2.1/servers/${server}/ips`, { token: alice });
      assert.deepEqual([r.status, r.body], [200, { addresses: {} }]);
      r = await cloud.request('GET', `/v2.1/servers/${server}/ips/private`, { token: alice });
      assert.deepEqual([r.status, r.body], [404, { itemNotFound: { code: 404, message: 'Instance is not a member of specified network' } }]);
      assert.equal((await cloud.request('GET', `/v2.1/servers/${server}/ips`, { token: bob })).status, 404);
    });

    it('tags are not there below 2.26', async () => {
      for (const [method, path] of [['GET', 'tags'], ['PUT', 'tags/web'], ['DELETE', 'tags']]) {
        const r = await cloud.request(method, `/v2.1/servers/${server}/${path}`, { token: alice });
        assert.deepEqual([r.status, r.body?.itemNotFound?.message], [404, 'The resource could not be found.'], `${method} ${path}`);
      }
    });

    it('instance actions: the list, one action, its events for admin only at 2.1', async () => {
      const base = `/v2.1/servers/${server}/os-instance-actions`;
      let r = await cloud.request('GET', base, { token: alice });
      assert.equal(r.status, 200, r.text);
      const list = r.body.instanceActions as Array<Record<string, unknown>>;
      assert.deepEqual(list.map((a) => a.action), ['unlock', 'lock', 'create']);
      assert.deepEqual(Object.keys(list[2]).sort(), ['action', 'instance_uuid', 'message', 'project_id', 'request_id', 'start_time', 'user_id']);
      assert.equal(list[2].instance_uuid, server);
      assert.equal(list[2].project_id, 'proj1');
      assert.match(String(list[2].start_time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      const create = list[2].request_id as string;
      assert.match(create, /^req-[0-9a-f-]{36}$/);

      r = await cloud.request('GET', `${base}/${create}`, { token: alice });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.instanceAction.action, 'create');
      assert.equal('events' in r.body.instanceAction, false);
      r = await cloud.request('GET', `${base}/${create}`);
      const events = r.body.instanceAction.events as Array<Record<string, unknown>>;
      assert.ok(events.length > 0, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(events[0]), ['event', 'start_time', 'finish_time', 'result', 'traceback']);
      assert.ok(events.some((e) => e.event === 'compute__do_build_and_run_instance' && e.result === 'Success'), JSON.stringify(events));

      r = await cloud.request('GET', `${base}/req-nope`, { token: alice });
      assert.deepEqual([r.status, r.body.itemNotFound?.message], [404, 'Action req-nope not found']);
      assert.equal((await cloud.request('GET', base, { token: bob })).status, 404);
    });

    it('instance actions of a deleted server are 404 at 2.1', async () => {
      const gone = await boot('gone', alice, flavor);
      await cloud.waitServer(gone, (x) => x?.status === 'ACTIVE', { token: alice });
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${gone}`, { token: alice })).status, 204);
      await cloud.waitServer(gone, (x) => x === null, { token: alice });
      const r = await cloud.request('GET', `/v2.1/servers/${gone}/os-instance-actions`, { token: alice });
      assert.deepEqual([r.status, r.body.itemNotFound?.message], [404, `Instance ${gone} could not be found.`]);
    });

    it('os-simple-tenant-usage: admin lists every project, a project reads its own', async () => {
      const start = new Date(Date.now() - 3600_000).toISOString().slice(0, 19);
      let r = await cloud.request('GET', `/v2.1/os-simple-tenant-usage?start=${start}&detailed=1`);
      assert.equal(r.status, 200, r.text);
      const mine = (r.body.tenant_usages as Array<Record<string, any>>).find((u) => u.tenant_id === 'proj1'); // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.ok(mine, r.text);
      const su = (mine.server_usages as Array<Record<string, unknown>>).find((s) => s.instance_id === server);
      assert.ok(su, JSON.stringify(mine));
      assert.deepEqual(Object.keys(su), ['hours', 'flavor', 'instance_id', 'name', 'tenant_id', 'memory_mb', 'local_gb', 'vcpus', 'started_at', 'ended_at', 'state', 'uptime']);
      assert.deepEqual([su.flavor, su.name, su.memory_mb, su.local_gb, su.vcpus, su.state, su.ended_at], ['m1.tiny', 'meta-vm', 512, 1, 1, 'active', null]);
      assert.ok(typeof su.hours === 'number' && su.hours > 0 && su.hours < 0.5, String(su.hours));
      assert.ok(typeof su.uptime === 'number' && su.uptime >= 0);
      assert.ok((mine.server_usages as Array<Record<string, unknown>>).some((s) => s.state === 'terminated'), 'the deleted server is billed too');
      const sum = (f: (s: Record<string, number>) => number) => (mine.server_usages as Array<Record<string, number>>).reduce((n, s) => n + f(s), 0);
      assert.ok(Math.abs(mine.total_hours - sum((s) => s.hours)) < 1e-9, JSON.stringify(mine));
      assert.ok(Math.abs(mine.total_vcpus_usage - sum((s) => s.vcpus * s.hours)) < 1e-9);
      assert.ok(Math.abs(mine.total_memory_mb_usage - sum((s) => s.memory_mb * s.hours)) < 1e-6);
      assert.equal(mine.start, `${start}.000000`);

      r = await cloud.request('GET', `/v2.1/os-simple-tenant-usage?start=${start}`);
      assert.equal('server_usages' in r.body.tenant_usages[0], false);
      r = await cloud.request('GET', '/v2.1/os-simple-tenant-usage', { token: alice });
      assert.deepEqual([r.status, r.body.forbidden?.message], [403, "Policy doesn't allow os_compute_api:os-simple-tenant-usage:list to be performed."]);
      r = await cloud.request('GET', `/v2.1/os-simple-tenant-usage/proj1?start=${start}`, { token: alice });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.tenant_usage.tenant_id, 'proj1');
      assert.ok(r.body.tenant_usage.server_usages.length >= 2);
      assert.equal((await cloud.request('GET', '/v2.1/os-simple-tenant-usage/proj1', { token: bob })).status, 403);
      r = await cloud.request('GET', '/v2.1/os-simple-tenant-usage/nobody');
      assert.deepEqual([r.status, r.body], [200, { tenant_usage: {} }]);
      r = await cloud.request('GET', '/v2.1/os-simple-tenant-usage?start=yesterday');
      assert.deepEqual([r.status, r.body.badRequest?.message], [400, 'Invalid datetime string: Datetime is in invalid format']);
      r = await cloud.request('GET', '/v2.1/os-simple-tenant-usage?start=2030-01-02T00:00:00&end=2030-01-01T00:00:00');
      assert.deepEqual([r.status, r.body.badRequest?.message], [400, 'Invalid start time. The start time cannot occur after the end time.']);
    });
  });
}
