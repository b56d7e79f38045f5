/**
 * The real python-openstackclient (`openstack`, OSC 6.0.0) driving a server's whole life against
 * the real binary (`nova --role=all`, SQLite + in-process bus, fake driver, the built-in image
 * service): image create, flavor create, server create --wait, list, show, every simple action
 * followed by the status the user then sees, console log, snapshot (server image create), resize
 * confirm / revert, cold migrate, shelve / unshelve, rebuild, backup rotation, set / unset,
 * delete --wait.
 *
 * The cloud has one compute host, so it runs with `allow_resize_to_same_host = True`; the fake
 * driver can migrate to its own host (as Nova's fake driver can). Like libvirt, it refuses to
 * shrink a root disk, so m1.small keeps m1.tiny's 1 GiB disk and the resize back to m1.tiny works.
 *
 * At the advertised maximum microversion (2.1) the CLI sends no `networks` on create. Every
 * failure shows the CLI's stderr, its HTTP exchanges (through the recording proxy) and nova's output.
 */
import { after, before, describe, it, TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cloud, startCloud } from '../utils/cloud';
import { CliResult, CloudName, describeResult, OpenStackCli, openstackAvailable, RecordedExchange } from '../utils/openstack-cli';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const osc = openstackAvailable();
const USER: CloudName = 'nova-ts-member';

/** The power states the CLI names (`-f json` prints Nova's numbers, the table prints the names). */
const POWER: Record<string, number> = { Running: 1, Paused: 3, Shutdown: 4, Suspended: 7 };

describe('openstack server commands against nova-ts (sqlite)', { skip: osc.ok ? false : `openstack CLI not available: ${osc.version}` }, () => {
  let cloud: Cloud;
  let cli: OpenStackCli;
  let serverId = '';
  /** Error answers a test asked for (`cli.fails`), left out of the after hook's summary. */
  const askedFor = new Set<RecordedExchange>();

  /** A test whose failure message also carries every openstack run it made. */
  const cliTest = (name: string, fn: (t: TestContext) => Promise<void>) =>
    it(name, async (t) => {
      const mark = cli ? cli.history.length : 0;
      try {
        await fn(t);
      } catch (e) {
        const runs = cli ? cli.history.slice(mark) : [];
        const message = e instanceof Error ? e.message : String(e);
        const others = runs.slice(-6).filter((r) => !message.includes(describeResult(r)));
        if (others.length === 0) throw e;
        throw new Error(`${message}\n\n===== last openstack runs in this test =====\n${others.map(describeResult).join('\n\n')}`, { cause: e });
      }
    });

  const json = <T = Row>(args: string[], cloudName: CloudName = USER) => cli.json<T>(args, { cloud: cloudName });

  /** `openstack server show -f json vm1`: status, task state and power state as the CLI prints them. */
  const show = () => json(['server', 'show', 'vm1']);

  /** Polls `server show` until the status is `status` and no task is running; returns the last show. */
  const waitStatus = async (status: string, timeoutMs = 30_000): Promise<Row> => {
    const deadline = Date.now() + timeoutMs;
    let last: Row = {};
    while (Date.now() < deadline) {
      // The short form the user would type first; then the full row for the task state.
      const r = await cli.ok(['server', 'show', '-c', 'status', 'vm1'], { cloud: USER, format: 'value' });
      if (r.stdout.trim() === status) {
        last = await show();
        if (last.status === status && !last['OS-EXT-STS:task_state']) return last;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`vm1 did not reach ${status}; last: ${JSON.stringify(last)}`);
  };

  /** Runs `openstack server <action> vm1` and waits for the status the user then sees. */
  const action = async (args: string[], status: string, power: string): Promise<Row> => {
    const r = await cli.ok(['server', ...args, 'vm1'], { cloud: USER });
    assert.equal(r.stdout.trim(), '', describeResult(r));
    const s = await waitStatus(status);
    assert.equal(s['OS-EXT-STS:power_state'], POWER[power], `power state after server ${args.join(' ')}`);
    // The table (the CLI's default output) names the power state.
    const shown = await cli.ok(['server', 'show', '-c', 'OS-EXT-STS:power_state', 'vm1'], { cloud: USER });
    assert.equal(/\|\s*OS-EXT-STS:power_state\s*\|\s*(.*?)\s*\|/.exec(shown.stdout)?.[1], power, describeResult(shown));
    return s;
  };

  /** Runs `openstack server <args>` as `cloudName` (silent on success) and waits for `status`; returns the last show. */
  const move = async (args: string[], status: string, cloudName: CloudName = USER): Promise<Row> => {
    const r = await cli.ok(['server', ...args], { cloud: cloudName });
    assert.equal(r.stdout.trim(), '', describeResult(r));
    return waitStatus(status);
  };

  /** `openstack image list -f json` as the owner: rows of ID, Name, Status. */
  const images = () => json<Row[]>(['image', 'list']);

  /** Polls `image list` until `done(rows)`; returns the rows. */
  const waitImages = async (what: string, done: (rows: Row[]) => boolean, timeoutMs = 30_000): Promise<Row[]> => {
    const deadline = Date.now() + timeoutMs;
    let rows: Row[] = [];
    while (Date.now() < deadline) {
      rows = await images();
      if (done(rows)) return rows;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`image list never showed ${what}; last: ${JSON.stringify(rows)}`);
  };

  /** Keeps the error answers of a command that was expected to fail out of the after hook's summary. */
  const expectFailure = (r: CliResult) => r.exchanges.filter((x) => x.status >= 400).forEach((x) => askedFor.add(x));

  before(async () => {
    if (!osc.ok) return;
    cloud = await startCloud('sqlite', '[DEFAULT]\nallow_resize_to_same_host = True\n[fake_driver]\nvcpus = 8\nmemory_mb = 8192\nlocal_gb = 100\n');
    await cloud.waitForCompute();
    cli = await OpenStackCli.create(cloud, { imageEndpoint: cloud.imageUrl });
  });
  after(async () => {
    if (cli) {
      console.log(`  ${cli.timing()}`);
      // Error answers other than the name lookups' 404s (GET /servers/vm1 or vm1-renamed, /flavors/m1.tiny or m1.small), delete --wait's last
      // poll and the errors asked for.
      const expected404 = (url: string) => /\/(servers|flavors)\/(vm1|vm1-renamed|m1\.tiny|m1\.small)$/.test(url) || url === `/v2.1/servers/${serverId}`;
      const odd = cli.exchanges.filter((x) => x.status >= 400 && !(x.status === 404 && expected404(x.url)) && x.status !== 409 && !askedFor.has(x));
      console.log(`  unexpected error answers: ${odd.length === 0 ? 'none' : odd.map((x) => `${x.method} ${x.url} → ${x.status}`).join('; ')}`);
    }
    await cli?.close();
    await cloud?.stop();
  });

  cliTest('image create --file and image list show the cirros image active', async () => {
    const file = join(cli.dir, 'cirros.qcow2');
    writeFileSync(file, randomBytes(256 * 1024));
    const img = await json(['image', 'create', '--file', file, '--disk-format', 'qcow2', '--container-format', 'bare', 'cirros']);
    assert.equal(img.name, 'cirros');
    // OSC prints the image as created, before the upload (the same with Glance); the list shows it active.
    assert.equal(img.status, 'queued');
    const list = await json<Row[]>(['image', 'list']);
    assert.deepEqual(list.map((i) => [i.Name, i.Status]), [['cirros', 'active']]);
  });

  cliTest('flavor create m1.tiny (admin)', async () => {
    const f = await json(['flavor', 'create', '--ram', '512', '--disk', '1', '--vcpus', '1', 'm1.tiny'], 'nova-ts-admin');
    assert.equal(f.name, 'm1.tiny');
    assert.equal(f.ram, 512);
  });

  cliTest('server create --wait boots vm1 to ACTIVE, without networks at 2.1', async () => {
    const r = await cli.ok(['server', 'create', '--image', 'cirros', '--flavor', 'm1.tiny', '--wait', 'vm1'], { cloud: USER, format: 'json', timeoutMs: 90_000 });
    const s = JSON.parse(r.stdout) as Row;
    serverId = s.id as string;
    assert.equal(s.name, 'vm1');
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:power_state'], POWER.Running);
    assert.match(s.image, /^cirros \(/);
    assert.match(s.flavor, /^m1\.tiny \(/);
    assert.equal(s.project_id, 'proj1');
    assert.equal(s.user_id, 'alice');
    assert.equal(typeof s.adminPass, 'string');
    const post = cli.find('POST', /^\/v2\.1\/servers$/, r);
    assert.ok(post, describeResult(r));
    const body = JSON.parse(post.body).server as Row;
    assert.equal(body.networks, undefined, 'no networks at 2.1');
    assert.equal(post.status, 202);
  });

  cliTest('server list, server list --long and server show print vm1', async () => {
    const list = await json<Row[]>(['server', 'list']);
    assert.equal(list.length, 1, JSON.stringify(list));
    assert.equal(list[0].ID, serverId);
    assert.equal(list[0].Name, 'vm1');
    assert.equal(list[0].Status, 'ACTIVE');
    assert.equal(list[0].Image, 'cirros');
    assert.equal(list[0].Flavor, 'm1.tiny');

    const long = await json<Row[]>(['server', 'list', '--long']);
    assert.equal(long.length, 1);
    assert.equal(long[0].Name, 'vm1');
    assert.equal(long[0].Status, 'ACTIVE');
    assert.equal(long[0]['Power State'], POWER.Running);
    assert.equal(long[0]['Task State'], null);
    assert.equal(long[0]['Availability Zone'], 'nova');
    assert.equal(long[0]['Image Name'], 'cirros');
    assert.equal(long[0]['Flavor Name'], 'm1.tiny');

    const s = await show();
    assert.equal(s.id, serverId);
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-AZ:availability_zone'], 'nova');
    assert.equal(s['OS-EXT-STS:vm_state'], 'active');
    assert.match(s['OS-SRV-USG:launched_at'], /^\d{4}-\d\d-\d\dT/);

    // The admin sees the host; another project does not see the server at all.
    const asAdmin = await json(['server', 'show', serverId], 'nova-ts-admin');
    assert.equal(asAdmin['OS-EXT-SRV-ATTR:host'], 'functest');
    const other = await cli.fails(['server', 'show', 'vm1'], { cloud: 'nova-ts-other' });
    assert.match(other.stderr, /No server with a name or ID of 'vm1' exists/, describeResult(other));
  });

  cliTest('server stop / start / reboot / reboot --hard', async () => {
    await action(['stop'], 'SHUTOFF', 'Shutdown');
    await action(['start'], 'ACTIVE', 'Running');
    await action(['reboot'], 'ACTIVE', 'Running');
    await action(['reboot', '--hard'], 'ACTIVE', 'Running');
    // A wrong-state action fails with Nova's 409 message.
    const r = await cli.fails(['server', 'start', 'vm1'], { cloud: USER });
    assert.match(r.stderr, /Cannot 'start' instance .* while it is in vm_state active/, describeResult(r));
  });

  cliTest('server pause / unpause / suspend / resume', async () => {
    await action(['pause'], 'PAUSED', 'Paused');
    await action(['unpause'], 'ACTIVE', 'Running');
    await action(['suspend'], 'SUSPENDED', 'Suspended');
    await action(['resume'], 'ACTIVE', 'Running');
  });

  cliTest('server rescue / unrescue', async () => {
    await action(['rescue'], 'RESCUE', 'Running');
    await action(['unrescue'], 'ACTIVE', 'Running');
  });

  cliTest('server lock makes actions fail for the owner; unlock lets them through', async () => {
    await cli.ok(['server', 'lock', 'vm1'], { cloud: USER });
    const r = await cli.fails(['server', 'stop', 'vm1'], { cloud: USER });
    assert.match(r.stderr, new RegExp(`Instance ${serverId} is locked`), describeResult(r));
    assert.equal((await show()).status, 'ACTIVE');
    await cli.ok(['server', 'unlock', 'vm1'], { cloud: USER });
    await action(['stop'], 'SHUTOFF', 'Shutdown');
    await action(['start'], 'ACTIVE', 'Running');
  });

  cliTest('console log show prints the guest console', async () => {
    const r = await cli.ok(['console', 'log', 'show', 'vm1'], { cloud: USER });
    assert.match(r.stdout, /FAKE CONSOLE OUTPUT/);
    assert.match(r.stdout, /vm1 login:/);
    const tail = await cli.ok(['console', 'log', 'show', '--lines', '1', 'vm1'], { cloud: USER });
    assert.equal(tail.stdout.trim().split('\n').length, 1, describeResult(tail));
  });

  let snapshotId = '';

  cliTest('server image create --wait snapshots vm1; image list and image show print the snapshot', async () => {
    const r = await cli.ok(['server', 'image', 'create', '--name', 'vm1-snap', '--wait', 'vm1'], { cloud: USER, format: 'json', timeoutMs: 90_000 });
    const img = JSON.parse(r.stdout) as Row;
    snapshotId = img.id as string;
    assert.equal(img.name, 'vm1-snap');
    assert.equal(img.status, 'active');
    const post = cli.find('POST', new RegExp(`^/v2\\.1/servers/${serverId}/action$`), r);
    assert.deepEqual(JSON.parse(post?.body ?? '{}'), { createImage: { name: 'vm1-snap' } }, describeResult(r));
    assert.equal(post?.status, 202);

    const list = await images();
    assert.deepEqual(list.map((i) => [i.Name, i.Status]), [['cirros', 'active'], ['vm1-snap', 'active']]);
    const cirrosId = list.find((i) => i.Name === 'cirros')?.ID as string;
    const shown = await json(['image', 'show', 'vm1-snap']);
    assert.equal(shown.id, snapshotId);
    assert.equal(shown.owner, 'proj1');
    assert.equal(shown.properties.image_type, 'snapshot');
    assert.equal(shown.properties.instance_uuid, serverId);
    assert.equal(shown.properties.base_image_ref, cirrosId);
    assert.equal(shown.properties.user_id, 'alice');
    // The server is back to ACTIVE with no task once the upload is done.
    await waitStatus('ACTIVE');
  });

  cliTest('server resize --flavor m1.small, resize confirm; resize --flavor m1.tiny, resize revert', async () => {
    // m1.small keeps m1.tiny's 1 GiB root disk: the fake driver, like libvirt, cannot resize a disk down.
    await json(['flavor', 'create', '--ram', '1024', '--disk', '1', '--vcpus', '2', 'm1.small'], 'nova-ts-admin');
    let s = await move(['resize', '--flavor', 'm1.small', 'vm1'], 'VERIFY_RESIZE');
    assert.match(s.flavor, /^m1\.small \(/);
    assert.equal(s['OS-EXT-STS:vm_state'], 'resized');
    s = await move(['resize', 'confirm', 'vm1'], 'ACTIVE');
    assert.match(s.flavor, /^m1\.small \(/);
    assert.equal(s['OS-EXT-STS:power_state'], POWER.Running);

    s = await move(['resize', '--flavor', 'm1.tiny', 'vm1'], 'VERIFY_RESIZE');
    assert.match(s.flavor, /^m1\.tiny \(/);
    s = await move(['resize', 'revert', 'vm1'], 'ACTIVE');
    assert.match(s.flavor, /^m1\.small \(/, 'revert restores the old flavor');
    assert.equal(s['OS-EXT-STS:power_state'], POWER.Running);
  });

  cliTest('server migrate (admin only) and server migration confirm', async () => {
    const denied = await cli.fails(['server', 'migrate', 'vm1'], { cloud: USER });
    assert.match(denied.stderr, /Policy doesn't allow os_compute_api:os-migrate-server:migrate to be performed\. \(HTTP 403\)/, describeResult(denied));
    expectFailure(denied);
    // The admin names the server by id: without --all-projects a name only finds the admin's own servers.
    let s = await move(['migrate', serverId], 'VERIFY_RESIZE', 'nova-ts-admin');
    assert.match(s.flavor, /^m1\.small \(/, 'a migration keeps the flavor');
    // `server migrate confirm` is OSC 6.0.0's deprecated alias of this (both send confirmResize).
    s = await move(['migration', 'confirm', serverId], 'ACTIVE', 'nova-ts-admin');
    assert.match(s.flavor, /^m1\.small \(/);
    assert.equal(s['OS-EXT-STS:power_state'], POWER.Running);
  });

  cliTest('server shelve offloads vm1 into a vm1-shelved image; server unshelve brings it back', async () => {
    let s = await move(['shelve', 'vm1'], 'SHELVED_OFFLOADED');
    assert.equal(s['OS-EXT-STS:vm_state'], 'shelved_offloaded');
    assert.equal(s['OS-EXT-STS:power_state'], POWER.Shutdown);
    const shelved = await images();
    assert.deepEqual(shelved.filter((i) => i.Name === 'vm1-shelved').map((i) => i.Status), ['active'], JSON.stringify(shelved));
    s = await move(['unshelve', 'vm1'], 'ACTIVE');
    assert.equal(s['OS-EXT-STS:power_state'], POWER.Running);
    assert.match(s.image, /^cirros \(/, 'the server shows its original image again');
    // The shelved snapshot is deleted on unshelve. Nova deletes it before the server turns ACTIVE;
    // nova-ts deletes it just after (src/compute/shelve.service.ts), so this polls.
    await waitImages('vm1-shelved deleted', (rows) => !rows.some((i) => i.Name === 'vm1-shelved'), 10_000);
  });

  cliTest('server rebuild --image vm1-snap rebuilds vm1 from its snapshot', async () => {
    const r = await json(['server', 'rebuild', '--image', 'vm1-snap', 'vm1']);
    assert.equal(r.id, serverId);
    assert.equal(r.status, 'REBUILD');
    assert.equal(r.image, `vm1-snap (${snapshotId})`);
    assert.equal(typeof r.adminPass, 'string');
    const s = await waitStatus('ACTIVE');
    assert.equal(s.image, `vm1-snap (${snapshotId})`);
    assert.match(s.flavor, /^m1\.small \(/);
    assert.equal(s['OS-EXT-STS:power_state'], POWER.Running);
  });

  cliTest('server backup create --rotate 1, twice, leaves one daily backup', async () => {
    const args = ['server', 'backup', 'create', '--name', 'bk', '--type', 'daily', '--rotate', '1', 'vm1'];
    const first = await json(args);
    assert.equal(first.name, 'bk');
    assert.equal(first.properties.image_type, 'backup');
    assert.equal(first.properties.backup_type, 'daily');
    assert.equal(first.properties.instance_uuid, serverId);
    await waitStatus('ACTIVE');
    await waitImages('bk active', (rows) => rows.some((i) => i.ID === first.id && i.Status === 'active'));

    // OSC 6.0.0 looks the new backup up by name right after the 202, when the one it rotates out may
    // still exist (with Nova too: the API creates the image, the compute rotates after the upload).
    const second = await cli.run(args, { cloud: USER, format: 'json' });
    const post = cli.find('POST', new RegExp(`^/v2\\.1/servers/${serverId}/action$`), second);
    assert.deepEqual(JSON.parse(post?.body ?? '{}'), { createBackup: { name: 'bk', backup_type: 'daily', rotation: 1 } }, describeResult(second));
    assert.equal(post?.status, 202, describeResult(second));
    if (second.code !== 0) assert.match(second.stderr, /More than one Image exists with the name 'bk'/, describeResult(second));
    else assert.notEqual((second.json as Row).id, first.id);
    await waitStatus('ACTIVE');
    const rows = await waitImages('a single bk', (l) => l.filter((i) => i.Name === 'bk').length === 1 && l.some((i) => i.Name === 'bk' && i.ID !== first.id && i.Status === 'active'));
    // Rotation only touches this server's daily backups: the snapshot stays.
    assert.deepEqual(rows.map((i) => i.Name), ['bk', 'cirros', 'vm1-snap']);
  });

  cliTest('server set --name / --property, server unset --property, server show', async () => {
    const set = await cli.ok(['server', 'set', '--name', 'vm1-renamed', '--property', 'k=v', '--property', 'k2=v2', 'vm1'], { cloud: USER });
    assert.equal(set.stdout.trim(), '', describeResult(set));
    let s = await json(['server', 'show', 'vm1-renamed']);
    assert.equal(s.id, serverId);
    assert.equal(s.name, 'vm1-renamed');
    assert.deepEqual(s.properties, { k: 'v', k2: 'v2' });
    await cli.ok(['server', 'unset', '--property', 'k', 'vm1-renamed'], { cloud: USER });
    await cli.ok(['server', 'set', '--name', 'vm1', 'vm1-renamed'], { cloud: USER });
    s = await show();
    assert.equal(s.id, serverId);
    assert.equal(s.name, 'vm1');
    assert.deepEqual(s.properties, { k2: 'v2' });
    assert.equal(s.status, 'ACTIVE');
  });

  cliTest('server delete --wait removes vm1', async () => {
    const r = await cli.ok(['server', 'delete', '--wait', 'vm1'], { cloud: USER, timeoutMs: 90_000 });
    assert.ok(cli.find('DELETE', new RegExp(`^/v2\\.1/servers/${serverId}$`), r), describeResult(r));
    const list = await json<Row[]>(['server', 'list']);
    assert.deepEqual(list, []);
    // The server's snapshot and backup outlive it.
    assert.deepEqual((await images()).map((i) => i.Name), ['bk', 'cirros', 'vm1-snap']);
    const gone = await cli.fails(['server', 'show', 'vm1'], { cloud: USER });
    assert.match(gone.stderr, /No server with a name or ID of 'vm1' exists/, describeResult(gone));
  });
});
