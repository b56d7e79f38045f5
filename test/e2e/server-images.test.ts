/**
 * Server actions that make or use images, through the real binary (fake driver, built-in image
 * service) on both backends: createImage, createBackup with rotation, shelve / offload /
 * unshelve with a new claim, rebuild, 409s, and failure injection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

const T = 'alice:proj1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function imageGet(cloud: Cloud, id: string, token = T): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await fetch(`${cloud.imageUrl}/v2/images/${id}`, { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
  return { status: r.status, body: r.status === 200 ? await r.json() : await r.text() };
}

async function waitImage(cloud: Cloud, id: string, done: (status: number, body: any) => boolean): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 0; i < 200; i++) {
    const r = await imageGet(cloud, id);
    if (done(r.status, r.body)) return r.body;
    await sleep(50);
  }
  throw new Error(`image ${id} did not reach the expected state`);
}

async function imageByName(cloud: Cloud, name: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 0; i < 100; i++) {
    const found = (await listImages(cloud)).find((im) => im.name === name);
    if (found) return found;
    await sleep(50);
  }
  throw new Error(`no image named ${name}`);
}

/** Waits until the newest `action` of the server is finished with message `Error` (its events failed). */
async function waitActionError(cloud: Cloud, id: string, action: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: T });
    const a = r.status === 200 ? r.body.instanceActions.find((x: { action: string }) => x.action === action) : undefined;
    if (a?.message === 'Error') return;
    await sleep(50);
  }
  throw new Error(`action ${action} of ${id} did not fail`);
}

async function listImages(cloud: Cloud, token = T): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await fetch(`${cloud.imageUrl}/v2/images?limit=1000`, { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
  return ((await r.json()) as { images: any[] }).images; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function helpers(cloud: () => Cloud, image: () => string, flavor: () => string) {
  const boot = async (name: string, flavorRef = flavor(), imageRef = image()) => {
    const r = await cloud().request('POST', '/v2.1/servers', { token: T, body: { server: { name, imageRef, flavorRef } } });
    assert.equal(r.status, 202, r.text);
    const id = r.body.server.id as string;
    const s = await cloud().waitServer(id, (x) => x?.status === 'ACTIVE' || x?.status === 'ERROR', { token: T });
    assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault));
    return id;
  };
  const act = (id: string, body: unknown) => cloud().request('POST', `/v2.1/servers/${id}/action`, { token: T, body });
  const settled = (id: string, status: string) =>
    cloud().waitServer(id, (x) => x?.status === status && x['OS-EXT-STS:task_state'] === null, { token: T });
  return { boot, act, settled };
}

for (const engine of BACKENDS) {
  describe(`server images (${engine})`, () => {
    let cloud: Cloud;
    let image: string;
    let image2: string;
    let flavor: string;
    let bigFlavor: string;
    const h = helpers(() => cloud, () => image, () => flavor);

    before(async () => {
      cloud = await startCloud(engine, '[fake_driver]\nvcpus = 64\nmemory_mb = 8192\nlocal_gb = 100\n');
      await cloud.waitForCompute();
      image = await cloud.createImage('cirros');
      image2 = await cloud.createImage('fedora');
      flavor = await cloud.createFlavor('m1.tiny', 512, 1, 1);
      bigFlavor = await cloud.createFlavor('m1.half', 3500, 1, 1);
    });
    after(async () => {
      await cloud?.stop();
    });

    it('shelves to SHELVED_OFFLOADED (claim released) and unshelves with a new claim', async () => {
      const a = await h.boot('shelf-a', bigFlavor);
      const b = await h.boot('shelf-b', bigFlavor);
      assert.equal((await h.act(a, { shelve: null })).status, 202);
      let s = await h.settled(a, 'SHELVED_OFFLOADED');
      const admin = await cloud.request('GET', `/v2.1/servers/${a}`);
      assert.equal(admin.body.server['OS-EXT-SRV-ATTR:host'], null);
      assert.equal(admin.body.server['OS-EXT-STS:power_state'], 4);
      const shelved = (await listImages(cloud)).find((i) => i.name === 'shelf-a-shelved');
      assert.ok(shelved, 'the shelved image exists');
      assert.equal(shelved.status, 'active');
      assert.equal(shelved.instance_uuid, a);
      assert.equal(shelved.image_type, 'snapshot');
      // The freed memory takes a third server; then there is no room to unshelve.
      const c = await h.boot('shelf-c', bigFlavor);
      let r = await h.act(a, { unshelve: null });
      assert.equal(r.status, 202, r.text);
      await waitActionError(cloud, a, 'unshelve');
      s = await h.settled(a, 'SHELVED_OFFLOADED');
      assert.equal((await cloud.request('DELETE', `/v2.1/servers/${c}`, { token: T })).status, 204);
      await cloud.waitServer(c, (x) => x === null, { token: T });
      r = await h.act(a, { unshelve: null });
      assert.equal(r.status, 202, r.text);
      s = await h.settled(a, 'ACTIVE');
      assert.equal(s['OS-EXT-STS:power_state'], 1);
      assert.equal((await cloud.request('GET', `/v2.1/servers/${a}`)).body.server['OS-EXT-SRV-ATTR:host'], 'functest');
      assert.equal((await imageGet(cloud, shelved.id)).status, 404, 'the shelved image is deleted after unshelve');
      r = await h.act(a, { unshelve: null });
      assert.equal(r.status, 409);
      assert.equal(r.body.conflictingRequest.message, `Cannot 'unshelve' instance ${a} while it is in vm_state active`);
      r = await cloud.request('POST', `/v2.1/servers/${a}/action`, { body: { shelveOffload: null } });
      assert.equal(r.status, 409);
      for (const id of [a, b]) assert.equal((await cloud.request('DELETE', `/v2.1/servers/${id}`, { token: T })).status, 204);
    });

    it('creates a snapshot image with the fake payload and Nova properties', async () => {
      const id = await h.boot('snappy');
      const r = await h.act(id, { createImage: { name: 'snap1', metadata: { purpose: 'test' } } });
      assert.equal(r.status, 202, r.text);
      assert.equal(r.text, '');
      await h.settled(id, 'ACTIVE');
      const imageId = (await imageByName(cloud, 'snap1')).id as string;
      const img = await waitImage(cloud, imageId, (st, b) => st === 200 && b.status === 'active');
      assert.equal(img.name, 'snap1');
      assert.equal(img.owner, 'proj1');
      assert.equal(img.image_type, 'snapshot');
      assert.equal(img.instance_uuid, id);
      assert.equal(img.user_id, 'alice');
      assert.equal(img.base_image_ref, image);
      assert.equal(img.purpose, 'test');
      assert.equal(img.disk_format, 'raw');
      assert.equal(img.container_format, 'bare');
      const file = await fetch(`${cloud.imageUrl}/v2/images/${imageId}/file`, { headers: { 'X-Auth-Token': T } });
      assert.equal(file.status, 200);
      const data = Buffer.from(await file.arrayBuffer());
      assert.equal(data.length, img.size);
      assert.ok(data.subarray(0, 64).toString('utf8').startsWith(`FAKE-SNAPSHOT 1\nuuid=${id}\n`));
      // Image metadata counts against metadata_items (default 128).
      const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));
      const over = await h.act(id, { createImage: { name: 'too-much', metadata: many } });
      assert.equal(over.status, 403, over.text);
      assert.equal(over.body.forbidden.message, 'Image metadata limit exceeded');
      // A stopped server can be snapshotted; a shelved one cannot.
      assert.equal((await h.act(id, { 'os-stop': null })).status, 202);
      await h.settled(id, 'SHUTOFF');
      assert.equal((await h.act(id, { createImage: { name: 'snap3' } })).status, 202);
      await h.settled(id, 'SHUTOFF');
      const actions = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: T });
      assert.equal(actions.status, 200);
      assert.ok(actions.body.instanceActions.some((a: { action: string }) => a.action === 'createImage'));
    });

    it('keeps the newest N backups (rotation)', async () => {
      const id = await h.boot('backed-up');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await h.act(id, { createBackup: { name: `bk${i}`, backup_type: 'daily', rotation: 2 } });
        assert.equal(r.status, 202, r.text);
        await h.settled(id, 'ACTIVE');
        const made = await imageByName(cloud, `bk${i}`);
        ids.push(made.id);
        await waitImage(cloud, made.id, (st, b) => st === 200 && b.status === 'active');
        await sleep(1100); // created_at has a one-second resolution
      }
      const backups = (await listImages(cloud)).filter((i) => i.instance_uuid === id && i.image_type === 'backup');
      assert.deepEqual(backups.map((b) => b.id).sort(), [ids[1], ids[2]].sort());
      assert.ok(backups.every((b) => b.backup_type === 'daily'));
      const r = await h.act(id, { createBackup: { name: 'bk', backup_type: 'daily', rotation: -1 } });
      assert.equal(r.status, 400);
    });

    it('rebuilds to another image (a stopped server stays stopped) and refuses wrong states', async () => {
      const id = await h.boot('rebuilt');
      let r = await h.act(id, { rebuild: { imageRef: image2, name: 'rebuilt-2', metadata: { a: 'b' } } });
      assert.equal(r.status, 202, r.text);
      assert.equal(r.body.server.id, id);
      assert.equal(r.body.server.name, 'rebuilt-2');
      assert.equal(r.body.server.image.id, image2);
      assert.equal(r.body.server.status, 'REBUILD');
      assert.deepEqual(r.body.server.metadata, { a: 'b' });
      let s = await h.settled(id, 'ACTIVE');
      assert.equal(s.image.id, image2);
      assert.equal(s['OS-EXT-STS:power_state'], 1);
      assert.equal((await h.act(id, { 'os-stop': null })).status, 202);
      await h.settled(id, 'SHUTOFF');
      assert.equal((await h.act(id, { rebuild: { imageRef: image } })).status, 202);
      s = await h.settled(id, 'SHUTOFF');
      assert.equal(s.image.id, image);
      assert.equal(s['OS-EXT-STS:power_state'], 4);
      r = await h.act(id, { rebuild: { imageRef: '11111111-2222-3333-4444-555555555555' } });
      assert.equal(r.status, 400);
      assert.equal(r.body.badRequest.message, 'Cannot find image for rebuild');
      assert.equal((await h.act(id, { pause: null })).status, 409);
      assert.equal((await h.act(id, { shelve: null })).status, 202);
      await h.settled(id, 'SHELVED_OFFLOADED');
      r = await h.act(id, { rebuild: { imageRef: image } });
      assert.equal(r.status, 409);
      assert.equal(r.body.conflictingRequest.message, `Cannot 'rebuild' instance ${id} while it is in vm_state shelved_offloaded`);
      r = await h.act(id, { createImage: { name: 'nope' } });
      assert.equal(r.status, 409);
      assert.equal(r.body.conflictingRequest.message, `Cannot 'createImage' instance ${id} while it is in vm_state shelved_offloaded`);
    });
  });

  describe(`server images with failures (${engine})`, () => {
    let cloud: Cloud;
    let image: string;
    let broken: string;
    let flavor: string;
    const h = helpers(() => cloud, () => image, () => flavor);

    before(async () => {
      cloud = await startCloud(engine, '[DEFAULT]\nshelved_offload_time = -1\n[fake_driver]\nvcpus = 8\nmemory_mb = 8192\nlocal_gb = 100\nfail_operations = snapshot\nfail_spawn_images = broken\n');
      await cloud.waitForCompute();
      image = await cloud.createImage('cirros');
      broken = await cloud.createImage('broken');
      flavor = await cloud.createFlavor('m1.tiny', 512, 1, 1);
    });
    after(async () => {
      await cloud?.stop();
    });

    it('a failed snapshot leaves a fault, no image and the server as it was', async () => {
      const id = await h.boot('snap-fails');
      const r = await h.act(id, { createImage: { name: 'doomed' } });
      assert.equal(r.status, 202, r.text);
      await waitActionError(cloud, id, 'createImage');
      const s = await h.settled(id, 'ACTIVE');
      assert.equal(s['OS-EXT-STS:power_state'], 1);
      assert.ok(!(await listImages(cloud)).some((i) => i.name === 'doomed'), 'the failed snapshot image is deleted');
    });

    it('a failed shelve leaves the server active and running', async () => {
      const id = await h.boot('shelve-fails');
      assert.equal((await h.act(id, { shelve: null })).status, 202);
      await waitActionError(cloud, id, 'shelve');
      const s = await h.settled(id, 'ACTIVE');
      assert.equal(s['OS-EXT-STS:power_state'], 1);
      assert.ok(!(await listImages(cloud)).some((i) => i.name === 'shelve-fails-shelved'));
    });

    it('a rebuild whose spawn fails puts the server in ERROR with a fault', async () => {
      const id = await h.boot('rebuild-fails');
      assert.equal((await h.act(id, { rebuild: { imageRef: broken } })).status, 202);
      const s = await cloud.waitServer(id, (x) => x?.status === 'ERROR' && x['OS-EXT-STS:task_state'] === null, { token: T });
      assert.ok(s.fault);
    });
  });
}
