import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

const REQ_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

for (const backend of BACKENDS) {
  describe(`Compute API HTTP edge (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend);
    });
    after(async () => cloud?.stop());

    it('GET / lists v2.0 and v2.1 without a token and without request ids', async () => {
      const r = await cloud.request('GET', '/', { token: null });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.versions.map((v: { id: string }) => v.id), ['v2.0', 'v2.1']);
      const v21 = r.body.versions[1];
      assert.equal(v21.status, 'CURRENT');
      assert.equal(v21.min_version, '2.1');
      assert.match(v21.version, /^2\.\d+$/);
      assert.equal(v21.links[0].href, `${cloud.url}/v2.1/`);
      assert.equal(r.headers.get('x-openstack-request-id'), null);
    });

    it('GET /v2.1 is the version document, with microversion and request-id headers', async () => {
      for (const path of ['/v2.1', '/v2.1/']) {
        const r = await cloud.request('GET', path, { token: null });
        assert.equal(r.status, 200);
        assert.equal(r.body.version.id, 'v2.1');
        assert.deepEqual(r.body.version['media-types'], [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }]);
        assert.equal(r.headers.get('openstack-api-version'), 'compute 2.1');
        assert.equal(r.headers.get('x-openstack-nova-api-version'), '2.1');
        assert.equal(r.headers.get('vary'), 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
        assert.match(r.headers.get('x-compute-request-id') ?? '', REQ_ID);
        assert.equal(r.headers.get('x-compute-request-id'), r.headers.get('x-openstack-request-id'));
      }
    });

    it('no token → 401 in keystonemiddleware shape, with request ids', async () => {
      const r = await cloud.request('GET', '/v2.1/os-services', { token: null });
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
      assert.match(r.headers.get('x-openstack-request-id') ?? '', REQ_ID);
    });

    it('negotiates microversions from both headers; malformed → 400, out of range → 406 echoing the request', async () => {
      const latest = await cloud.request('GET', '/v2.1', { token: null });
      const max = latest.body.version.version;
      const viaLatest = await cloud.request('GET', '/v2.1/os-services', { version: 'latest' });
      assert.equal(viaLatest.headers.get('openstack-api-version'), `compute ${max}`);
      const legacy = await cloud.request('GET', '/v2.1/os-services', { headers: { 'X-OpenStack-Nova-API-Version': '2.1' } });
      assert.equal(legacy.status, 200);
      assert.equal(legacy.headers.get('x-openstack-nova-api-version'), '2.1');
      const other = await cloud.request('GET', '/v2.1/os-services', { headers: { 'OpenStack-API-Version': 'volume 3.0', 'X-OpenStack-Nova-API-Version': '2.1' } });
      assert.equal(other.status, 200);

      const bad = await cloud.request('GET', '/v2.1/os-services', { version: '2.x' });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body, { badRequest: { code: 400, message: 'API Version String 2.x is of invalid format. Must be of format MajorNum.MinorNum.' } });
      assert.equal(bad.headers.get('openstack-api-version'), null);
      assert.equal(bad.headers.get('content-type'), 'application/json; charset=UTF-8');

      const high = await cloud.request('GET', '/v2.1/os-services', { version: '3.0' });
      assert.equal(high.status, 406);
      assert.deepEqual(high.body, { computeFault: { code: 406, message: `Version 3.0 is not supported by the API. Minimum is 2.1 and maximum is ${max}.` } });
      assert.equal(high.headers.get('openstack-api-version'), 'compute 3.0');
    });

    it('routes the legacy /v2.1/{project_id}/ form and refuses another project id', async () => {
      const ok = await cloud.request('GET', '/v2.1/0123abcd/os-services', { token: 'admin:0123abcd' });
      assert.equal(ok.status, 200);
      const doc = await cloud.request('GET', '/v2.1/0123abcd/', { token: 'admin:0123abcd' });
      assert.equal(doc.status, 200);
      const wrong = await cloud.request('GET', '/v2.1/0123abcd/os-services', { token: 'admin:ffff' });
      assert.equal(wrong.status, 400);
      assert.match(wrong.body.badRequest.message, /URL's project_id '0123abcd' doesn't match Context's project_id 'ffff'/);
    });

    it('unrouted paths: plain-text 404 under /v2.1, 300 choices elsewhere', async () => {
      const r = await cloud.request('GET', '/v2.1/nosuch');
      assert.equal(r.status, 404);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      assert.match(r.text, /^404 Not Found/);
      const m = await cloud.request('PATCH', '/v2.1/os-services');
      assert.equal(m.status, 404);
      const c = await cloud.request('GET', '/foo', { token: null });
      assert.equal(c.status, 300);
      assert.deepEqual(c.body.choices.map((x: { id: string }) => x.id), ['v2.0', 'v2.1']);
    });

    it('bodies: not JSON → 400 Malformed request body; another content type → 415', async () => {
      const malformed = await cloud.request('PUT', '/v2.1/os-services/enable', { rawBody: '{"host": ', headers: { 'Content-Type': 'application/json' } });
      assert.equal(malformed.status, 400);
      assert.deepEqual(malformed.body, { badRequest: { code: 400, message: 'Malformed request body' } });
      const text = await cloud.request('PUT', '/v2.1/os-services/enable', { rawBody: 'host=x', headers: { 'Content-Type': 'text/plain' } });
      assert.equal(text.status, 415);
      assert.deepEqual(text.body, { badMediaType: { code: 415, message: 'Unsupported Content-Type' } });
    });

    it('policy: a non-admin gets 403 with the rule name', async () => {
      const r = await cloud.request('GET', '/v2.1/os-services', { token: 'alice:proj1' });
      assert.equal(r.status, 403);
      assert.deepEqual(r.body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-services:list to be performed." } });
    });
  });
}
