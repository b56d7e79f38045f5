/**
 * The built-in identity service end to end: the real binary (`nova --role=all`, `[api]
 * auth_strategy = keystone`, an admin bootstrapped from `[identity] bootstrap_admin_password`)
 * and Debian's stock `openstack` CLI driven only by a sourced admin-openrc (OS_* variables; no
 * clouds.yaml, no endpoint overrides: every service comes from the catalog). Then the security
 * cases over HTTP: wrong password, expired and revoked tokens, another project's server and
 * private image, a reader calling a write API; no body leaks a secret.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigText } from '../../src/config/config-loader';
import { openDataSource, resolveDbTarget } from '../../src/db/data-source';
import { Cloud, startCloud } from '../utils/cloud';
import { ENGINES } from '../utils/databases';
import { runNova } from '../utils/nova-process';
import { openstackAvailable } from '../utils/openstack-cli';
import { openstackWithOpenrc } from '../utils/real-openstack';

const osc = openstackAvailable();
const PASSWORD = 'Welcome123';
const AUTH_REQUIRED = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };

interface Osc {
  code: number | null;
  stdout: string;
  stderr: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

for (const engine of ENGINES) {
  describe(`built-in identity with the stock openstack CLI on ${engine}`, { skip: osc.ok ? false : `openstack CLI not available: ${osc.version}` }, () => {
    let cloud: Cloud;
    let identityUrl: string;
    let dir: string;
    const secrets: string[] = [PASSWORD, 'bob-secret-pw', 'carol-secret-pw', 'dave-secret-pw'];

    /** `. ./admin-openrc && openstack ARGS`, in a clean environment. */
    const openstack = (args: string[], json = true): Promise<Osc> => openstackWithOpenrc(dir, 'admin-openrc', args, json, 120_000);
    const ok = async (args: string[], json = true): Promise<Osc> => {
      const r = await openstack(args, json);
      assert.equal(r.code, 0, `openstack ${args.join(' ')} failed:\n${r.stderr}\n${r.stdout}\n--- nova ---\n${cloud.output.split('\n').slice(-30).join('\n')}`);
      return r;
    };

    const issue = async (user: string, password: string, project?: string) => fetch(`${identityUrl}/v3/auth/tokens`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: { name: 'Default' }, password } } }, ...(project ? { scope: { project: { name: project, domain: { id: 'default' } } } } : {}) } }),
    });
    const tokenOf = async (user: string, password: string, project: string) => {
      const r = await issue(user, password, project);
      assert.equal(r.status, 201, await r.clone().text());
      return r.headers.get('x-subject-token') as string;
    };
    const api = async (method: string, path: string, token: string, body?: unknown) => {
      const res = await fetch(cloud.url + path, {
        method, headers: { 'X-Auth-Token': token, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
    const image = async (method: string, path: string, token: string) => {
      const res = await fetch(cloud.imageUrl + path, { method, headers: { 'X-Auth-Token': token } });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
    const noSecrets = (text: string, ...more: string[]) => {
      for (const s of [...secrets, ...more]) assert.ok(!text.includes(s), `a secret leaked into: ${text}`);
    };

    before(async () => {
      cloud = await startCloud(engine, ['[api]', 'auth_strategy = keystone', '[identity]', 'listen = 127.0.0.1', 'listen_port = 0', `bootstrap_admin_password = ${PASSWORD}`,
        // Nova's new defaults: reader reads, member writes (Zed's defaults let any role in the project write).
        '[oslo_policy]', 'enforce_new_defaults = True'].join('\n'));
      const m = /built-in identity service listening on 127\.0\.0\.1:(\d+)/.exec(cloud.output);
      assert.ok(m, cloud.output);
      identityUrl = `http://127.0.0.1:${m[1]}`;
      dir = mkdtempSync(join(tmpdir(), 'identity-e2e-'));
      // Like seed 001's admin-openrc, pointing at the built-in identity service.
      writeFileSync(join(dir, 'admin-openrc'), [
        'export OS_PROJECT_DOMAIN_NAME=default', 'export OS_USER_DOMAIN_NAME=default', 'export OS_PROJECT_NAME=admin',
        'export OS_USERNAME=admin', `export OS_PASSWORD=${PASSWORD}`, `export OS_AUTH_URL=${identityUrl}/v3`,
        'export OS_IDENTITY_API_VERSION=3', 'export OS_IMAGE_API_VERSION=2', '',
      ].join('\n'));
      // Users of another project, made with the admin subcommands while the service runs.
      for (const args of [['project', 'create', 'p2'], ['user', 'create', 'bob', '--password', 'bob-secret-pw', '--project', 'p2'],
        ['user', 'create', 'carol', '--password', 'carol-secret-pw', '--project', 'p2', '--role', 'reader']]) {
        const r = runNova(['identity', ...args, '--config-file', cloud.confPath]);
        assert.equal(r.code, 0, `nova identity ${args.join(' ')}: ${r.stderr}`);
        noSecrets(r.stdout + r.stderr);
      }
      const list = runNova(['identity', 'user', 'list', '--config-file', cloud.confPath]);
      assert.match(list.stdout, /carol .*reader@p2/);
      assert.match(list.stdout, /admin .*admin@admin/);
      // The compute registers a little after the API listens.
      const admin = await tokenOf('admin', PASSWORD, 'admin');
      for (let i = 0; i < 150; i++) {
        const r = await api('GET', '/v2.1/os-services?binary=nova-compute', admin);
        if (r.status === 200 && JSON.parse(r.text).services.length > 0) break;
        await new Promise((res) => setTimeout(res, 200));
      }
    });
    after(async () => {
      await cloud?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    let serverId = '';

    it('token issue, image create --file, image list, flavor create, server create --wait, server list', async () => {
      const token = (await ok(['token', 'issue'])).json;
      assert.match(token.id, /^[A-Za-z0-9_-]{43}$/);
      assert.match(token.project_id, /^[0-9a-f]{32}$/);
      writeFileSync(join(dir, 'cirros.img'), Buffer.from('fake cirros image '.repeat(4096)));
      await ok(['image', 'create', '--file', join(dir, 'cirros.img'), '--disk-format', 'qcow2', '--container-format', 'bare', '--public', 'cirros']);
      const images = (await ok(['image', 'list'])).json as Array<{ Name: string; Status: string }>;
      assert.ok(images.some((i) => i.Name === 'cirros' && i.Status === 'active'), JSON.stringify(images));
      await ok(['flavor', 'create', '--ram', '512', '--disk', '1', '--vcpus', '1', 'm1.tiny']);
      // A lookup of a project by name in the identity service.
      await ok(['flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '1', '--private', '--project', 'p2', 'm1.p2']);
      const quota = (await ok(['quota', 'show', 'p2'])).json;
      assert.ok(quota, 'quota show p2');
      const server = (await ok(['server', 'create', '--image', 'cirros', '--flavor', 'm1.tiny', '--wait', 'vm1'])).json;
      assert.equal(server.status, 'ACTIVE');
      serverId = server.id;
      const servers = (await ok(['server', 'list'])).json as Array<{ Name: string; Status: string }>;
      assert.deepEqual(servers.map((s) => [s.Name, s.Status]), [['vm1', 'ACTIVE']]);
    });

    it('a wrong password is 401 with Keystone\'s body and WWW-Authenticate, and is logged without the password', async () => {
      const r = await issue('admin', 'not-the-password', 'admin');
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${identityUrl}"`);
      const text = await r.text();
      assert.deepEqual(JSON.parse(text), AUTH_REQUIRED);
      assert.equal(r.headers.get('x-subject-token'), null);
      assert.match(cloud.output, /Authorization failed for user "admin" in domain default/);
      assert.ok(!cloud.output.includes('not-the-password'));
      for (const s of secrets) assert.ok(!cloud.output.includes(s), 'a password in the log');
    });

    it('another project\'s token cannot see the server (404), and a reader cannot write (403)', async () => {
      const bob = await tokenOf('bob', 'bob-secret-pw', 'p2');
      const show = await api('GET', `/v2.1/servers/${serverId}`, bob);
      assert.equal(show.status, 404, show.text);
      noSecrets(show.text, bob);
      assert.ok(!show.text.includes('vm1'));
      const list = await api('GET', '/v2.1/servers/detail', bob);
      assert.equal(list.status, 200);
      assert.deepEqual(JSON.parse(list.text).servers, []);
      const del = await api('DELETE', `/v2.1/servers/${serverId}`, bob);
      assert.equal(del.status, 404);
      // bob cannot scope to the admin project either.
      assert.equal((await issue('bob', 'bob-secret-pw', 'admin')).status, 401);

      const carol = await tokenOf('carol', 'carol-secret-pw', 'p2');
      assert.equal((await api('GET', '/v2.1/servers', carol)).status, 200);
      const write = await api('POST', '/v2.1/os-server-groups', carol, { server_group: { name: 'g1', policies: ['affinity'] } });
      assert.equal(write.status, 403, write.text);
      assert.match(write.text, /"forbidden"/);
      noSecrets(write.text, carol);
      const boot = await api('POST', '/v2.1/servers', carol, { server: { name: 'x', imageRef: '11111111-2222-4333-8444-555555555555', flavorRef: '1' } });
      assert.equal(boot.status, 403, boot.text);
    });

    it('a private image of another project is 404 and absent from lists', async () => {
      const admin = await tokenOf('admin', PASSWORD, 'admin');
      const created = await fetch(`${cloud.imageUrl}/v2/images`, {
        method: 'POST', headers: { 'X-Auth-Token': admin, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'secret-admin-image', visibility: 'private', disk_format: 'raw', container_format: 'bare' }),
      });
      assert.equal(created.status, 201);
      const id = ((await created.json()) as { id: string }).id;
      const bob = await tokenOf('bob', 'bob-secret-pw', 'p2');
      const show = await image('GET', `/v2/images/${id}`, bob);
      assert.equal(show.status, 404);
      assert.ok(!show.text.includes('secret-admin-image'));
      const list = await image('GET', '/v2/images', bob);
      assert.equal(list.status, 200);
      assert.ok(!list.text.includes(id) && !list.text.includes('secret-admin-image'));
      assert.ok(list.text.includes('cirros'), 'public images stay visible');
    });

    it('an expired token is refused by the API, the image service and the identity service', async () => {
      const admin = await tokenOf('admin', PASSWORD, 'admin');
      const bob = await tokenOf('bob', 'bob-secret-pw', 'p2');
      // Expire it in the database before anyone has cached it.
      const { conf } = parseConfigText(readFileSync(cloud.confPath, 'utf8'));
      const ds = await openDataSource('api', resolveDbTarget('api', { connection: conf.api_database.connection, statePath: conf.DEFAULT.state_path }));
      try {
        const hash = createHash('sha256').update(bob).digest('hex');
        await ds.query('UPDATE identity_tokens SET expires_at = ? WHERE token_hash = ?', ['2000-01-01 00:00:00', hash]);
      } finally {
        await ds.destroy();
      }
      const r = await api('GET', '/v2.1/servers', bob);
      assert.equal(r.status, 401);
      assert.deepEqual(JSON.parse(r.text), AUTH_REQUIRED);
      assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${identityUrl}"`);
      const refused = await image('GET', '/v2/images', bob);
      assert.equal(refused.status, 401);
      // Like Glance behind keystonemiddleware: the identity service to get a token from.
      assert.equal(refused.headers.get('www-authenticate'), `Keystone uri="${identityUrl}"`);
      noSecrets(refused.text, bob);
      const v = await fetch(`${identityUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': bob } });
      assert.equal(v.status, 404);
      noSecrets(await v.text(), bob);
    });

    it('a revoked token is refused at once, even though the API had cached it', async () => {
      const bob = await tokenOf('bob', 'bob-secret-pw', 'p2');
      const admin = await tokenOf('admin', PASSWORD, 'admin');
      assert.equal((await api('GET', '/v2.1/servers', bob)).status, 200);
      assert.equal((await image('GET', '/v2/images', bob)).status, 200);
      // Validation: the admin may look at bob's token; bob may look at his own; head works.
      const v = await fetch(`${identityUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': bob } });
      assert.equal(v.status, 200);
      const doc = (await v.json()) as { token: { user: { name: string }; project: { name: string }; roles: Array<{ name: string }> } };
      assert.equal(doc.token.user.name, 'bob');
      assert.deepEqual(doc.token.roles.map((x) => x.name).sort(), ['member', 'reader']);
      assert.equal((await fetch(`${identityUrl}/v3/auth/tokens`, { method: 'HEAD', headers: { 'X-Auth-Token': bob, 'X-Subject-Token': bob } })).status, 200);
      // carol may not look at (or revoke) bob's token.
      const carol = await tokenOf('carol', 'carol-secret-pw', 'p2');
      assert.equal((await fetch(`${identityUrl}/v3/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': carol, 'X-Subject-Token': bob } })).status, 403);
      const del = await fetch(`${identityUrl}/v3/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': bob, 'X-Subject-Token': bob } });
      assert.equal(del.status, 204);
      const r = await api('GET', '/v2.1/servers', bob);
      assert.equal(r.status, 401);
      assert.deepEqual(JSON.parse(r.text), AUTH_REQUIRED);
      assert.equal((await image('GET', '/v2/images', bob)).status, 401);
      assert.equal((await fetch(`${identityUrl}/v3/auth/tokens`, { headers: { 'X-Auth-Token': admin, 'X-Subject-Token': bob } })).status, 404);
      // No token id, password or hash in the log.
      for (const s of [bob, admin, carol, createHash('sha256').update(bob).digest('hex')]) assert.ok(!cloud.output.includes(s), 'a token in the log');
    });

    it('bad input to the identity service is a Keystone 4xx, never a 500', async () => {
      for (const body of ['{', '[]', '{"auth": 1}', '{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "admin", "password": 5}}}}}']) {
        const r = await fetch(`${identityUrl}/v3/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
        assert.equal(r.status, 400, body);
        assert.equal(((await r.json()) as { error: { code: number } }).error.code, 400);
      }
      assert.equal((await fetch(`${identityUrl}/v3/auth/tokens`, { headers: { 'X-Subject-Token': 'x' } })).status, 401);
      assert.equal((await fetch(`${identityUrl}/v3/nothing`)).status, 404);
      assert.equal((await fetch(`${identityUrl}/v3`)).status, 200);
    });

    it('project create, user create and role add over HTTP with the stock CLI; only admins may', async () => {
      const project = (await ok(['project', 'create', '--description', 'made by the CLI', 'p3'])).json;
      assert.equal(project.name, 'p3');
      assert.equal(project.domain_id, 'default');
      const user = (await ok(['user', 'create', '--password', 'dave-secret-pw', '--project', 'p3', 'dave'])).json;
      assert.equal(user.name, 'dave');
      assert.equal(user.default_project_id, project.id);
      noSecrets(JSON.stringify(user));
      // No role yet: dave cannot scope to p3.
      assert.equal((await issue('dave', 'dave-secret-pw', 'p3')).status, 401);
      await ok(['role', 'add', '--project', 'p3', '--user', 'dave', 'member'], false);
      const dave = await tokenOf('dave', 'dave-secret-pw', 'p3');
      const servers = await api('GET', '/v2.1/servers', dave);
      assert.equal(servers.status, 200);
      assert.deepEqual(JSON.parse(servers.text).servers, [], 'p3 has no servers');
      // A duplicate is Keystone's 409; the CLI says so.
      const dup = await openstack(['project', 'create', 'p3']);
      assert.notEqual(dup.code, 0);
      assert.match(dup.stderr, /Conflict|Duplicate|409/i);

      // Not an admin (bob is a member of p2): 403, nothing created.
      const bob = await tokenOf('bob', 'bob-secret-pw', 'p2');
      const post = (path: string, token: string, body: unknown) => fetch(`${identityUrl}${path}`, {
        method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      });
      assert.equal((await post('/v3/projects', bob, { project: { name: 'bobs' } })).status, 403);
      assert.equal((await post('/v3/users', bob, { user: { name: 'mallory', password: 'x' } })).status, 403);
      const grant = await fetch(`${identityUrl}/v3/projects/${project.id}/users/${user.id}/roles/x`, { method: 'PUT', headers: { 'X-Auth-Token': bob } });
      assert.equal(grant.status, 403);
      assert.equal((await post('/v3/projects', 'not-a-token', { project: { name: 'x' } })).status, 401);
      // Bad bodies are Keystone 4xx, never a 500.
      const admin = await tokenOf('admin', PASSWORD, 'admin');
      for (const body of [{}, { project: 'x' }, { project: { name: '' } }, { project: { name: 5 } }, { project: { name: 'x'.repeat(65) } },
        { project: { name: 'ok', enabled: 'yes' } }, { project: { name: 'ok', surprise: 1 } }, { project: { name: 'a\nb' } }]) {
        const r = await post('/v3/projects', admin, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(((await r.json()) as { error: { code: number } }).error.code, 400);
      }
      assert.equal((await post('/v3/projects', admin, { project: { name: 'elsewhere', domain_id: 'other' } })).status, 404);
      assert.equal((await post('/v3/users', admin, { user: { name: 'eve', password: 7 } })).status, 400);
      assert.equal((await post('/v3/users', admin, { user: { name: 'eve', default_project_id: 'nope' } })).status, 400);
      const missing = await fetch(`${identityUrl}/v3/projects/${project.id}/users/${user.id}/roles/nope`, { method: 'PUT', headers: { 'X-Auth-Token': admin } });
      assert.equal(missing.status, 404);
      const list = runNova(['identity', 'user', 'list', '--config-file', cloud.confPath]);
      assert.match(list.stdout, /dave .*member@p3/);
      assert.ok(!list.stdout.includes('bobs') && !list.stdout.includes('mallory') && !list.stdout.includes('eve'));
      for (const s of secrets) assert.ok(!cloud.output.includes(s), 'a password in the log');
    });

    it('server delete --wait, then the list is empty', async () => {
      await ok(['server', 'delete', '--wait', 'vm1'], false);
      const servers = (await ok(['server', 'list'])).json as unknown[];
      assert.deepEqual(servers, []);
    });
  });
}
