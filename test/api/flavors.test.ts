import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

for (const backend of BACKENDS) {
  describe(`flavors (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend);
    });
    after(async () => cloud?.stop());

    const create = (flavor: Record<string, unknown>, token = 'admin:admin') => cloud.request('POST', '/v2.1/flavors', { body: { flavor }, token });

    it('admin creates with "id": null (random uuid) or a given id; 2.1 shape; duplicates → 409', async () => {
      const r = await create({ name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1, id: null });
      assert.equal(r.status, 200);
      const f = r.body.flavor;
      assert.match(f.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(Object.keys(f).sort(), ['OS-FLV-DISABLED:disabled', 'OS-FLV-EXT-DATA:ephemeral', 'disk', 'id', 'links', 'name', 'os-flavor-access:is_public', 'ram', 'rxtx_factor', 'swap', 'vcpus']);
      assert.equal(f.swap, '', 'swap 0 renders as "" before 2.75');
      assert.equal(f.links[0].href, `${cloud.url}/v2.1/flavors/${f.id}`);
      const given = await create({ name: 'm1.small', ram: '2048', vcpus: '1', disk: 20, id: '2', swap: 512, 'OS-FLV-EXT-DATA:ephemeral': 5 });
      assert.equal(given.status, 200);
      assert.equal(given.body.flavor.id, '2');
      assert.equal(given.body.flavor.ram, 2048);
      assert.equal(given.body.flavor.swap, 512);
      const dupName = await create({ name: 'm1.tiny', ram: 512, vcpus: 1, disk: 1 });
      assert.deepEqual(dupName.body, { conflictingRequest: { code: 409, message: 'Flavor with name m1.tiny already exists.' } });
      const dupId = await create({ name: 'other', ram: 512, vcpus: 1, disk: 1, id: '2' });
      assert.deepEqual(dupId.body, { conflictingRequest: { code: 409, message: 'Flavor with ID 2 already exists.' } });
    });

    it('validation errors name the field; unknown fields are refused', async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ ram: 1, vcpus: 1, disk: 1 }, /'name' is a required property/],
        [{ name: 'x', ram: 0, vcpus: 1, disk: 1 }, /field\/attribute ram\. Value: 0\. 0 is less than the minimum of 1/],
        [{ name: 'x', ram: 'lots', vcpus: 1, disk: 1 }, /^Invalid input for field\/attribute ram\. Value: lots\. 'lots' does not match '\^\[0-9\]\+\$'$/],
        [{ name: 'x', ram: 1, vcpus: 1, disk: -1 }, /field\/attribute disk/],
        [{ name: 'x', ram: 1, vcpus: 1, disk: 1, color: 'red' }, /Additional properties are not allowed \('color' was unexpected\)/],
        [{ name: ' padded', ram: 1, vcpus: 1, disk: 1 }, /^An invalid 'name' value was provided\. The name must be: printable characters\. Can not start or end with whitespace\.$/],
        [{ name: 'x', ram: 1, vcpus: 1, disk: 1, id: 'bad/id' }, /field\/attribute id/],
      ];
      for (const [body, msg] of cases) {
        const r = await create(body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.match(r.body.badRequest.message, msg);
      }
      const noWrapper = await cloud.request('POST', '/v2.1/flavors', { body: { name: 'x' } });
      assert.equal(noWrapper.status, 400);
    });

    it('non-admins cannot manage flavors and never see private ones without access', async () => {
      assert.equal((await create({ name: 'nope', ram: 1, vcpus: 1, disk: 1 }, 'alice:p1')).status, 403);
      const priv = await create({ name: 'private1', ram: 64, vcpus: 1, disk: 0, 'os-flavor-access:is_public': false, id: 'priv1' });
      assert.equal(priv.body.flavor['os-flavor-access:is_public'], false);
      const names = async (token: string, q = '') => (await cloud.request('GET', `/v2.1/flavors${q}`, { token })).body.flavors.map((f: { name: string }) => f.name);
      assert.ok(!(await names('alice:p1')).includes('private1'));
      const add = await cloud.request('POST', '/v2.1/flavors/priv1/action', { body: { addTenantAccess: { tenant: 'p1' } } });
      assert.equal(add.status, 200);
      assert.deepEqual(add.body, { flavor_access: [{ flavor_id: 'priv1', tenant_id: 'p1' }] });
      assert.ok((await names('alice:p1')).includes('private1'));
      assert.ok(!(await names('bob:p2')).includes('private1'));
      assert.ok((await names('admin:admin', '?is_public=false')).includes('private1'));
      assert.ok(!(await names('admin:admin', '?is_public=false')).includes('m1.tiny'));
      assert.ok((await names('admin:admin', '?is_public=None')).length >= 3);
      const access = await cloud.request('GET', '/v2.1/flavors/priv1/os-flavor-access');
      assert.deepEqual(access.body.flavor_access, [{ flavor_id: 'priv1', tenant_id: 'p1' }]);
      const dup = await cloud.request('POST', '/v2.1/flavors/priv1/action', { body: { addTenantAccess: { tenant: 'p1' } } });
      assert.equal(dup.status, 409);
    });

    it('pages with limit/marker and flavors_links; filters by minRam; bad marker → 400', async () => {
      const page1 = await cloud.request('GET', '/v2.1/flavors?limit=1&is_public=None');
      assert.equal(page1.body.flavors.length, 1);
      const next = new URL(page1.body.flavors_links[0].href);
      assert.equal(next.searchParams.get('limit'), '1');
      const page2 = await cloud.request('GET', next.pathname + next.search);
      assert.equal(page2.body.flavors.length, 1);
      assert.notEqual(page2.body.flavors[0].id, page1.body.flavors[0].id);
      const big = await cloud.request('GET', '/v2.1/flavors/detail?minRam=1024');
      assert.ok(big.body.flavors.every((f: { ram: number }) => f.ram >= 1024));
      const bad = await cloud.request('GET', '/v2.1/flavors?marker=nosuch');
      assert.equal(bad.status, 400);
      assert.equal((await cloud.request('GET', '/v2.1/flavors?minRam=abc')).status, 400);
    });

    it('extra specs: set, show one, update one (URL and body must agree), delete', async () => {
      const set = await cloud.request('POST', '/v2.1/flavors/2/os-extra_specs', { body: { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:disk_read_bytes_sec': 1000 } } });
      assert.equal(set.status, 200);
      const all = await cloud.request('GET', '/v2.1/flavors/2/os-extra_specs', { token: 'alice:p1' });
      assert.deepEqual(all.body, { extra_specs: { 'hw:cpu_policy': 'dedicated', 'quota:disk_read_bytes_sec': '1000' } });
      const one = await cloud.request('GET', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy');
      assert.deepEqual(one.body, { 'hw:cpu_policy': 'dedicated' });
      const mismatch = await cloud.request('PUT', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy', { body: { 'hw:other': 'x' } });
      assert.equal(mismatch.status, 400);
      const upd = await cloud.request('PUT', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy', { body: { 'hw:cpu_policy': 'shared' } });
      assert.deepEqual(upd.body, { 'hw:cpu_policy': 'shared' });
      assert.equal((await cloud.request('DELETE', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy')).status, 200);
      const gone = await cloud.request('GET', '/v2.1/flavors/2/os-extra_specs/hw:cpu_policy');
      assert.equal(gone.status, 404);
      assert.equal((await cloud.request('POST', '/v2.1/flavors/2/os-extra_specs', { token: 'alice:p1', body: { extra_specs: { a: 'b' } } })).status, 403);
    });

    it('extra specs and access bodies: Nova\'s messages, bare at the body root', async () => {
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', '/v2.1/flavors/2/os-extra_specs', { extra_specs: { a: 'b' }, x: 1 }, "Additional properties are not allowed ('x' was unexpected)"],
        ['POST', '/v2.1/flavors/2/os-extra_specs', { extra_specs: { 'a/b': 1 } }, "Invalid input for field/attribute extra_specs. Value: {'a/b': 1}. 'a/b' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'"],
        ['POST', '/v2.1/flavors/2/os-extra_specs', { extra_specs: { k: [] } }, "Invalid input for field/attribute k. Value: []. [] is not of type 'string', 'number'"],
        ['PUT', '/v2.1/flavors/2/os-extra_specs/k', { k: 'v', j: 'w' }, "{'k': 'v', 'j': 'w'} has too many properties"],
        ['PUT', '/v2.1/flavors/2/os-extra_specs/k', {}, '{} does not have enough properties'],
        ['PUT', '/v2.1/flavors/2/os-extra_specs/k', { 'a/b': 'v' }, "'a/b' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'"],
        ['POST', '/v2.1/flavors/2/action', { addTenantAccess: { tenant: '' } }, "Invalid input for field/attribute tenant. Value: . '' is too short"],
        ['POST', '/v2.1/flavors/2/action', { addTenantAccess: { tenant: 'p', x: 1 } }, "Invalid input for field/attribute addTenantAccess. Value: {'tenant': 'p', 'x': 1}. Additional properties are not allowed ('x' was unexpected)"],
      ];
      for (const [method, path, body, message] of cases) {
        const r = await cloud.request(method, path, { body });
        assert.deepEqual(r.body, { badRequest: { code: 400, message } }, `${method} ${path} ${JSON.stringify(body)}`);
      }
    });

    it('delete answers 202 and the flavor is gone; unknown flavor → 404 itemNotFound', async () => {
      const made = await create({ name: 'doomed', ram: 1, vcpus: 1, disk: 0, id: 'doomed' });
      assert.equal(made.status, 200);
      assert.equal((await cloud.request('DELETE', '/v2.1/flavors/doomed')).status, 202);
      const r = await cloud.request('GET', '/v2.1/flavors/doomed');
      assert.deepEqual(r.body, { itemNotFound: { code: 404, message: 'Flavor doomed could not be found.' } });
    });
  });
}
