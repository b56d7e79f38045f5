/**
 * The Compute API's images proxy (`/v2.1/images`, `/images/detail`, `/images/{id}`,
 * `/images/{id}/metadata`) through the real binary, on SQLite + in-process bus and on MariaDB +
 * RabbitMQ. The built-in image service backs it (ImageRepository in the API database); a second
 * process with `[glance] api_servers` pointing at the first one's image service checks
 * the Glance-client backend against the same images.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RABBIT_URL } from '../utils/buses';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';
import { createTestDatabases, Engine } from '../utils/databases';
import { NovaProcess, runNova, writeConf } from '../utils/nova-process';

const ALICE = 'alice:proj1';
const BOB = 'bob:proj2';
const SERVER = randomUUID();

/** A second nova whose image service is `glanceUrl` (so it starts no built-in one). */
async function startGlanceBackedApi(engine: Engine, glanceUrl: string): Promise<Cloud> {
  const dbs = await createTestDatabases(engine);
  const lines = ['[DEFAULT]', `state_path = ${dbs.statePath}`, 'osapi_compute_listen = 127.0.0.1', 'osapi_compute_listen_port = 0', 'graceful_shutdown_timeout = 5'];
  if (engine === 'mysql') lines.push(`transport_url = ${RABBIT_URL}`, `control_exchange = nova_img_${randomBytes(3).toString('hex')}`);
  lines.push('[api]', 'auth_strategy = noauth2', '[glance]', `api_servers = ${glanceUrl}`);
  if (engine === 'mysql') lines.push('[database]', `connection = ${dbs.main}`, '[api_database]', `connection = ${dbs.api}`);
  const conf = writeConf(dbs.statePath, 'nova.conf', lines.join('\n') + '\n');
  const sync = runNova(['db', 'sync', '--config-file', conf]);
  if (sync.code !== 0) throw new Error(`db sync failed: ${sync.stderr}`);
  const proc = new NovaProcess(['--role=all', '--config-file', conf, '--host', 'glanceapi']);
  const listening = /Compute API listening on http:\/\/127\.0\.0\.1:(\d+)\//;
  await proc.waitForOutput(listening, 60_000);
  return new Cloud(`http://127.0.0.1:${listening.exec(proc.output)![1]}`, conf, proc, dbs, glanceUrl);
}

/** Creates an image record (no data: it stays `queued`) with custom properties; returns its id. */
async function createQueuedImage(cloud: Cloud, token: string, body: Record<string, unknown>): Promise<string> {
  const r = await fetch(`${cloud.imageUrl}/v2/images`, { method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`image create: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { id: string }).id;
}

const ids = (r: { body: { images: Array<{ id: string }> } }) => r.body.images.map((i) => i.id).sort();

for (const engine of BACKENDS) {
  describe(`images proxy (${engine})`, () => {
    let cloud: Cloud;
    let glanceApi: Cloud;
    let cirros: string;
    let snap: string;
    let bobs: string;
    let community: string;

    before(async () => {
      cloud = await startCloud(engine);
      cirros = await cloud.createImage('cirros', { min_ram: 64, min_disk: 1 });
      snap = await createQueuedImage(cloud, ALICE, {
        name: 'snap1', visibility: 'private', disk_format: 'qcow2', container_format: 'bare', instance_uuid: SERVER, image_type: 'snapshot', auto_disk_config: 'False',
      });
      bobs = await createQueuedImage(cloud, BOB, { name: 'bobs', visibility: 'private' });
      community = await createQueuedImage(cloud, BOB, { name: 'bobcomm', visibility: 'community' });
      glanceApi = await startGlanceBackedApi(engine, cloud.imageUrl);
    });
    after(async () => {
      await glanceApi?.stop();
      await cloud?.stop();
    });

    it('lists what Glance would show: admin everything, others public, community and their own', async () => {
      const mine = await cloud.request('GET', '/v2.1/images', { token: ALICE });
      assert.equal(mine.status, 200, mine.text);
      assert.deepEqual(ids(mine), [cirros, snap, community].sort());
      const entry = mine.body.images.find((i: { id: string }) => i.id === cirros);
      assert.deepEqual(Object.keys(entry), ['id', 'name', 'links']);
      assert.equal(entry.name, 'cirros');
      assert.deepEqual(entry.links, [
        { rel: 'self', href: `${cloud.url}/v2.1/images/${cirros}` },
        { rel: 'bookmark', href: `${cloud.url}/images/${cirros}` },
        { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${cloud.imageUrl}/images/${cirros}` },
      ]);
      assert.deepEqual(ids(await cloud.request('GET', '/v2.1/images')), [cirros, snap, bobs, community].sort());
      assert.deepEqual(ids(await cloud.request('GET', '/v2.1/images/detail', { token: BOB })), [cirros, bobs, community].sort());
    });

    it('details: status and progress from Glance, size, dates, metadata, the server of a snapshot', async () => {
      const r = await cloud.request('GET', '/v2.1/images/detail', { token: ALICE });
      assert.equal(r.status, 200, r.text);
      const byId = new Map<string, any>(r.body.images.map((i: { id: string }) => [i.id, i])); // eslint-disable-line @typescript-eslint/no-explicit-any
      const c = byId.get(cirros);
      assert.equal(c.status, 'ACTIVE');
      assert.equal(c.progress, 100);
      assert.equal(c.minRam, 64);
      assert.equal(c.minDisk, 1);
      assert.equal(c['OS-EXT-IMG-SIZE:size'], 1024);
      assert.match(c.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.match(c.updated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(c.server, undefined);
      const s = byId.get(snap);
      assert.equal(s.status, 'SAVING');
      assert.equal(s.progress, 25);
      assert.equal(s['OS-EXT-IMG-SIZE:size'], 0);
      assert.deepEqual(s.metadata, { instance_uuid: SERVER, image_type: 'snapshot', auto_disk_config: 'False' });
      assert.deepEqual(s.server, { id: SERVER, links: [
        { rel: 'self', href: `${cloud.url}/v2.1/servers/${SERVER}` }, { rel: 'bookmark', href: `${cloud.url}/servers/${SERVER}` },
      ] });
      assert.equal(s['OS-DCF:diskConfig'], 'MANUAL');
    });

    it('filters by name, status, server, type, minRam, minDisk, property-* and changes-since', async () => {
      const get = async (qs: string) => {
        const r = await cloud.request('GET', `/v2.1/images/detail?${qs}`, { token: ALICE });
        assert.equal(r.status, 200, `${qs}: ${r.text}`);
        return ids(r);
      };
      assert.deepEqual(await get('name=cirros'), [cirros]);
      assert.deepEqual(await get('status=ACTIVE'), [cirros]);
      assert.deepEqual(await get('status=queued'), [snap, community].sort());
      assert.deepEqual(await get(`server=${encodeURIComponent(`${cloud.url}/v2.1/servers/${SERVER}`)}`), [snap]);
      assert.deepEqual(await get(`server=${SERVER}`), [snap]);
      assert.deepEqual(await get('type=snapshot'), [snap]);
      assert.deepEqual(await get('type=backup'), []);
      assert.deepEqual(await get('minRam=64'), [cirros]);
      assert.deepEqual(await get('minDisk=1&name=cirros'), [cirros]);
      assert.deepEqual(await get('property-image_type=snapshot'), [snap]);
      assert.deepEqual(await get('changes-since=2000-01-01T00:00:00Z'), [cirros, snap, community].sort());
      assert.deepEqual(await get('changes-since=2999-01-01T00:00:00Z'), []);
      for (const qs of ['minRam=lots', 'changes-since=yesterday', 'limit=0', 'limit=-1', 'limit=x', 'page_size=0']) {
        const r = await cloud.request('GET', `/v2.1/images?${qs}`, { token: ALICE });
        assert.equal(r.status, 400, `${qs}: ${r.text}`);
        assert.equal(r.body.badRequest.code, 400);
      }
    });

    it('pages with limit and marker, newest first, with an images_links next link', async () => {
      const all = (await cloud.request('GET', '/v2.1/images', { token: ALICE })).body.images.map((i: { id: string }) => i.id);
      assert.equal(all.length, 3);
      const first = await cloud.request('GET', '/v2.1/images/detail?limit=2', { token: ALICE });
      assert.deepEqual(first.body.images.map((i: { id: string }) => i.id), all.slice(0, 2));
      assert.equal(first.body.images_links.length, 1);
      assert.equal(first.body.images_links[0].rel, 'next');
      const next = new URL(first.body.images_links[0].href);
      assert.equal(next.pathname, '/v2.1/images/detail');
      assert.equal(next.searchParams.get('marker'), all[1]);
      assert.equal(next.searchParams.get('limit'), '2');
      const second = await cloud.request('GET', `/v2.1/images/detail${next.search}`, { token: ALICE });
      assert.deepEqual(second.body.images.map((i: { id: string }) => i.id), all.slice(2));
      assert.equal(second.body.images_links, undefined);
      const bad = await cloud.request('GET', `/v2.1/images?marker=${randomUUID()}`, { token: ALICE });
      assert.equal(bad.status, 400);
      assert.match(bad.body.badRequest.message, /^Marker .* could not be found\.$/);
    });

    it('shows an image; 404 "Image not found." for unknown or invisible ones', async () => {
      const r = await cloud.request('GET', `/v2.1/images/${snap}`, { token: ALICE });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.image.id, snap);
      assert.equal(r.body.image.name, 'snap1');
      for (const id of [bobs, randomUUID(), 'not-a-uuid']) {
        const nf = await cloud.request('GET', `/v2.1/images/${id}`, { token: ALICE });
        assert.equal(nf.status, 404, nf.text);
        assert.equal(nf.body.itemNotFound.message, 'Image not found.');
      }
      assert.equal((await cloud.request('GET', `/v2.1/images/${bobs}`)).status, 200);
    });

    it('manages image metadata: list, show, merge, set one, replace, delete, limits and errors', async () => {
      const base = `/v2.1/images/${snap}/metadata`;
      let r = await cloud.request('GET', base, { token: ALICE });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { metadata: { instance_uuid: SERVER, image_type: 'snapshot', auto_disk_config: 'False' } });
      r = await cloud.request('GET', `${base}/image_type`, { token: ALICE });
      assert.deepEqual(r.body, { meta: { image_type: 'snapshot' } });
      assert.equal((await cloud.request('GET', `${base}/nope`, { token: ALICE })).status, 404);
      r = await cloud.request('POST', base, { token: ALICE, body: { metadata: { os_distro: 'cirros', hw_disk_bus: 'virtio' } } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.metadata.os_distro, 'cirros');
      assert.equal(r.body.metadata.image_type, 'snapshot');
      r = await cloud.request('PUT', `${base}/os_distro`, { token: ALICE, body: { meta: { os_distro: 'ubuntu' } } });
      assert.deepEqual(r.body, { meta: { os_distro: 'ubuntu' } });
      r = await cloud.request('PUT', `${base}/os_distro`, { token: ALICE, body: { meta: { other: 'x' } } });
      assert.equal(r.status, 400);
      assert.equal(r.body.badRequest.message, 'Request body and URI mismatch');
      assert.equal((await cloud.request('PUT', `${base}/a`, { token: ALICE, body: { meta: { a: 'x', b: 'y' } } })).status, 400);
      assert.equal((await cloud.request('POST', base, { token: ALICE, body: { metadata: { k: 1 } } })).status, 400);
      assert.equal((await cloud.request('POST', base, { token: ALICE, body: { bogus: {} } })).status, 400);
      r = await cloud.request('DELETE', `${base}/hw_disk_bus`, { token: ALICE });
      assert.equal(r.status, 204, r.text);
      r = await cloud.request('DELETE', `${base}/hw_disk_bus`, { token: ALICE });
      assert.equal(r.status, 404);
      assert.equal(r.body.itemNotFound.message, 'Invalid metadata key');
      r = await cloud.request('GET', `/v2.1/images/${snap}`, { token: ALICE });
      assert.deepEqual(r.body.image.metadata, { instance_uuid: SERVER, image_type: 'snapshot', auto_disk_config: 'False', os_distro: 'ubuntu' });
      r = await cloud.request('PUT', base, { token: ALICE, body: { metadata: { instance_uuid: SERVER, only: 'this' } } });
      assert.deepEqual(r.body, { metadata: { instance_uuid: SERVER, only: 'this' } });
      assert.deepEqual((await cloud.request('GET', base, { token: ALICE })).body.metadata, { instance_uuid: SERVER, only: 'this' });
      // A Glance attribute is not a custom property; another project's image is not ours to change.
      assert.equal((await cloud.request('POST', base, { token: ALICE, body: { metadata: { name: 'x' } } })).status, 403);
      r = await cloud.request('POST', `/v2.1/images/${cirros}/metadata`, { token: ALICE, body: { metadata: { a: 'b' } } });
      assert.equal(r.status, 403);
      assert.equal(r.body.forbidden.message, `Not authorized for image ${cirros}.`);
      assert.equal((await cloud.request('GET', `/v2.1/images/${bobs}/metadata`, { token: ALICE })).status, 404);
      // The metadata_items quota bounds the resulting property count.
      assert.equal((await cloud.request('PUT', '/v2.1/os-quota-sets/proj1', { body: { quota_set: { metadata_items: 3 } } })).status, 200);
      r = await cloud.request('POST', base, { token: ALICE, body: { metadata: { a: '1', b: '2' } } });
      assert.equal(r.status, 403);
      assert.equal(r.body.forbidden.message, 'Image metadata limit exceeded');
      assert.equal((await cloud.request('PUT', base, { token: ALICE, body: { metadata: { a: '1', b: '2', c: '3' } } })).status, 200);
      assert.equal((await cloud.request('PUT', `${base}/d`, { token: ALICE, body: { meta: { d: '4' } } })).status, 403);
      assert.equal((await cloud.request('PUT', base, { token: ALICE, body: { metadata: { instance_uuid: SERVER, image_type: 'snapshot', auto_disk_config: 'False' } } })).status, 200);
    });

    it('proxies the same images through a Glance client when [glance] api_servers is set', async () => {
      const mine = await glanceApi.request('GET', '/v2.1/images/detail', { token: ALICE });
      assert.equal(mine.status, 200, mine.text);
      assert.deepEqual(ids(mine), [cirros, snap, community].sort());
      const direct = await cloud.request('GET', '/v2.1/images/detail', { token: ALICE });
      const strip = (imgs: Array<Record<string, unknown>>) => imgs.map(({ links, server, ...rest }) => { void links; void server; return rest; });
      assert.deepEqual(strip(mine.body.images), strip(direct.body.images));
      const s = mine.body.images.find((i: { id: string }) => i.id === snap);
      assert.equal(s.server.id, SERVER);
      assert.equal(s.links[2].href, `${cloud.imageUrl}/images/${snap}`);
      assert.deepEqual(ids(await glanceApi.request('GET', '/v2.1/images?type=snapshot', { token: ALICE })), [snap]);
      const page = await glanceApi.request('GET', '/v2.1/images?limit=1', { token: ALICE });
      assert.equal(page.body.images.length, 1);
      assert.ok(page.body.images_links[0].href.startsWith(`${glanceApi.url}/v2.1/images?`));
      assert.equal((await glanceApi.request('GET', `/v2.1/images/${bobs}`, { token: ALICE })).body.itemNotFound.message, 'Image not found.');
      // Metadata changes go through Glance's JSON patch, removals included.
      let r = await glanceApi.request('POST', `/v2.1/images/${snap}/metadata`, { token: ALICE, body: { metadata: { via: 'glance' } } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.metadata.via, 'glance');
      assert.equal((await glanceApi.request('DELETE', `/v2.1/images/${snap}/metadata/via`, { token: ALICE })).status, 204);
      assert.equal((await cloud.request('GET', `/v2.1/images/${snap}/metadata/via`, { token: ALICE })).status, 404);
      r = await glanceApi.request('PUT', `/v2.1/images/${cirros}/metadata/x`, { token: ALICE, body: { meta: { x: 'y' } } });
      assert.equal(r.status, 403, r.text);
      r = await glanceApi.request('DELETE', `/v2.1/images/${cirros}`, { token: ALICE });
      assert.equal(r.status, 403);
      assert.equal(r.body.forbidden.message, 'You are not allowed to delete the image.');
      const doomed = await createQueuedImage(cloud, ALICE, { name: 'doomed-g' });
      assert.equal((await glanceApi.request('DELETE', `/v2.1/images/${doomed}`, { token: ALICE })).status, 204);
      assert.equal((await glanceApi.request('DELETE', `/v2.1/images/${doomed}`, { token: ALICE })).status, 404);
      assert.equal((await cloud.request('GET', `/v2.1/images/${doomed}`, { token: ALICE })).status, 404);
    });

    it('deletes an image: 204 for its owner, 403 for others, 404 afterwards', async () => {
      let r = await cloud.request('DELETE', `/v2.1/images/${cirros}`, { token: ALICE });
      assert.equal(r.status, 403);
      assert.equal(r.body.forbidden.message, 'You are not allowed to delete the image.');
      assert.equal((await cloud.request('DELETE', `/v2.1/images/${bobs}`, { token: ALICE })).status, 404);
      const doomed = await cloud.createImage('doomed', { token: ALICE, visibility: 'private' });
      r = await cloud.request('DELETE', `/v2.1/images/${doomed}`, { token: ALICE });
      assert.equal(r.status, 204, r.text);
      assert.equal(r.text, '');
      r = await cloud.request('GET', `/v2.1/images/${doomed}`, { token: ALICE });
      assert.equal(r.status, 404);
      const file = await fetch(`${cloud.imageUrl}/v2/images/${doomed}`, { headers: { 'X-Auth-Token': ALICE } });
      assert.equal(file.status, 404);
      assert.equal((await cloud.request('DELETE', `/v2.1/images/${doomed}`, { token: ALICE })).status, 404);
      // Admin deletes anyone's.
      assert.equal((await cloud.request('DELETE', `/v2.1/images/${bobs}`)).status, 204);
    });
  });
}
