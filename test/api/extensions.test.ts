import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

const EXT_KEYS = ['alias', 'description', 'links', 'name', 'namespace', 'updated'];

for (const backend of BACKENDS) {
  describe(`extensions and removed APIs (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend);
    });
    after(async () => cloud?.stop());

    it("GET /extensions lists Nova's 99 frozen legacy extensions to any user", async () => {
      const r = await cloud.request('GET', '/v2.1/extensions', { token: 'zed:pz' });
      assert.equal(r.status, 200);
      const exts = r.body.extensions;
      assert.equal(exts.length, 99);
      for (const e of exts) {
        assert.deepEqual(Object.keys(e).sort(), EXT_KEYS);
        assert.deepEqual(e.links, []);
        assert.equal(e.namespace, 'http://docs.openstack.org/compute/ext/fake_xml');
        assert.equal(e.updated, '2014-12-03T00:00:00Z');
      }
      assert.deepEqual(exts.slice(0, 3).map((e: { alias: string }) => e.alias), ['NMN', 'OS-DCF', 'OS-EXT-AZ']);
      assert.equal(new Set(exts.map((e: { alias: string }) => e.alias)).size, 99);
      for (const alias of ['OS-EXT-SRV-ATTR', 'OS-EXT-STS', 'os-keypairs', 'os-server-groups', 'os-aggregates']) {
        assert.ok(exts.some((e: { alias: string }) => e.alias === alias), alias);
      }
    });

    it('GET /extensions/{alias} shows one, with Nova\'s description; unknown → 404', async () => {
      const r = await cloud.request('GET', '/v2.1/extensions/OS-DCF', { token: 'zed:pz' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        extension: {
          alias: 'OS-DCF', description: 'Disk Management Extension.', links: [], name: 'DiskConfig',
          namespace: 'http://docs.openstack.org/compute/ext/fake_xml', updated: '2014-12-03T00:00:00Z',
        },
      });
      const az = await cloud.request('GET', '/v2.1/extensions/OS-EXT-AZ');
      assert.equal(az.body.extension.description, 'Extended Availability Zone support.');
      const missing = await cloud.request('GET', '/v2.1/extensions/os-nothing');
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
      const caseMatters = await cloud.request('GET', '/v2.1/extensions/os-dcf');
      assert.equal(caseMatters.status, 404);
    });

    it('removed APIs answer 410 computeFault', async () => {
      const gone = { computeFault: { code: 410, message: 'This resource is no longer available. No forwarding address is given.' } };
      for (const [method, path] of [['GET', '/v2.1/os-agents'], ['POST', '/v2.1/os-cells'], ['GET', '/v2.1/os-fping/x'], ['DELETE', '/v2.1/os-fixed-ips/1']]) {
        const r = await cloud.request(method, path);
        assert.equal(r.status, 410, `${method} ${path}`);
        assert.deepEqual(r.body, gone);
      }
    });
  });
}
