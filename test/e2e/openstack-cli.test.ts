/**
 * The real python-openstackclient (`openstack`, OSC 6.0.0) against the real binary, on both
 * backends. Assertions are on what a user sees (the CLI's JSON output and exit codes); every
 * failure shows the CLI's stderr, the HTTP exchanges of the command and nova's output.
 *
 * Tests of APIs still being written (flavors, keypairs, limits, quotas) probe their route once and
 * report themselves as skipped, with the reason, until it answers 200.
 */
import { after, before, describe, it, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';
import { waitFor } from '../utils/nova-process';
import { CloudName, describeResult, OpenStackCli, openstackAvailable, routeExists } from '../utils/openstack-cli';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** openstacksdk 0.101.0's highest microversion per resource (reference §8.1). */
const SDK_MAX = { service: '2.69', flavor: '2.61', keypair: '2.10' };

const vnum = (v: string) => v.split('.').map(Number);
const vcmp = (a: string, b: string) => {
  const [x, y] = [vnum(a), vnum(b)];
  return x[0] - y[0] || x[1] - y[1];
};
const vmin = (a: string, b: string) => (vcmp(a, b) <= 0 ? a : b);

/** ssh-rsa public key text and its MD5 fingerprint, as Nova computes it. */
function sshRsa(key: KeyObject): { blob: Buffer; text: string; fingerprint: string } {
  const jwk = key.export({ format: 'jwk' }) as { n: string; e: string };
  const str = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const mpint = (b64u: string) => {
    const b = Buffer.from(b64u, 'base64url');
    return str(b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
  };
  const blob = Buffer.concat([str(Buffer.from('ssh-rsa')), mpint(jwk.e), mpint(jwk.n)]);
  const fingerprint = createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');
  return { blob, text: `ssh-rsa ${blob.toString('base64')}`, fingerprint };
}

/** Server groups print `policies` (<2.64) or `policy` (>=2.64). */
const groupPolicy = (g: Row): string => g.policy ?? g.Policy ?? (g.policies ?? g.Policies)?.[0];

for (const backend of BACKENDS) {
  describe(`python-openstackclient against nova-ts (${backend})`, () => {
    let cloud: Cloud;
    let osc: OpenStackCli;
    let maxVersion = '2.1';
    const routes = { flavors: false, keypairs: false, limits: false, quotas: false };

    /** A test whose failure message also carries every openstack run it made. */
    const cliTest = (name: string, fn: (t: TestContext) => Promise<void>) =>
      it(name, async (t) => {
        const mark = osc ? osc.history.length : 0;
        try {
          await fn(t);
        } catch (e) {
          const runs = osc ? osc.history.slice(mark) : [];
          const message = e instanceof Error ? e.message : String(e);
          const others = runs.filter((r) => !message.includes(describeResult(r)));
          if (others.length === 0) throw e;
          throw new Error(`${message}\n\n===== openstack runs in this test =====\n${others.map(describeResult).join('\n\n')}`, { cause: e });
        }
      });

    const skipUnless = (t: TestContext, routed: boolean, what: string): boolean => {
      if (!routed) t.skip(`${what} is not routed yet (GET answered non-200)`);
      return !routed;
    };

    const json = <T = Row[]>(args: string[], cloudName?: CloudName) => osc.json<T>(args, { cloud: cloudName });

    before(async () => {
      const cli = openstackAvailable();
      if (!cli.ok) throw new Error(`the openstack CLI is not runnable (apt-get install python3-openstackclient): ${cli.version}`);
      cloud = await startCloud(backend);
      osc = await OpenStackCli.create(cloud);
      try {
        await waitFor(async () => {
          const r = await cloud.request('GET', '/v2.1/os-services?binary=nova-compute');
          return r.status === 200 && r.body.services.some((s: Row) => s.host === 'functest' && s.state === 'up');
        }, 60_000, 'nova-compute on functest up');
      } catch (e) {
        throw new Error(`${(e as Error).message}; nova output:\n${cloud.output}`);
      }
      maxVersion = (await cloud.request('GET', '/v2.1', { token: null })).body.version.version;
      routes.flavors = await routeExists(cloud, '/v2.1/flavors');
      routes.keypairs = await routeExists(cloud, '/v2.1/os-keypairs');
      routes.limits = await routeExists(cloud, '/v2.1/limits');
      routes.quotas = await routeExists(cloud, '/v2.1/os-quota-sets/proj1');
    });

    after(async () => {
      if (osc) console.log(`# openstack CLI on ${backend}: ${osc.timing()}`);
      await osc?.close();
      await cloud?.stop();
    });

    cliTest('compute service list: every service on host functest, up; the SDK negotiates its microversion', async () => {
      const r = await osc.ok(['compute', 'service', 'list'], { format: 'json' });
      const rows: Row[] = r.json;
      for (const binary of ['nova-compute', 'nova-conductor', 'nova-scheduler']) {
        const s = rows.find((x) => x.Binary === binary);
        assert.ok(s, `${binary} listed`);
        assert.equal(s.Host, 'functest');
        assert.equal(s.State, 'up');
        assert.equal(s.Status, 'enabled');
      }
      assert.equal(rows.find((x) => x.Binary === 'nova-compute')!.Zone, 'nova');
      assert.ok(!rows.some((x) => x.Binary === 'nova-osapi_compute' || x.Binary === 'nova-api'), 'API services are not listed');
      // openstacksdk discovers the version document without a token, then uses min(2.69, max).
      const discovery = osc.find('GET', /^\/v2\.1\/?$/, r);
      assert.ok(discovery, 'discovery GET /v2.1');
      assert.equal(discovery.headers['x-auth-token'], undefined);
      const list = osc.find('GET', /^\/v2\.1\/os-services/, r)!;
      const expected = vmin(SDK_MAX.service, maxVersion);
      assert.equal(list.headers['openstack-api-version'], `compute ${expected}`);
      assert.equal(list.headers['x-openstack-nova-api-version'], expected);
      assert.equal(list.headers['x-auth-token'], 'admin:admin');
    });

    cliTest('compute service set --disable/--enable: the list shows the new status and reason', async () => {
      const off = await osc.ok(['compute', 'service', 'set', '--disable', '--disable-reason', 'maint', 'functest', 'nova-compute']);
      assert.equal(off.stdout, '');
      let rows = await json(['compute', 'service', 'list', '--service', 'nova-compute', '--long']);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].Host, 'functest');
      assert.equal(rows[0].Status, 'disabled');
      assert.equal(rows[0]['Disabled Reason'], 'maint');
      await osc.ok(['compute', 'service', 'set', '--enable', 'functest', 'nova-compute']);
      rows = await json(['compute', 'service', 'list', '--host', 'functest', '--long']);
      const compute = rows.find((x) => x.Binary === 'nova-compute')!;
      assert.equal(compute.Status, 'enabled');
      assert.equal(compute['Disabled Reason'], null);
      const bad = await osc.fails(['compute', 'service', 'list'], { cloud: 'nova-ts-member' });
      assert.match(bad.stderr, /Policy doesn't allow os_compute_api:os-services:list to be performed/);
    });

    cliTest('availability zone list: nova is available; admins also see internal, members do not', async () => {
      const admin = await json(['availability', 'zone', 'list', '--compute', '--long']);
      const nova = admin.filter((z) => z['Zone Name'] === 'nova');
      assert.ok(nova.length > 0, 'zone nova listed');
      assert.ok(nova.every((z) => z['Zone Status'] === 'available'));
      const computeRow = nova.find((z) => z['Service Name'] === 'nova-compute');
      assert.ok(computeRow, 'nova-compute listed under zone nova');
      assert.equal(computeRow['Host Name'], 'functest');
      assert.match(computeRow['Service Status'], /^enabled :-\) /);
      const internal = admin.filter((z) => z['Zone Name'] === 'internal');
      assert.ok(internal.some((z) => z['Service Name'] === 'nova-conductor'), 'conductor in internal');
      assert.ok(internal.some((z) => z['Service Name'] === 'nova-scheduler'), 'scheduler in internal');
      // A member's detail call is refused (403) and the CLI falls back to the plain list.
      const member = await json(['availability', 'zone', 'list', '--compute'], 'nova-ts-member');
      assert.deepEqual(member, [{ 'Zone Name': 'nova', 'Zone Status': 'available' }]);
    });

    cliTest('aggregates: create with a zone, add/remove a host, set a property, list, show, delete', async () => {
      const created = await json<Row>(['aggregate', 'create', '--zone', 'az1', 'agg1']);
      assert.equal(created.name, 'agg1');
      assert.equal(created.availability_zone, 'az1');
      assert.equal(typeof created.id, 'number');

      const added = await json<Row>(['aggregate', 'add', 'host', 'agg1', 'functest']);
      assert.deepEqual(added.hosts, ['functest']);
      await osc.ok(['aggregate', 'set', '--property', 'k=v', 'agg1']);

      const listed = await json(['aggregate', 'list', '--long']);
      const row = listed.find((a) => a.Name === 'agg1');
      assert.ok(row, 'agg1 listed');
      assert.equal(row['Availability Zone'], 'az1');
      assert.deepEqual(row.Hosts, ['functest']);
      assert.deepEqual(row.Properties, { k: 'v' });

      const shown = await json<Row>(['aggregate', 'show', 'agg1']);
      assert.equal(shown.id, created.id);
      assert.deepEqual(shown.hosts, ['functest']);
      assert.deepEqual(shown.properties, { k: 'v' });

      // The host's compute service and zone list follow the aggregate's zone.
      const zones = await json(['availability', 'zone', 'list', '--compute']);
      assert.ok(zones.some((z) => z['Zone Name'] === 'az1' && z['Zone Status'] === 'available'), 'az1 listed');
      const svc = await json(['compute', 'service', 'list', '--service', 'nova-compute']);
      assert.equal(svc[0].Zone, 'az1');

      const member = await osc.fails(['aggregate', 'list'], { cloud: 'nova-ts-member' });
      assert.match(member.stderr, /Policy doesn't allow os_compute_api:os-aggregates:index to be performed/);

      const removed = await json<Row>(['aggregate', 'remove', 'host', 'agg1', 'functest']);
      assert.deepEqual(removed.hosts, []);
      await osc.ok(['aggregate', 'delete', 'agg1']);
      const after = await json(['aggregate', 'list']);
      assert.ok(!after.some((a) => a.Name === 'agg1'), 'agg1 gone');
      const missing = await osc.fails(['aggregate', 'show', 'agg1']);
      assert.match(missing.stderr, /No Aggregate found for agg1/);
    });

    cliTest('server groups: create, list, show, delete; another project sees none of them', async () => {
      const g = await json<Row>(['server', 'group', 'create', '--policy', 'anti-affinity', 'g1']);
      assert.equal(g.name, 'g1');
      assert.equal(groupPolicy(g), 'anti-affinity');
      assert.deepEqual(g.members, []);
      assert.match(g.id, /^[0-9a-f-]{36}$/);

      const listed = await json(['server', 'group', 'list']);
      const row = listed.find((x) => x.Name === 'g1');
      assert.ok(row, 'g1 listed');
      assert.equal(row.ID, g.id);
      assert.equal(groupPolicy(row), 'anti-affinity');

      const shown = await json<Row>(['server', 'group', 'show', 'g1']);
      assert.equal(shown.id, g.id);

      const theirs = await json(['server', 'group', 'list'], 'nova-ts-member');
      assert.deepEqual(theirs, []);
      const denied = await osc.fails(['server', 'group', 'show', g.id], { cloud: 'nova-ts-member' });
      assert.match(denied.stderr, /403|404|could not be found|Policy doesn't allow/);

      await osc.ok(['server', 'group', 'delete', 'g1']);
      const after = await json(['server', 'group', 'list']);
      assert.ok(!after.some((x) => x.Name === 'g1'), 'g1 gone');
    });

    cliTest('hypervisor list runs and returns a JSON list (empty, or the functest compute node)', async () => {
      const r = await osc.ok(['hypervisor', 'list', '--long'], { format: 'json' });
      assert.ok(Array.isArray(r.json), 'a JSON list');
      const rows: Row[] = r.json;
      for (const h of rows) {
        assert.equal(h['Hypervisor Hostname'], 'functest');
        assert.equal(h.State, 'up');
        assert.equal(typeof h.ID, 'number', 'integer ids below 2.53');
        assert.equal(typeof h['vCPUs'], 'number');
      }
      // novaclient: no discovery, 2.1 in the legacy header only.
      const x = osc.find('GET', /^\/v2\.1\/os-hypervisors\/detail$/, r)!;
      assert.equal(x.headers['x-openstack-nova-api-version'], '2.1');
      assert.equal(x.headers['openstack-api-version'], undefined);
    });

    cliTest('hypervisor show functest: the node, its service and its uptime', async () => {
      // The compute reports its node through the conductor shortly after start.
      await waitFor(async () => ((await cloud.request('GET', '/v2.1/os-hypervisors')).body?.hypervisors ?? []).length > 0, 20_000, 'a compute node');
      const r = await osc.run(['hypervisor', 'show', 'functest'], { format: 'json' });
      if (r.code !== 0) throw new Error(`command failed\n${describeResult(r)}`);
      const h: Row = r.json;
      // OSC parses the uptime line the compute host returns over RPC (a null crashes it).
      assert.match(String(h.uptime), /\d+:\d\d/);
      assert.equal(h.hypervisor_hostname, 'functest');
      assert.equal(h.service_host, 'functest');
      assert.equal(h.state, 'up');
      assert.equal(h.status, 'enabled');
      assert.deepEqual(h.aggregates, []);
    });

    cliTest('flavors: create, list, show, set property/description, private flavors with project access, delete', async (t) => {
      if (skipUnless(t, routes.flavors, 'GET /v2.1/flavors')) return;
      const created = await osc.ok(['flavor', 'create', '--ram', '512', '--disk', '1', '--vcpus', '1', 'f1'], { format: 'json' });
      const f: Row = created.json;
      const post = osc.find('POST', /^\/v2\.1\/flavors$/, created)!;
      assert.equal(post.headers['openstack-api-version'], `compute ${vmin(SDK_MAX.flavor, maxVersion)}`);
      assert.equal(JSON.parse(post.body).flavor.id, null, 'OSC sends "id": null');
      assert.equal(f.name, 'f1');
      assert.equal(f.ram, 512);
      assert.equal(f.disk, 1);
      assert.equal(f.vcpus, 1);
      assert.equal(f['os-flavor-access:is_public'], true);
      assert.match(f.id, /^[0-9a-f-]{36}$/, 'a generated uuid id');

      const listed = await json(['flavor', 'list']);
      const row = listed.find((x) => x.Name === 'f1');
      assert.ok(row, 'f1 listed');
      assert.deepEqual([row.ID, row.RAM, row.Disk, row.VCPUs, row['Is Public']], [f.id, 512, 1, 1, true]);

      await osc.ok(['flavor', 'set', '--property', 'hw:cpu_policy=dedicated', 'f1']);
      const shown = await json<Row>(['flavor', 'show', 'f1']);
      assert.equal(shown.id, f.id);
      assert.deepEqual(shown.properties, { 'hw:cpu_policy': 'dedicated' });

      if (vcmp(maxVersion, '2.55') >= 0) {
        await osc.ok(['flavor', 'set', '--description', 'for the CLI tests', 'f1']);
        const described = await json<Row>(['flavor', 'show', 'f1']);
        assert.equal(described.description, 'for the CLI tests');
      } else {
        // OSC checks the negotiated version first and refuses without a request.
        const refused = await osc.fails(['flavor', 'set', '--description', 'x', 'f1']);
        assert.match(refused.stderr, /requires server support for API microversion 2\.55/);
      }

      // Private flavor: --project resolves the project in Keystone, hence the keystone cloud.
      const p = await json<Row>(['flavor', 'create', '--private', '--project', 'proj1', '--ram', '256', '--vcpus', '1', 'fp'], 'nova-ts-admin-keystone');
      assert.equal(p['os-flavor-access:is_public'], false);
      assert.doesNotMatch(osc.history.at(-1)!.stderr, /Failed to add project/);
      const access = await json<Row>(['flavor', 'show', 'fp']);
      assert.deepEqual(access.access_project_ids, ['proj1']);
      const alice = await json(['flavor', 'list'], 'nova-ts-member');
      assert.ok(alice.some((x) => x.Name === 'fp'), 'proj1 sees the private flavor');
      assert.ok(alice.some((x) => x.Name === 'f1'), 'proj1 sees the public flavor');
      const bob = await json(['flavor', 'list'], 'nova-ts-other');
      assert.ok(!bob.some((x) => x.Name === 'fp'), 'proj2 does not see the private flavor');
      const adminDefault = await json(['flavor', 'list']);
      assert.ok(!adminDefault.some((x) => x.Name === 'fp'), 'is_public=True hides private flavors from admins too');
      const all = await json(['flavor', 'list', '--all']);
      assert.ok(all.some((x) => x.Name === 'fp'), '--all lists it');

      await osc.ok(['flavor', 'delete', 'f1', 'fp']);
      const gone = await json(['flavor', 'list', '--all']);
      assert.ok(!gone.some((x) => x.Name === 'f1' || x.Name === 'fp'), 'both deleted');
    });

    cliTest('keypairs: generated (private key printed once), imported from a file, list, show, per user, delete', async (t) => {
      if (skipUnless(t, routes.keypairs, 'GET /v2.1/os-keypairs')) return;
      const gen = await osc.ok(['keypair', 'create', 'k1']);
      assert.match(gen.stdout, /^-----BEGIN (RSA )?PRIVATE KEY-----\n/);
      const pem = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/.exec(gen.stdout)![0];
      const derived = sshRsa(createPublicKey(pem));
      const pub = await osc.ok(['keypair', 'show', '--public-key', 'k1']);
      assert.equal(pub.stdout.split(' ').slice(0, 2).join(' '), derived.text, 'the printed private key belongs to the stored public key');

      const mine = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const ssh = sshRsa(mine.publicKey);
      const file = join(osc.dir, 'k2.pub');
      writeFileSync(file, `${ssh.text} me@example\n`);
      const imported = await json<Row>(['keypair', 'create', '--public-key', file, 'k2']);
      assert.equal(imported.name, 'k2');
      assert.equal(imported.fingerprint, ssh.fingerprint);

      const list = await osc.ok(['keypair', 'list'], { format: 'json' });
      const listed: Row[] = list.json;
      assert.equal(osc.find('GET', /^\/v2\.1\/os-keypairs/, list)!.headers['openstack-api-version'], `compute ${vmin(SDK_MAX.keypair, maxVersion)}`);
      assert.deepEqual(listed.map((k) => k.Name).sort(), ['k1', 'k2']);
      assert.equal(listed.find((k) => k.Name === 'k1')!.Fingerprint, derived.fingerprint);

      const shown = await json<Row>(['keypair', 'show', 'k1']);
      assert.equal(shown.name, 'k1');
      assert.equal(shown.fingerprint, derived.fingerprint);
      assert.equal(shown.user_id, 'admin');
      assert.ok(!shown.private_key, 'no private key after create');

      const theirs = await json(['keypair', 'list'], 'nova-ts-member');
      assert.deepEqual(theirs, [], 'keypairs belong to their user');

      await osc.ok(['keypair', 'delete', 'k1', 'k2']);
      assert.deepEqual(await json(['keypair', 'list']), []);
    });

    cliTest('limits show --absolute: the default quotas and zero usage', async (t) => {
      if (skipUnless(t, routes.limits, 'GET /v2.1/limits')) return;
      const rows = await json(['limits', 'show', '--absolute'], 'nova-ts-member');
      const limit = (name: string) => rows.find((x) => x.Name === name)?.Value;
      assert.equal(limit('maxTotalInstances'), 10);
      assert.equal(limit('maxTotalCores'), 20);
      assert.equal(limit('maxTotalRAMSize'), 51200);
      assert.equal(limit('maxTotalKeypairs'), 100);
      assert.equal(limit('totalInstancesUsed'), 0);
    });

    cliTest('quotas: quota set --instances 5 for a project shows in quota show and in its limits', async (t) => {
      if (skipUnless(t, routes.quotas, 'GET /v2.1/os-quota-sets/proj1')) return;
      // quota show/set resolve the project through Keystone and read the caller's project from
      // the token scope, so they run on the fake-Keystone clouds.
      const before = await json<Row>(['quota', 'show', 'proj1'], 'nova-ts-admin-keystone');
      assert.equal(before.instances, 10);
      assert.equal(before.cores, 20);
      await osc.ok(['quota', 'set', '--instances', '5', 'proj1'], { cloud: 'nova-ts-admin-keystone' });
      const shown = await json<Row>(['quota', 'show', 'proj1'], 'nova-ts-admin-keystone');
      assert.equal(shown.instances, 5);
      assert.equal(shown.cores, 20);
      assert.equal(shown.project, 'proj1');
      const own = await json<Row>(['quota', 'show'], 'nova-ts-member-keystone');
      assert.equal(own.instances, 5, "a member's own quota");
      if (routes.limits) {
        const rows = await json(['limits', 'show', '--absolute'], 'nova-ts-member');
        assert.equal(rows.find((x) => x.Name === 'maxTotalInstances')?.Value, 5);
      }
    });
  });
}
