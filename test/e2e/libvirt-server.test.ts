/**
 * The real binary (`nova --role=all`, SQLite + in-process bus) on the libvirt driver, driven by the
 * real python-openstackclient, against the hypervisor lab of scripts/hypervisor-setup.sh: libvirtd
 * on this machine reached over the lab's private sshd (root@127.0.0.1:2222, the lab's key and
 * known_hosts), QEMU/TCG guests, the tiny guest (kernel + busybox initrd printing
 * NOVA-TS-GUEST-UP on ttyS0) registered through the built-in image service with its real bytes.
 *
 * One server (vm1) goes through create --wait, stop, start, reboot, pause/unpause,
 * suspend/resume, image create --wait, resize + confirm, resize + revert (same host:
 * allow_resize_to_same_host; `virsh dominfo` shows the flavor's vCPUs and memory), rebuild and
 * delete --wait; after each step virsh on the host and
 * the console log (`openstack console log show`) are checked. The snapshot then boots as a second
 * server whose name and metadata are hostile shell text. A wrong host key in known_hosts makes the
 * compute refuse the hypervisor host. Every domain whose files are under this test's
 * instances_path is removed in the after hook, whatever happened.
 *
 * Skipped when the lab or the CLI is missing (NOVA_TS_REQUIRE_LAB=1 makes a missing lab a failure).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cloud, startCloud } from '../utils/cloud';
import { createTestDatabases, TestDatabases } from '../utils/databases';
import { HypervisorLab, loadHypervisorLab } from '../utils/hypervisor-lab';
import { libvirtConf, registerTinyGuest, removeDomainsUnder, virsh, waitForHypervisor } from '../utils/libvirt-cloud';
import { NovaProcess, runNova, writeConf } from '../utils/nova-process';
import { describeResult, OpenStackCli, openstackAvailable } from '../utils/openstack-cli';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const labOrWhy = loadHypervisorLab();
const osc = openstackAvailable();
const skip = typeof labOrWhy === 'string' ? labOrWhy : osc.ok ? false : `openstack CLI not available: ${osc.version}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('openstack server commands on the libvirt driver (lab host over SSH)', { skip, timeout: 12 * 60_000 }, () => {
  const lab = labOrWhy as HypervisorLab;
  const uri = () => lab.libvirtUri;
  const pwned = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
  const namePrefix = `e2e${randomBytes(3).toString('hex')}`;
  let work = '';
  let instancesPath = '';
  let cloud: Cloud;
  let cli: OpenStackCli;
  let vm1 = '';
  let domain = '';
  let snapshotId = '';

  /** The libvirt domain of a server: OS-EXT-SRV-ATTR:instance_name, `<namePrefix>-%08x` of its id. */
  const domainOf = (s: Row): string => {
    const name = String(s['OS-EXT-SRV-ATTR:instance_name']);
    assert.match(name, new RegExp(`^${namePrefix}-[0-9a-f]{8}$`));
    return name;
  };

  const json = <T = Row>(args: string[]) => cli.json<T>(args, { cloud: 'nova-ts-admin' });

  /** `openstack console log show <server>`: how many times the marker was printed. */
  const markers = async (server: string): Promise<number> => {
    const r = await cli.ok(['console', 'log', 'show', server]);
    return r.stdout.split(lab.guestMarker).length - 1;
  };

  /** Polls the console log until the marker was printed at least `n` times. */
  const waitMarkers = async (server: string, n: number, timeoutMs = 60_000): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await markers(server);
      if (c >= n) return c;
      if (Date.now() > deadline) {
        const log = await cli.ok(['console', 'log', 'show', server]);
        assert.fail(`${lab.guestMarker} printed ${c} times, expected ${n}; console:\n${log.stdout.slice(-2000)}`);
      }
      await sleep(500);
    }
  };

  /** Polls `server show` until `status` with no task; returns the row. */
  const waitStatus = async (server: string, status: string, timeoutMs = 90_000): Promise<Row> => {
    const deadline = Date.now() + timeoutMs;
    let last: Row = {};
    while (Date.now() < deadline) {
      last = await json(['server', 'show', server]);
      if (last.status === status && !last['OS-EXT-STS:task_state']) return last;
      if (last.status === 'ERROR') break;
      await sleep(300);
    }
    throw new Error(`${server} did not reach ${status}; last: ${JSON.stringify(last)}\n${cloud.output.split('\n').slice(-30).join('\n')}`);
  };

  /** `openstack server <action> vm1`, then the status the user sees and virsh's domstate. */
  const action = async (args: string[], status: string, domstate: RegExp): Promise<void> => {
    const r = await cli.ok(['server', ...args, vm1]);
    assert.equal(r.stdout.trim(), '', describeResult(r));
    await waitStatus(vm1, status);
    assert.match(virsh(uri(), 'domstate', '--reason', domain), domstate);
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'nova-ts-libvirt-e2e-'));
    instancesPath = join(work, 'instances');
    // One hypervisor host: resizes stay on it (Nova's allow_resize_to_same_host). The libvirtd is
    // shared with other clouds (other test files): domain names carry this run's prefix.
    const extra = `[DEFAULT]\nallow_resize_to_same_host = True\ninstance_name_template = ${namePrefix}-%08x`;
    cloud = await startCloud('sqlite', libvirtConf(lab, instancesPath, { extra }));
    await cloud.waitForCompute();
    await waitForHypervisor(cloud);
    cli = await OpenStackCli.create(cloud, { imageEndpoint: cloud.imageUrl });
    await registerTinyGuest(cloud, lab, work, 'tiny');
    await json(['flavor', 'create', '--ram', String(lab.guestRamMb), '--disk', '1', '--vcpus', '1', 'm1.nano']);
    await json(['flavor', 'create', '--ram', String(lab.guestRamMb + 64), '--disk', '2', '--vcpus', '2', 'm1.micro']);
  });

  after(async () => {
    if (cli) console.log(`  ${cli.timing()}`);
    await cli?.close();
    await cloud?.stop().catch((e: unknown) => console.log(`  stopping nova: ${String(e)}`));
    if (instancesPath) {
      const left = removeDomainsUnder(uri(), instancesPath);
      if (left.length) console.log(`  removed leftover domains: ${left.join(', ')}`);
    }
    if (work) rmSync(work, { recursive: true, force: true });
    rmSync(pwned, { force: true });
  });

  it('server create --wait boots the tiny guest: virsh says running, console log shows the marker', async () => {
    const t0 = Date.now();
    const r = await cli.ok(['server', 'create', '--image', 'tiny', '--flavor', 'm1.nano', '--wait', 'vm1'], { format: 'json', timeoutMs: 150_000 });
    const s = JSON.parse(r.stdout) as Row;
    vm1 = s.id as string;
    assert.equal(s.status, 'ACTIVE', describeResult(r));
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    domain = domainOf(s);
    assert.equal(virsh(uri(), 'domstate', domain).trim(), 'running');
    assert.equal(virsh(uri(), 'domuuid', domain).trim(), vm1);
    await waitMarkers('vm1', 1);
    console.log(`  # server create → marker on the console: ${Date.now() - t0} ms`);
    // Direct kernel boot from the cached images; the disk is an overlay in the instance directory.
    const xml = virsh(uri(), 'dumpxml', domain);
    assert.match(xml, new RegExp(`<kernel>${instancesPath}/_base/[0-9a-f-]+</kernel>`));
    assert.match(xml, new RegExp(`<source file='${instancesPath}/${vm1}/disk'`));
    assert.match(xml, /<graphics type='vnc' port='\d+' autoport='yes' listen='127\.0\.0\.1'>/);
    assert.deepEqual(readdirSync(join(instancesPath, vm1)).sort(), ['console.log', 'disk', 'guest.json', 'libvirt.xml']);
  });

  it('server stop → SHUTOFF (shut off); server start boots again (marker appears again)', async () => {
    const before = await markers('vm1');
    await action(['stop'], 'SHUTOFF', /^shut off/);
    assert.equal((await json(['server', 'show', 'vm1']))['OS-EXT-STS:power_state'], 4);
    await action(['start'], 'ACTIVE', /^running/);
    await waitMarkers('vm1', before + 1);
  });

  it('server reboot: the guest boots again (marker count increases)', async () => {
    const before = await markers('vm1');
    await action(['reboot'], 'ACTIVE', /^running/);
    await waitMarkers('vm1', before + 1);
  });

  it('server pause / unpause / suspend / resume', async () => {
    await action(['pause'], 'PAUSED', /^paused/);
    await action(['unpause'], 'ACTIVE', /^running/);
    const before = await markers('vm1');
    await action(['suspend'], 'SUSPENDED', /^shut off \(saved\)/);
    await action(['resume'], 'ACTIVE', /^running/);
    await sleep(1000);
    assert.equal(await markers('vm1'), before, 'resume restores memory: no new boot');
  });

  it('server image create --wait: the snapshot becomes active with the kernel properties', async () => {
    const r = await cli.ok(['server', 'image', 'create', '--name', 'vm1-snap', '--wait', 'vm1'], { format: 'json', timeoutMs: 120_000 });
    const img = JSON.parse(r.stdout) as Row;
    snapshotId = img.id as string;
    assert.equal(img.status, 'active', describeResult(r));
    const shown = await json(['image', 'show', snapshotId]);
    assert.equal(shown.disk_format, 'qcow2');
    assert.ok(shown.size > 0);
    assert.equal(shown.properties.image_type, 'snapshot');
    assert.match(String(shown.properties.kernel_id), /^[0-9a-f-]{36}$/);
    await waitStatus(vm1, 'ACTIVE');
    assert.equal(virsh(uri(), 'domstate', domain).trim(), 'running');
  });

  it('the snapshot boots as a server with a hostile name and metadata; nothing runs on the host', async () => {
    const hostile = `vm2 "dq" 'sq' $(touch ${pwned}) \`touch ${pwned}\`; touch ${pwned} & <b>&amp; R&D; &#60;`;
    const r = await cli.ok(['server', 'create', '--image', snapshotId, '--flavor', 'm1.nano', '--property', `k=$(touch ${pwned}); '"`, '--wait', hostile], {
      format: 'json', timeoutMs: 150_000,
    });
    const s = JSON.parse(r.stdout) as Row;
    assert.equal(s.status, 'ACTIVE', describeResult(r));
    assert.equal(s.name, hostile);
    const dom = domainOf(s);
    assert.equal(virsh(uri(), 'domstate', dom).trim(), 'running');
    await waitMarkers(s.id as string, 1);
    const xml = virsh(uri(), 'dumpxml', dom);
    // The name is one text node of the domain's metadata, exactly the user's string.
    const name = /<nova:name>([^<]*)<\/nova:name>/.exec(xml)?.[1] ?? '';
    assert.equal(unescapeXml(name), hostile, xml.slice(0, 1500));
    assert.match(xml, /<nova:key>k<\/nova:key>/);
    assert.equal(existsSync(pwned), false, 'no user string reached a shell');
    await cli.ok(['server', 'delete', '--wait', s.id as string], { timeoutMs: 120_000 });
    assert.match(virsh(uri(), 'domstate', dom), /^ERROR .*failed to get domain/);
    assert.equal(existsSync(pwned), false);
  });

  /** `virsh dominfo` of vm1's domain: vCPUs and maximum memory (KiB) the guest runs with. */
  const dominfo = (): { cpus: number; memKiB: number; state: string } => {
    const out = virsh(uri(), 'dominfo', domain);
    const get = (k: string) => new RegExp(`^${k}:\\s+(.*)$`, 'm').exec(out)?.[1]?.trim() ?? '';
    return { cpus: Number(get('CPU\\(s\\)')), memKiB: Number.parseInt(get('Max memory'), 10), state: get('State') };
  };
  const nanoKiB = () => lab.guestRamMb * 1024;
  const microKiB = () => (lab.guestRamMb + 64) * 1024;

  it('server resize to a bigger flavor → VERIFY_RESIZE running with the new vCPUs/memory; resize confirm keeps it', async () => {
    assert.deepEqual(dominfo(), { cpus: 1, memKiB: nanoKiB(), state: 'running' });
    const before = await markers('vm1');
    await cli.ok(['server', 'resize', '--flavor', 'm1.micro', '--wait', 'vm1'], { timeoutMs: 180_000 });
    const s = await waitStatus(vm1, 'VERIFY_RESIZE');
    assert.match(String(s.flavor), /^m1\.micro \(/);
    assert.deepEqual(dominfo(), { cpus: 2, memKiB: microKiB(), state: 'running' });
    await waitMarkers('vm1', before + 1, 150_000); // the guest booted again with the new flavor
    assert.ok(existsSync(join(instancesPath, `${vm1}_resize`)), 'the old copy is kept until confirm');
    await cli.ok(['server', 'resize', 'confirm', 'vm1']);
    const done = await waitStatus(vm1, 'ACTIVE');
    assert.match(String(done.flavor), /^m1\.micro \(/);
    assert.deepEqual(dominfo(), { cpus: 2, memKiB: microKiB(), state: 'running' });
    assert.equal(existsSync(join(instancesPath, `${vm1}_resize`)), false, 'confirm removes the old copy');
    const disk = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', join(instancesPath, vm1, 'disk')], { encoding: 'utf8' })) as Row;
    assert.equal(disk['virtual-size'], 2 * 1024 ** 3, 'the root disk grew to the new flavor');
  });

  it('server resize + resize revert: back to the old flavor, running with the old vCPUs/memory', async () => {
    // The same memory and vCPUs as m1.nano, with m1.micro's disk (a root disk is never shrunk).
    await json(['flavor', 'create', '--ram', String(lab.guestRamMb), '--disk', '2', '--vcpus', '1', 'm1.nano2']);
    const booted = await markers('vm1');
    await cli.ok(['server', 'resize', '--flavor', 'm1.nano2', '--wait', 'vm1'], { timeoutMs: 180_000 });
    await waitStatus(vm1, 'VERIFY_RESIZE');
    assert.deepEqual(dominfo(), { cpus: 1, memKiB: nanoKiB(), state: 'running' });
    await waitMarkers('vm1', booted + 1, 150_000); // booted with the new flavor (TCG under load: slow)
    await cli.ok(['server', 'resize', 'revert', 'vm1']);
    const s = await waitStatus(vm1, 'ACTIVE');
    assert.match(String(s.flavor), /^m1\.micro \(/);
    assert.deepEqual(dominfo(), { cpus: 2, memKiB: microKiB(), state: 'running' });
    // The revert brings back the instance directory kept at the resize, console.log included (as
    // Nova's libvirt driver does): the old log plus one new boot.
    assert.equal(await markers('vm1') <= booted + 1, true);
    await waitMarkers('vm1', booted + 1, 150_000);
    assert.equal(existsSync(join(instancesPath, `${vm1}_resize`)), false);
  });

  it('server rebuild: the guest is recreated from the image and boots again (fresh console, marker)', async () => {
    const before = await markers('vm1');
    assert.ok(before >= 2, `console had ${before} boots`);
    const r = await cli.ok(['server', 'rebuild', '--image', 'tiny', '--wait', 'vm1'], { timeoutMs: 180_000 });
    assert.match(r.stdout, /Complete/, describeResult(r));
    const s = await waitStatus(vm1, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.equal(virsh(uri(), 'domstate', domain).trim(), 'running');
    assert.equal(virsh(uri(), 'domuuid', domain).trim(), vm1);
    // A new domain and disk: the console log starts over, and the guest prints its marker again.
    assert.equal(await waitMarkers('vm1', 1, 150_000), 1);
    assert.equal(dominfo().cpus, 2, 'rebuilt with the current flavor');
  });

  it('server delete --wait: the domain is gone from virsh list --all and its directory removed', async () => {
    await cli.ok(['server', 'delete', '--wait', 'vm1'], { timeoutMs: 120_000 });
    const all = virsh(uri(), 'list', '--all', '--name');
    assert.ok(!all.split('\n').map((l) => l.trim()).includes(domain), all);
    assert.equal(existsSync(join(instancesPath, vm1)), false);
    assert.deepEqual(await json(['server', 'list']), []);
    assert.deepEqual(readdirSync(instancesPath).filter((f) => f !== '_base'), []);
  });
});

describe('libvirt driver: a wrong host key in known_hosts', { skip, timeout: 120_000 }, () => {
  const lab = labOrWhy as HypervisorLab;
  let work = '';
  let dbs: TestDatabases | undefined;
  let proc: NovaProcess | undefined;

  after(async () => {
    await proc?.stop('SIGKILL').catch(() => undefined);
    await dbs?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the compute refuses to connect and nova-compute does not start, naming the host key problem', async () => {
    work = mkdtempSync(join(tmpdir(), 'nova-ts-libvirt-hostkey-'));
    // Some other ed25519 key under the lab host's known_hosts name.
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'not-the-lab', '-f', join(work, 'other')]);
    const other = execFileSync('ssh-keygen', ['-y', '-f', join(work, 'other')], { encoding: 'utf8' }).trim().split(' ').slice(0, 2).join(' ');
    const knownHosts = join(work, 'known_hosts');
    writeFileSync(knownHosts, `[${lab.sshHost}]:${lab.sshPort} ${other}\n`);
    dbs = await createTestDatabases('sqlite');
    const conf = writeConf(dbs.statePath, 'nova.conf', [
      '[DEFAULT]', `state_path = ${dbs.statePath}`, 'osapi_compute_listen = 127.0.0.1', 'osapi_compute_listen_port = 0',
      '[api]', 'auth_strategy = noauth2', '[image_service]', 'listen = 127.0.0.1', 'listen_port = 0',
      libvirtConf(lab, join(work, 'instances'), { knownHostsFile: knownHosts }),
    ].join('\n') + '\n');
    const sync = runNova(['db', 'sync', '--config-file', conf]);
    assert.equal(sync.code, 0, sync.stderr);
    proc = new NovaProcess(['--role=all', '--config-file', conf, '--host', 'hostkey']);
    const exited = new Promise<number | null>((res) => proc!.child.on('exit', (code) => res(code)));
    await proc.waitForOutput(/host key verification failed/, 60_000);
    const out = proc.output;
    assert.match(out, new RegExp(`libvirt: cannot use the hypervisor host root@${lab.sshHost.replace(/\./g, '\\.')}:${lab.sshPort}`));
    assert.match(out, /the key offered by \[127\.0\.0\.1\]:2222 \(ssh-ed25519 SHA256:\S+\) does not match the key in \S+known_hosts \(line 1\)/);
    assert.match(out, /refusing to connect/);
    assert.ok(out.includes(lab.hostKeyFingerprint), 'the message names the offered key');
    // As nova-compute failing init_host: the process stops cleanly, says why, exits 1, no stack trace.
    const code = await Promise.race([exited, sleep(20_000).then(() => 'still running' as const)]);
    const all = proc.output;
    assert.equal(code, 1, `exit: ${code}\n${all.split('\n').slice(-20).join('\n')}`);
    assert.match(all, /nova-compute cannot start: .*host key verification failed/);
    assert.doesNotMatch(all, /\n\s+at .+:\d+:\d+/, 'no stack trace');
    assert.doesNotMatch(all, /reports node\(s\)/);
  });
});

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_m, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '');
}
