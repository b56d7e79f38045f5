/**
 * Sends thousands of malformed requests (random JSON, wrong types, huge strings, unknown fields,
 * bad headers and query strings) to every route: none may answer 5xx, and every 4xx must be in
 * Nova's format. Seeded, so a failure names the seed and case that reproduce it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/scheduler/filter-scheduler';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

const ROUTES: Array<[string, string]> = [
  ['GET', '/v2.1'], ['GET', '/v2.1/extensions'], ['GET', '/v2.1/extensions/{s}'],
  ['GET', '/v2.1/flavors'], ['GET', '/v2.1/flavors/detail'], ['POST', '/v2.1/flavors'], ['GET', '/v2.1/flavors/{id}'],
  ['PUT', '/v2.1/flavors/{id}'], ['DELETE', '/v2.1/flavors/{id}'], ['POST', '/v2.1/flavors/{id}/action'],
  ['GET', '/v2.1/flavors/{id}/os-flavor-access'], ['GET', '/v2.1/flavors/{id}/os-extra_specs'], ['POST', '/v2.1/flavors/{id}/os-extra_specs'],
  ['GET', '/v2.1/flavors/{id}/os-extra_specs/{s}'], ['PUT', '/v2.1/flavors/{id}/os-extra_specs/{s}'], ['DELETE', '/v2.1/flavors/{id}/os-extra_specs/{s}'],
  ['GET', '/v2.1/os-keypairs'], ['POST', '/v2.1/os-keypairs'], ['GET', '/v2.1/os-keypairs/{s}'], ['DELETE', '/v2.1/os-keypairs/{s}'],
  ['GET', '/v2.1/limits'], ['GET', '/v2.1/os-quota-sets/{s}'], ['PUT', '/v2.1/os-quota-sets/{s}'], ['DELETE', '/v2.1/os-quota-sets/{s}'],
  ['GET', '/v2.1/os-quota-sets/{s}/detail'], ['GET', '/v2.1/os-quota-sets/{s}/defaults'],
  ['GET', '/v2.1/os-quota-class-sets/{s}'], ['PUT', '/v2.1/os-quota-class-sets/{s}'],
  ['GET', '/v2.1/os-services'], ['PUT', '/v2.1/os-services/{s}'], ['DELETE', '/v2.1/os-services/{id}'],
  ['GET', '/v2.1/os-hypervisors'], ['GET', '/v2.1/os-hypervisors/detail'], ['GET', '/v2.1/os-hypervisors/statistics'],
  ['GET', '/v2.1/os-hypervisors/{id}'], ['GET', '/v2.1/os-hypervisors/{id}/uptime'], ['GET', '/v2.1/os-hypervisors/{s}/search'],
  ['GET', '/v2.1/os-availability-zone'], ['GET', '/v2.1/os-availability-zone/detail'],
  ['GET', '/v2.1/os-aggregates'], ['POST', '/v2.1/os-aggregates'], ['GET', '/v2.1/os-aggregates/{id}'], ['PUT', '/v2.1/os-aggregates/{id}'],
  ['DELETE', '/v2.1/os-aggregates/{id}'], ['POST', '/v2.1/os-aggregates/{id}/action'],
  ['GET', '/v2.1/os-server-groups'], ['POST', '/v2.1/os-server-groups'], ['GET', '/v2.1/os-server-groups/{s}'], ['DELETE', '/v2.1/os-server-groups/{s}'],
  ['GET', '/v2.1/servers'], ['GET', '/v2.1/servers/detail'], ['POST', '/v2.1/servers'], ['GET', '/v2.1/servers/{srv}'],
  ['PUT', '/v2.1/servers/{srv}'], ['DELETE', '/v2.1/servers/{s}'], ['POST', '/v2.1/servers/{srv}/action'],
  ['GET', '/v2.1/servers/{srv}/metadata'], ['POST', '/v2.1/servers/{srv}/metadata'], ['PUT', '/v2.1/servers/{srv}/metadata'],
  ['GET', '/v2.1/servers/{srv}/metadata/{s}'], ['PUT', '/v2.1/servers/{srv}/metadata/{s}'], ['DELETE', '/v2.1/servers/{srv}/metadata/{s}'],
  ['GET', '/v2.1/servers/{srv}/tags'], ['PUT', '/v2.1/servers/{srv}/tags/{s}'], ['GET', '/v2.1/servers/{srv}/ips'],
  ['GET', '/v2.1/servers/{srv}/ips/{s}'], ['GET', '/v2.1/servers/{srv}/os-instance-actions'], ['GET', '/v2.1/servers/{srv}/os-instance-actions/{s}'],
  ['GET', '/v2.1/servers/{srv}/migrations'], ['GET', '/v2.1/os-migrations'], ['GET', '/v2.1/os-simple-tenant-usage'],
  ['GET', '/v2.1/os-simple-tenant-usage/{s}'],
  ['GET', '/v2.1/images'], ['GET', '/v2.1/images/detail'], ['GET', '/v2.1/images/{s}'], ['DELETE', '/v2.1/images/{s}'],
  ['GET', '/v2.1/images/{id}/metadata'], ['POST', '/v2.1/images/{id}/metadata'], ['PUT', '/v2.1/images/{id}/metadata'],
  ['GET', '/v2.1/images/{id}/metadata/{s}'], ['PUT', '/v2.1/images/{id}/metadata/{s}'], ['DELETE', '/v2.1/images/{id}/metadata/{s}'],
  ['POST', '/v2.1/servers/{srv}/remote-consoles'], ['GET', '/v2.1/os-console-auth-tokens/{s}'],
  ['GET', '/v2.1/os-agents'], ['GET', '/v2.1/nonexistent/{s}'],
];
const CASES_PER_ROUTE = 30;

/** Percent-encodes; a lone surrogate becomes its raw (invalid UTF-8) bytes, which servers must survive too. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
}

function generator(seed: number) {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const str = (): string =>
    pick([
      '', ' ', 'a', 'x'.repeat(300), 'ü\u0000\u202e', '../../etc/passwd', "'; DROP TABLE flavors; --", '%(project_id)s', '${DEFAULT.host}',
      '1', '-1', '99999999999999999999', '1e309', 'null', 'true', '{"a":', 'm1.tiny', 'admin', '2.1', 'latest', '\ud800',
    ]);
  const value = (depth = 0): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.2) return str();
    if (r < 0.35) return pick([0, -1, 1, 2 ** 31, 2 ** 53, -(2 ** 63), 1.5, NaN, Infinity].map((n) => (Number.isFinite(n) ? n : String(n))));
    if (r < 0.45) return pick([true, false, null]);
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    const keys = ['name', 'ram', 'vcpus', 'disk', 'id', 'flavor', 'keypair', 'public_key', 'quota_set', 'aggregate', 'server_group', 'policies',
      'policy', 'rules', 'host', 'binary', 'status', 'forced_down', 'add_host', 'set_metadata', 'metadata', 'extra_specs', 'addTenantAccess',
      'tenant', 'description', 'availability_zone', 'disabled_reason', '__proto__', 'constructor', 'imageRef', 'flavorRef', 'min_count',
      'max_count', 'networks', 'block_device_mapping_v2', 'user_data', 'key_name', 'os-start', 'os-stop', 'reboot', 'type', 'resize', 'rebuild',
      'createImage', 'createBackup', 'rotation', 'backup_type', 'lock', 'locked_reason', 'os-resetState', 'state', 'meta', 'tags', 'changes-since', str()];
    return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, () => [pick(keys), value(depth + 1)]));
  };
  const wrapped = (): unknown => {
    const w = pick(['flavor', 'keypair', 'quota_set', 'quota_class_set', 'aggregate', 'server_group', 'extra_specs', 'add_host', 'remove_host', 'set_metadata', 'addTenantAccess', 'status',
      'server', 'metadata', 'meta', 'tags', 'os-start', 'reboot', 'resize', 'rebuild', 'createImage', 'createBackup', 'lock', 'os-resetState', 'migrate', 'evacuate', 'shelve', 'unshelve']);
    return rnd() < 0.7 ? { [w]: value(1) } : value();
  };
  return {
    rnd,
    pick,
    str,
    body(): { raw?: string; json?: unknown; type?: string } {
      const r = rnd();
      if (r < 0.1) return { raw: pick(['{', '[1,', 'not json', '\u0000', '{"a":1}}', '"just a string"', 'x'.repeat(2_000_000)]), type: 'application/json' };
      if (r < 0.15) return { raw: 'a=b', type: pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) };
      return { json: wrapped() };
    },
    query(): string {
      if (rnd() < 0.5) return '';
      const keys = ['limit', 'marker', 'is_public', 'minRam', 'minDisk', 'sort_key', 'sort_dir', 'host', 'binary', 'user_id', 'all_projects', 'offset', 'with_servers', 'tenant_id',
        'all_tenants', 'status', 'name', 'changes-since', 'changes-before', 'deleted', 'tags', 'ip', 'flavor', 'image', 'start', 'end', 'detailed', str()];
      return '?' + Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => `${enc(pick(keys))}=${enc(str())}`).join('&');
    },
    headers(): Record<string, string> {
      const h: Record<string, string> = {};
      if (rnd() < 0.3) h['OpenStack-API-Version'] = pick(['compute 2.1', 'compute latest', 'compute 2.x', 'compute 9.9', 'volume 3.0', 'compute', '', 'compute 2.01']);
      if (rnd() < 0.2) h['X-OpenStack-Nova-API-Version'] = pick(['2.1', 'garbage', '3.0', '']);
      if (rnd() < 0.1) h['X-OpenStack-Request-ID'] = pick(['req-not-a-uuid', 'req-12345678-1234-1234-1234-123456789012']);
      return h;
    },
    token(): string | null {
      return pick(['admin:admin', 'admin:admin', 'alice:p1', 'bob:p2', ':', 'x:', ':y', null, 'a'.repeat(5000)]);
    },
  };
}

for (const backend of BACKENDS) {
  describe(`fuzzing every route (${backend})`, () => {
    let cloud: Cloud;
    let serverId = '';
    before(async () => {
      cloud = await startCloud(backend);
      // Something to hit: a flavor, an aggregate, a keypair.
      await cloud.request('POST', '/v2.1/flavors', { body: { flavor: { name: 'f1', ram: 64, vcpus: 1, disk: 0, id: 'f1' } } });
      await cloud.request('POST', '/v2.1/os-aggregates', { body: { aggregate: { name: 'a1' } } });
      // And a server (the actions then meet real state checks, not only 404s).
      await cloud.waitForCompute();
      const image = await cloud.createImage('fuzz-img');
      const made = await cloud.request('POST', '/v2.1/servers', { body: { server: { name: 'fz', imageRef: image, flavorRef: 'f1' } } });
      assert.equal(made.status, 202, made.text);
      serverId = made.body.server.id;
      await cloud.waitServer(serverId, (x) => x?.status === 'ACTIVE');
    });
    after(async () => cloud?.stop());

    it(`${ROUTES.length * CASES_PER_ROUTE} malformed requests: no 5xx, every error in Nova's format`, async () => {
      const seed = Number(process.env.NOVA_FUZZ_SEED ?? 20261121);
      const g = generator(seed);
      const failures: string[] = [];
      let sent = 0;
      for (const [method, template] of ROUTES) {
        for (let i = 0; i < CASES_PER_ROUTE; i++) {
          const path = template.replace('{id}', () => g.pick(['1', '0', '-1', 'f1', '99999999999999999999', 'abc', '%2e%2e', '1.5']))
            .replace('{srv}', () => (g.rnd() < 0.8 ? serverId : enc(g.str()) || 'x'))
            .replace('{s}', () => enc(g.str()) || 'x');
          const body = method === 'POST' || method === 'PUT' ? g.body() : {};
          const headers: Record<string, string> = g.headers();
          if (body.type) headers['Content-Type'] = body.type;
          const r = await cloud.request(method, path + g.query(), { token: g.token(), body: body.json, rawBody: body.raw, headers });
          sent++;
          const where = `seed ${seed}, case ${i}, ${method} ${path}, sent ${(body.raw ?? JSON.stringify(body.json) ?? '').slice(0, 120)}, status ${r.status}, body ${r.text.slice(0, 200)}`;
          if (r.status >= 500) failures.push(where);
          else if (r.status >= 400) {
            const plain404 = r.status === 404 && /^text\/plain/.test(r.headers.get('content-type') ?? '');
            const keystone401 = r.status === 401 && r.body?.error?.code === 401;
            const fault = r.body && typeof r.body === 'object' && Object.values(r.body as object).length === 1
              && (Object.values(r.body as object)[0] as { code?: number }).code === r.status
              && typeof (Object.values(r.body as object)[0] as { message?: unknown }).message === 'string';
            if (!plain404 && !keystone401 && !fault) failures.push(`not a Nova fault: ${where}`);
            if (/\n\s+at .+:\d+:\d+/.test(r.text)) failures.push(`stack trace leaked: ${where}`);
          }
        }
      }
      assert.equal(sent, ROUTES.length * CASES_PER_ROUTE);
      const serverErrors = cloud.output.split('\n').filter((l) => / ERROR /.test(l)).slice(0, 5).join('\n');
      assert.deepEqual(failures.slice(0, 20), [], `${failures.length} bad answers; server log:\n${serverErrors}`);
      const made = await cloud.request('POST', '/v2.1/flavors', { body: { flavor: { name: 'after-fuzz', ram: 64, vcpus: 1, disk: 0, id: 'after-fuzz' } } });
      assert.equal(made.status, 200, 'the cloud still serves normal requests after the fuzzing');
      assert.equal((await cloud.request('GET', '/v2.1/flavors/after-fuzz')).status, 200);
    });
  });
}
