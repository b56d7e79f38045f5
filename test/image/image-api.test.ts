import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES } from '../utils/databases';
import { ImageFixture, Json, startImageFixture } from './image-fixture';

const PATCH = 'application/openstack-images-v2.1-json-patch';

for (const engine of ENGINES) {
  describe(`built-in image API on ${engine}`, () => {
    let f: ImageFixture;
    before(async () => {
      f = await startImageFixture(engine);
    });
    after(async () => {
      await f?.stop();
    });

    it('serves the version document', async () => {
      const r = await f.req('GET', '/versions');
      assert.equal(r.status, 200);
      const body = await r.json() as Json;
      assert.equal(body.versions[0].status, 'CURRENT');
      assert.match(body.versions[0].links[0].href, /\/v2\/$/);
      assert.equal((await f.req('GET', '/')).status, 300);
    });

    it('creates (201), uploads (204), shows, downloads and deletes (204) an image', async () => {
      let r = await f.req('POST', '/v2/images', { token: 'alice:proj1', json: { name: 'img1', disk_format: 'raw', container_format: 'bare', foo: 'bar', tags: ['a'] } });
      assert.equal(r.status, 201);
      const img = await r.json() as Json;
      assert.match(img.id, /^[0-9a-f-]{36}$/);
      assert.equal(r.headers.get('location'), `/v2/images/${img.id}`);
      assert.deepEqual(
        { status: img.status, visibility: img.visibility, owner: img.owner, protected: img.protected, size: img.size, checksum: img.checksum, foo: img.foo, tags: img.tags, self: img.self, file: img.file, schema: img.schema, min_ram: img.min_ram, os_hidden: img.os_hidden },
        { status: 'queued', visibility: 'shared', owner: 'proj1', protected: false, size: null, checksum: null, foo: 'bar', tags: ['a'], self: `/v2/images/${img.id}`, file: `/v2/images/${img.id}/file`, schema: '/v2/schemas/image', min_ram: 0, os_hidden: false },
      );
      assert.match(img.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

      const data = randomBytes(300_000);
      r = await f.req('PUT', `/v2/images/${img.id}/file`, { token: 'alice:proj1', body: data, type: 'application/octet-stream' });
      assert.equal(r.status, 204, await r.text());
      r = await f.req('GET', `/v2/images/${img.id}`, { token: 'alice:proj1' });
      const shown = await r.json() as Json;
      assert.equal(shown.status, 'active');
      assert.equal(shown.size, data.length);
      assert.equal(shown.virtual_size, data.length);
      assert.equal(shown.checksum, createHash('md5').update(data).digest('hex'));
      assert.equal(shown.os_hash_algo, 'sha512');
      assert.equal(shown.os_hash_value, createHash('sha512').update(data).digest('hex'));
      assert.deepEqual(readdirSync(f.imageDir), [img.id], 'no temporary files left');

      r = await f.req('GET', `/v2/images/${img.id}/file`, { token: 'alice:proj1' });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-md5'), shown.checksum);
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(data));

      r = await f.req('PUT', `/v2/images/${img.id}/file`, { token: 'alice:proj1', body: data, type: 'application/octet-stream' });
      assert.equal(r.status, 409);
      assert.match((await r.json() as Json).message, /from active to saving is not allowed/);

      r = await f.req('DELETE', `/v2/images/${img.id}`, { token: 'alice:proj1' });
      assert.equal(r.status, 204);
      assert.equal((await f.req('GET', `/v2/images/${img.id}`)).status, 404);
      assert.equal(existsSync(join(f.imageDir, img.id)), false);
    });

    it('refuses read-only and reserved attributes (403), bad formats (400), upload before formats (400)', async () => {
      let r = await f.req('POST', '/v2/images', { json: { name: 'x', status: 'active' } });
      assert.equal(r.status, 403);
      assert.equal((await r.json() as Json).message, "Attribute 'status' is read-only.");
      r = await f.req('POST', '/v2/images', { json: { name: 'x', deleted: true } });
      assert.equal(r.status, 403);
      r = await f.req('POST', '/v2/images', { json: { name: 'x', disk_format: 'floppy' } });
      assert.equal(r.status, 400);
      r = await f.req('POST', '/v2/images', { json: { name: 'x', visibility: 'everyone' } });
      assert.equal(r.status, 400);
      r = await f.req('POST', '/v2/images', { json: { name: 'noformats' } });
      const id = (await r.json() as Json).id;
      r = await f.req('PUT', `/v2/images/${id}/file`, { body: 'abc', type: 'application/octet-stream' });
      assert.equal(r.status, 400);
      assert.match((await r.json() as Json).message, /disk_format, container_format must be set/);
      assert.equal((await (await f.req('GET', `/v2/images/${id}`)).json() as Json).status, 'queued');
      r = await f.req('GET', `/v2/images/${id}/file`);
      assert.equal(r.status, 204);
    });

    it('patches with JSON patch (200), refusing other media types (415) and read-only paths (403)', async () => {
      let r = await f.req('POST', '/v2/images', { token: 'alice:proj1', json: { name: 'p1', gone: 'soon' } });
      const id = (await r.json() as Json).id;
      r = await f.req('PATCH', `/v2/images/${id}`, {
        token: 'alice:proj1', type: PATCH,
        json: [{ op: 'replace', path: '/name', value: 'p2' }, { op: 'add', path: '/foo', value: 'bar' }, { op: 'remove', path: '/gone' },
          { op: 'replace', path: '/min_ram', value: 512 }, { op: 'add', path: '/visibility', value: 'private' }],
      });
      assert.equal(r.status, 200);
      const img = await r.json() as Json;
      assert.deepEqual([img.name, img.foo, 'gone' in img, img.min_ram, img.visibility], ['p2', 'bar', false, 512, 'private']);
      r = await f.req('PATCH', `/v2/images/${id}`, { token: 'alice:proj1', json: [{ op: 'replace', path: '/name', value: 'x' }] });
      assert.equal(r.status, 415);
      r = await f.req('PATCH', `/v2/images/${id}`, { token: 'alice:proj1', type: PATCH, json: [{ op: 'replace', path: '/status', value: 'active' }] });
      assert.equal(r.status, 403);
      r = await f.req('PATCH', `/v2/images/${id}`, { token: 'alice:proj1', type: PATCH, json: [{ op: 'remove', path: '/nothere' }] });
      assert.equal(r.status, 409);
      r = await f.req('PATCH', `/v2/images/${id}`, { token: 'alice:proj1', type: PATCH, json: [{ op: 'replace', path: '/visibility', value: 'public' }] });
      assert.equal(r.status, 403, 'only admins publicize');
      r = await f.req('PATCH', `/v2/images/${id}`, { token: 'bob:proj2', type: PATCH, json: [{ op: 'replace', path: '/name', value: 'x' }] });
      assert.equal(r.status, 404, 'a private image of another project is not found');
    });

    it('applies visibility by project; admin sees all; protected images are not deleted', async () => {
      const mk = async (token: string, body: Record<string, unknown>) => (await (await f.req('POST', '/v2/images', { token, json: body })).json() as Json).id as string;
      const pub = await mk('admin:admin', { name: 'vis-pub', visibility: 'public', protected: true });
      const priv = await mk('alice:proj1', { name: 'vis-priv', visibility: 'private' });
      const shared = await mk('alice:proj1', { name: 'vis-shared' });
      const names = async (token: string) => ((await (await f.req('GET', '/v2/images?limit=1000', { token })).json() as Json).images as Array<{ id: string }>).map((i) => i.id);
      const bob = await names('bob:proj2');
      assert.ok(bob.includes(pub) && !bob.includes(priv) && !bob.includes(shared));
      const alice = await names('alice:proj1');
      assert.ok(alice.includes(pub) && alice.includes(priv) && alice.includes(shared));
      const admin = await names('admin:admin');
      assert.ok(admin.includes(pub) && admin.includes(priv) && admin.includes(shared));
      assert.equal((await f.req('GET', `/v2/images/${priv}`, { token: 'bob:proj2' })).status, 404);
      assert.equal((await f.req('GET', `/v2/images/${pub}`, { token: 'bob:proj2' })).status, 200);
      assert.equal((await f.req('DELETE', `/v2/images/${pub}`, { token: 'bob:proj2' })).status, 403);
      let r = await f.req('DELETE', `/v2/images/${pub}`);
      assert.equal(r.status, 403);
      assert.match((await r.json() as Json).message, /is protected and cannot be deleted/);
      r = await f.req('POST', '/v2/images', { token: 'alice:proj1', json: { name: 'x', visibility: 'public' } });
      assert.equal(r.status, 403);
      r = await f.req('GET', '/v2/images', { token: null });
      assert.equal(r.status, 401);
      // noauth2: no identity service to announce.
      assert.equal(r.headers.get('www-authenticate'), null);
    });

    it('filters, sorts and pages with marker and next as Glance', async () => {
      for (const n of ['pg-c', 'pg-a', 'pg-b']) await f.req('POST', '/v2/images', { token: 'carol:proj3', json: { name: n } });
      const r = await f.req('GET', '/v2/images?sort_key=name&sort_dir=asc&limit=2&visibility=shared', { token: 'carol:proj3' });
      const page1 = await r.json() as Json;
      assert.deepEqual(page1.images.map((i: { name: string }) => i.name), ['pg-a', 'pg-b']);
      assert.equal(page1.first, '/v2/images');
      assert.match(page1.next, /^\/v2\/images\?.*marker=/);
      const page2 = await (await f.req('GET', page1.next, { token: 'carol:proj3' })).json() as Json;
      assert.deepEqual(page2.images.map((i: { name: string }) => i.name), ['pg-c']);
      assert.equal(page2.next, undefined);
      const byName = await (await f.req('GET', '/v2/images?name=pg-b', { token: 'carol:proj3' })).json() as Json;
      assert.equal(byName.images.length, 1);
      const queued = await (await f.req('GET', '/v2/images?status=active', { token: 'carol:proj3' })).json() as Json;
      assert.equal(queued.images.length, 0);
      assert.equal((await f.req('GET', '/v2/images?sort_key=bogus', { token: 'carol:proj3' })).status, 400);
      assert.equal((await f.req('GET', '/v2/images?marker=00000000-0000-0000-0000-000000000000', { token: 'carol:proj3' })).status, 400);
    });

    it('renders errors as webob does: JSON when accepted, plain text otherwise', async () => {
      const id = '11111111-2222-3333-4444-555555555555';
      let r = await f.req('GET', `/v2/images/${id}`);
      assert.deepEqual(await r.json() as Json, { message: `No image found with ID ${id}`, code: '404 Not Found', title: 'Not Found' });
      r = await f.req('GET', `/v2/images/${id}`, { accept: 'text/plain' });
      assert.equal(r.status, 404);
      assert.match(await r.text(), new RegExp(`^404 Not Found\\n\\nNo image found with ID ${id}`));
    });
  });
}
