/**
 * The instance lifecycle through the real binary (`nova --role=all`, fake driver), on SQLite +
 * in-process bus and on MariaDB + RabbitMQ: boot to ACTIVE, list/show, each simple action's
 * final state, 409s in wrong states, no valid host, delete.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

for (const engine of BACKENDS) {
  describe(`server lifecycle (${engine})`, () => {
    let cloud: Cloud;
    let image: string;
    let flavor: string;
    let bigFlavor: string;

    before(async () => {
      cloud = await startCloud(engine, '[DEFAULT]\ninstance_name_template = lc-%08x\n[fake_driver]\nvcpus = 8\nmemory_mb = 8192\nlocal_gb = 100\n');
      await cloud.waitForCompute();
      image = await cloud.createImage('cirros');
      flavor = await cloud.createFlavor('m1.tiny', 512, 1, 1);
      bigFlavor = await cloud.createFlavor('m1.huge', 16384, 1, 1);
    });
    after(async () => {
      await cloud?.stop();
    });

    const boot = async (name: string, token = 'alice:proj1', extra: Record<string, unknown> = {}) => {
      const r = await cloud.request('POST', '/v2.1/servers', { token, body: { server: { name, imageRef: image, flavorRef: flavor, ...extra } } });
      assert.equal(r.status, 202, r.text);
      return r;
    };

    it('boots a server to ACTIVE through conductor, scheduler and compute', async () => {
      const r = await boot('vm1');
      const id = r.body.server.id as string;
      assert.match(r.headers.get('location') ?? '', new RegExp(`/v2.1/servers/${id}$`));
      assert.equal(typeof r.body.server.adminPass, 'string');
      assert.deepEqual(r.body.server.security_groups, [{ name: 'default' }]);
      const s = await cloud.waitServer(id, (x) => x?.status === 'ACTIVE' || x?.status === 'ERROR', { token: 'alice:proj1' });
      assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault));
      assert.equal(s['OS-EXT-STS:power_state'], 1);
      assert.equal(s['OS-EXT-STS:task_state'], null);
      assert.match(s['OS-SRV-USG:launched_at'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      assert.equal(s.tenant_id, 'proj1');
      assert.equal(s.user_id, 'alice');
      assert.equal(s.image.id, image);
      assert.equal(s.flavor.id, flavor);
      assert.equal(s.hostId.length, 56);
      // Admin-only attributes are hidden from the owner, shown to admin.
      assert.equal(s['OS-EXT-SRV-ATTR:host'], undefined);
      const adminView = await cloud.request('GET', `/v2.1/servers/${id}`);
      assert.equal(adminView.body.server['OS-EXT-SRV-ATTR:host'], 'functest');
      // The hypervisor's name for it follows [DEFAULT] instance_name_template, as Nova's does.
      assert.match(adminView.body.server['OS-EXT-SRV-ATTR:instance_name'], /^lc-[0-9a-f]{8}$/);
      const hyp = await cloud.request('GET', '/v2.1/os-hypervisors/functest/servers');
      const listed = hyp.body.hypervisors[0].servers as Array<{ uuid: string; name: string }>;
      assert.ok(listed.some((x) => x.uuid === id && x.name === adminView.body.server['OS-EXT-SRV-ATTR:instance_name']), JSON.stringify(listed));
      const actions = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: 'alice:proj1' });
      assert.equal(actions.status, 200, actions.text);
      assert.equal(actions.body.instanceActions[0].action, 'create');
    });

    it('scopes servers to their project: another project gets 404, admin sees all with all_tenants', async () => {
      const r = await boot('private-vm', 'bob:proj2');
      const id = r.body.server.id as string;
      assert.equal((await cloud.request('GET', `/v2.1/servers/${id}`, { token: 'alice:proj1' })).status, 404);
      const mine = await cloud.request('GET', '/v2.1/servers', { token: 'alice:proj1' });
      assert.ok(!mine.body.servers.some((s: { id: string }) => s.id === id));
      assert.equal((await cloud.request('GET', '/v2.1/servers?all_tenants=1', { token: 'alice:proj1' })).status, 403);
      const all = await cloud.request('GET', '/v2.1/servers/detail?all_tenants=1');
      assert.ok(all.body.servers.some((s: { id: string }) => s.id === id));
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { token: 'alice:proj1' })).status, 404);
    });

    it('runs stop, start, reboot, pause, suspend, rescue and lock with Nova states and 409s', async () => {
      const id = (await boot('actions')).body.server.id as string;
      const t = 'alice:proj1';
      await cloud.waitServer(id, (x) => x?.status === 'ACTIVE', { token: t });
      const act = (body: unknown, token = t) => cloud.request('POST', `/v2.1/servers/${id}/action`, { token, body });
      const until = (status: string) => cloud.waitServer(id, (x) => x?.status === status && x['OS-EXT-STS:task_state'] === null, { token: t });

      let r = await act({ 'os-start': null });
      assert.equal(r.status, 409);
      assert.equal(r.body.conflictingRequest.message, `Cannot 'start' instance ${id} while it is in vm_state active`);
      assert.equal((await act({ 'os-stop': null })).status, 202);
      let s = await until('SHUTOFF');
      assert.equal(s['OS-EXT-STS:power_state'], 4);
      assert.equal((await act({ pause: null })).status, 409);
      assert.equal((await act({ 'os-start': null })).status, 202);
      await until('ACTIVE');
      assert.equal((await act({ reboot: { type: 'HARD' } })).status, 202);
      s = await until('ACTIVE');
      assert.equal(s['OS-EXT-STS:power_state'], 1);
      assert.equal((await act({ pause: null })).status, 202);
      s = await until('PAUSED');
      assert.equal(s['OS-EXT-STS:power_state'], 3);
      assert.equal((await act({ unpause: null })).status, 202);
      await until('ACTIVE');
      assert.equal((await act({ suspend: null })).status, 202);
      s = await until('SUSPENDED');
      assert.equal(s['OS-EXT-STS:power_state'], 7);
      assert.equal((await act({ resume: null })).status, 202);
      await until('ACTIVE');
      r = await act({ rescue: null });
      assert.equal(r.status, 200);
      assert.equal(typeof r.body.adminPass, 'string');
      await until('RESCUE');
      assert.equal((await act({ unrescue: null })).status, 202);
      await until('ACTIVE');

      r = await act({ 'os-getConsoleOutput': { length: 2 } });
      assert.equal(r.status, 200);
      assert.ok(r.body.output.split('\n').filter(Boolean).length <= 2);

      assert.equal((await act({ lock: null })).status, 202);
      r = await act({ 'os-stop': null });
      assert.equal(r.status, 409);
      assert.equal(r.body.conflictingRequest.message, `Instance ${id} is locked`);
      assert.equal((await act({ unlock: null })).status, 202);

      const events = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: t });
      assert.equal(events.status, 200, events.text);
      const names = events.body.instanceActions.map((a: { action: string }) => a.action);
      for (const n of ['create', 'stop', 'start', 'reboot', 'pause', 'unpause', 'suspend', 'resume', 'rescue', 'unrescue', 'lock', 'unlock']) assert.ok(names.includes(n), n);
    });

    it('puts a server that fits no host in ERROR with "No valid host was found."', async () => {
      const r = await cloud.request('POST', '/v2.1/servers', { token: 'alice:proj1', body: { server: { name: 'too-big', imageRef: image, flavorRef: bigFlavor } } });
      assert.equal(r.status, 202, r.text);
      const s = await cloud.waitServer(r.body.server.id, (x) => x?.status === 'ERROR', { token: 'alice:proj1' });
      assert.equal(s.fault.code, 500);
      assert.match(s.fault.message, /^No valid host was found/);
    });

    it('rejects unknown flavors, images and key pairs with 400', async () => {
      const post = (server: Record<string, unknown>) => cloud.request('POST', '/v2.1/servers', { token: 'alice:proj1', body: { server: { name: 'x', imageRef: image, flavorRef: flavor, ...server } } });
      let r = await post({ flavorRef: 'nope' });
      assert.equal(r.status, 400);
      assert.equal(r.body.badRequest.message, 'Flavor nope could not be found.');
      r = await post({ imageRef: '11111111-2222-3333-4444-555555555555' });
      assert.equal(r.status, 400);
      assert.equal(r.body.badRequest.message, 'Image 11111111-2222-3333-4444-555555555555 could not be found.');
      r = await post({ key_name: 'missing' });
      assert.equal(r.status, 400);
      assert.equal(r.body.badRequest.message, 'Invalid key_name provided.');
      r = await post({ bogus: 1 });
      assert.equal(r.status, 400);
    });

    it('boots several servers with min/max_count and one reservation id', async () => {
      const r = await boot('multi', 'alice:proj1', { min_count: 3, max_count: 3, return_reservation_id: true });
      const resId = r.body.reservation_id as string;
      assert.match(resId, /^r-[0-9a-z]{8}$/);
      const list = await cloud.request('GET', `/v2.1/servers/detail?reservation_id=${resId}`, { token: 'alice:proj1' });
      assert.equal(list.body.servers.length, 3);
      assert.deepEqual(list.body.servers.map((s: { name: string }) => s.name).sort(), ['multi-1', 'multi-2', 'multi-3']);
      for (const s of list.body.servers) await cloud.waitServer(s.id, (x) => x?.status === 'ACTIVE', { token: 'alice:proj1' });
    });

    it('deletes a server: 204, then 404 once the compute has destroyed it', async () => {
      const id = (await boot('doomed')).body.server.id as string;
      await cloud.waitServer(id, (x) => x?.status === 'ACTIVE', { token: 'alice:proj1' });
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { token: 'alice:proj1' })).status, 204);
      await cloud.waitServer(id, (x) => x === null, { token: 'alice:proj1' });
      const deleted = await cloud.request('GET', `/v2.1/servers/detail?deleted=true&all_tenants=1`);
      assert.ok(deleted.body.servers.some((s: { id: string; status: string }) => s.id === id && s.status === 'DELETED'));
    });

    it('deletes a server that is still building', async () => {
      const id = (await boot('hasty')).body.server.id as string;
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { token: 'alice:proj1' })).status, 204);
      await cloud.waitServer(id, (x) => x === null, { token: 'alice:proj1' });
    });
  });
}

describe('soft delete, restore, reclaim and the instances quota (sqlite)', () => {
  let cloud: Cloud;
  let image: string;
  let flavor: string;
  before(async () => {
    cloud = await startCloud('sqlite', '[DEFAULT]\nreclaim_instance_interval = 1\n[quota]\ninstances = 2\n');
    await cloud.waitForCompute();
    image = await cloud.createImage('cirros');
    flavor = await cloud.createFlavor('m1.tiny', 512, 1, 1);
  });
  after(async () => {
    await cloud?.stop();
  });
  const t = 'carol:proj3';
  const boot = (name: string, extra: Record<string, unknown> = {}) =>
    cloud.request('POST', '/v2.1/servers', { token: t, body: { server: { name, imageRef: image, flavorRef: flavor, ...extra } } });

  it('refuses what the instances quota cannot hold with Nova 403, and boots as many as fit of min..max', async () => {
    let r = await boot('q', { min_count: 3, max_count: 3 });
    assert.equal(r.status, 403);
    assert.equal(r.body.forbidden.message, 'Quota exceeded for instances: Requested 3, but already used 0 of 2 instances');
    r = await boot('q', { min_count: 1, max_count: 5, return_reservation_id: true });
    assert.equal(r.status, 202, r.text);
    const list = await cloud.request('GET', `/v2.1/servers?reservation_id=${r.body.reservation_id}`, { token: t });
    assert.equal(list.body.servers.length, 2, 'max_count 5 reduced to the 2 the quota allows');
    r = await boot('q3');
    assert.equal(r.status, 403);
    assert.match(r.body.forbidden.message, /^Quota exceeded for instances: Requested 1, but already used 2 of 2 instances$/);
    for (const s of list.body.servers) {
      await cloud.waitServer(s.id, (x) => x?.status === 'ACTIVE', { token: t });
      // With reclaim_instance_interval set, delete is a soft delete; forceDelete is immediate.
      assert.equal((await cloud.request('POST', `/v2.1/servers/${s.id}/action`, { token: t, body: { forceDelete: null } })).status, 202);
      await cloud.waitServer(s.id, (x) => x === null, { token: t });
    }
  });

  it('soft-deletes, restores, and reclaims after reclaim_instance_interval', async () => {
    const r = await boot('soft');
    assert.equal(r.status, 202, r.text);
    const id = r.body.server.id as string;
    await cloud.waitServer(id, (x) => x?.status === 'ACTIVE', { token: t });
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { token: t })).status, 204);
    let s = await cloud.waitServer(id, (x) => x?.status === 'SOFT_DELETED' || x === null, { token: t, timeoutMs: 10_000 });
    assert.equal(s?.status, 'SOFT_DELETED', 'the first delete only soft-deletes');
    assert.equal((await cloud.request('POST', `/v2.1/servers/${id}/action`, { token: t, body: { restore: null } })).status, 202);
    s = await cloud.waitServer(id, (x) => x?.status === 'ACTIVE', { token: t });
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { token: t })).status, 204);
    await cloud.waitServer(id, (x) => x?.status === 'SOFT_DELETED', { token: t, timeoutMs: 10_000 });
    // The compute's periodic reclaim deletes it for good once the interval has passed.
    await cloud.waitServer(id, (x) => x === null, { token: t, timeoutMs: 15_000 });
  });
});
