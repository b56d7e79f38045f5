/**
 * A hypervisor host that cannot be reached, end to end: the real binary (`nova --role=all`,
 * SQLite + in-process bus) on the libvirt driver reaches the lab's libvirtd through a private
 * sshd this test starts on a free port (the lab's host key, client key and authorized_keys; the
 * lab's own sshd on 2222 is never touched). The sshd and every connection it serves are killed
 * while a server runs:
 *   - `openstack compute service list` shows nova-compute down within a few report_intervals
 *     (the compute stops heartbeating while `virsh version` over SSH fails),
 *   - `openstack server stop` fails cleanly (the server is back to ACTIVE with no task, the
 *     action's event is an Error with the reason) instead of hanging,
 *   - the power-state sync records nothing (the server stays ACTIVE/Running) and the guest keeps
 *     running on the host.
 * Then the sshd is started again: the compute reconnects by itself, reports up, stop/start work,
 * and the power-state sync resumes (a guest destroyed behind Nova's back becomes SHUTOFF).
 *
 * Skipped when the lab or the CLI is missing (NOVA_TS_REQUIRE_LAB=1 makes a missing lab a failure).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cloud, startCloud } from '../utils/cloud';
import { HypervisorLab, loadHypervisorLab } from '../utils/hypervisor-lab';
import { libvirtConf, registerTinyGuest, removeDomainsUnder, virsh, waitForHypervisor } from '../utils/libvirt-cloud';
import { describeResult, OpenStackCli, openstackAvailable } from '../utils/openstack-cli';
import { freePort } from '../utils/free-port';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const labOrWhy = loadHypervisorLab();
const osc = openstackAvailable();
const skip = typeof labOrWhy === 'string' ? labOrWhy : osc.ok ? false : `openstack CLI not available: ${osc.version}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REPORT_INTERVAL = 2;
const SERVICE_DOWN_TIME = 8;

/** pid and every process below it (sshd's per-connection children call setsid: no process group to signal). */
function processTree(root: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).trim().split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of rows) if (ppid === out[i] && !out.includes(pid)) out.push(pid);
  return out;
}

/** A private sshd for the lab host on `port`: the lab's keys, this test's config, pid and log files. */
class PrivateSshd {
  private proc: ChildProcess | undefined;
  readonly config: string;
  readonly knownHosts: string;
  readonly log: string;

  constructor(lab: HypervisorLab, dir: string, readonly port: number) {
    this.config = join(dir, 'sshd_config');
    this.knownHosts = join(dir, 'known_hosts');
    this.log = join(dir, 'sshd.log');
    const lines = readFileSync(lab.sshdConfig, 'utf8').split('\n')
      .filter((l) => !/^\s*(Port|PidFile)\b/i.test(l))
      .concat([`Port ${port}`, `PidFile ${join(dir, 'sshd.pid')}`]);
    writeFileSync(this.config, lines.join('\n') + '\n', { mode: 0o600 });
    const hostKey = /^\s*HostKey\s+(\S+)/m.exec(lines.join('\n'))?.[1];
    if (!hostKey) throw new Error(`${lab.sshdConfig} has no HostKey`);
    const pub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    writeFileSync(this.knownHosts, `[${lab.sshHost}]:${port} ${pub}\n`);
  }

  /** Starts sshd in the foreground (-D) and waits until it accepts connections. */
  async start(): Promise<void> {
    this.proc = spawn('/usr/sbin/sshd', ['-D', '-f', this.config, '-E', this.log], { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(this.port, '127.0.0.1');
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline || this.proc.exitCode !== null) throw new Error(`sshd on ${this.port} did not start: ${readFileSync(this.log, 'utf8').slice(-500)}`);
      await sleep(100);
    }
  }

  /** The host "goes away": SIGKILL to sshd and every session it serves (established connections drop too). */
  kill(): void {
    const pid = this.proc?.pid;
    if (!pid || this.proc?.exitCode !== null) return;
    for (const p of processTree(pid).reverse()) {
      try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ }
    }
    this.proc = undefined;
  }
}

describe('libvirt host unreachable: compute down, actions fail cleanly, everything back when the host returns', { skip, timeout: 10 * 60_000 }, () => {
  const lab = labOrWhy as HypervisorLab;
  const uri = () => lab.libvirtUri;
  const namePrefix = `hd${randomBytes(3).toString('hex')}`;
  let work = '';
  let instancesPath = '';
  let sshd: PrivateSshd;
  let cloud: Cloud;
  let cli: OpenStackCli;
  let vm = '';
  let domain = '';

  const json = <T = Row>(args: string[]) => cli.json<T>(args, { cloud: 'nova-ts-admin' });
  const computeState = async (): Promise<string> => {
    const rows = await json<Row[]>(['compute', 'service', 'list', '--service', 'nova-compute']);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    return `${rows[0]!.Status}/${rows[0]!.State}`;
  };
  const waitComputeState = async (want: string, timeoutMs: number): Promise<number> => {
    const t0 = Date.now();
    let last = '';
    while (Date.now() - t0 < timeoutMs) {
      last = await computeState();
      if (last === want) return Date.now() - t0;
      await sleep(500);
    }
    throw new Error(`nova-compute stayed ${last}, expected ${want}\n${cloud.output.split('\n').slice(-30).join('\n')}`);
  };
  const waitStatus = async (status: string, timeoutMs = 120_000): Promise<Row> => {
    const deadline = Date.now() + timeoutMs;
    let last: Row = {};
    while (Date.now() < deadline) {
      last = await json(['server', 'show', vm]);
      if (last.status === status && !last['OS-EXT-STS:task_state']) return last;
      await sleep(500);
    }
    throw new Error(`${vm} did not reach ${status}; last: ${JSON.stringify(last)}\n${cloud.output.split('\n').slice(-30).join('\n')}`);
  };
  const markers = async (): Promise<number> => (await cli.ok(['console', 'log', 'show', vm])).stdout.split(lab.guestMarker).length - 1;
  const waitMarkers = async (n: number): Promise<void> => {
    const deadline = Date.now() + 90_000;
    while ((await markers()) < n) {
      if (Date.now() > deadline) assert.fail(`${lab.guestMarker} not printed ${n} times`);
      await sleep(500);
    }
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'nova-ts-host-down-'));
    instancesPath = join(work, 'instances');
    sshd = new PrivateSshd(lab, work, await freePort());
    await sshd.start();
    const extra = [
      '[DEFAULT]', `report_interval = ${REPORT_INTERVAL}`, `service_down_time = ${SERVICE_DOWN_TIME}`, 'sync_power_state_interval = 3',
      `instance_name_template = ${namePrefix}-%08x`, '[libvirt]', 'ssh_connect_timeout = 5',
    ].join('\n');
    cloud = await startCloud('sqlite', libvirtConf({ ...lab, sshPort: sshd.port }, instancesPath, { knownHostsFile: sshd.knownHosts, extra }));
    await cloud.waitForCompute();
    await waitForHypervisor(cloud);
    cli = await OpenStackCli.create(cloud, { imageEndpoint: cloud.imageUrl });
    await registerTinyGuest(cloud, lab, work, 'tiny');
    await json(['flavor', 'create', '--ram', String(lab.guestRamMb), '--disk', '1', '--vcpus', '1', 'm1.nano']);
  });

  after(async () => {
    await cli?.close();
    await cloud?.stop().catch((e: unknown) => console.log(`  stopping nova: ${String(e)}`));
    sshd?.kill();
    if (instancesPath) removeDomainsUnder(uri(), instancesPath);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a server runs on the host reached through the private sshd; nova-compute is up', async () => {
    const r = await cli.ok(['server', 'create', '--image', 'tiny', '--flavor', 'm1.nano', '--wait', 'vm'], { format: 'json', timeoutMs: 150_000 });
    const s = JSON.parse(r.stdout) as Row;
    assert.equal(s.status, 'ACTIVE', describeResult(r));
    vm = s.id as string;
    domain = String(s['OS-EXT-SRV-ATTR:instance_name']);
    assert.match(domain, new RegExp(`^${namePrefix}-[0-9a-f]{8}$`));
    assert.equal(virsh(uri(), 'domuuid', domain).trim(), vm);
    await waitMarkers(1);
    assert.equal(await computeState(), 'enabled/up');
  });

  it('sshd killed: the compute reports down within a few report_intervals; stop fails cleanly; the guest and its record are untouched', async () => {
    sshd.kill();
    const downAfter = await waitComputeState('enabled/down', 60_000);
    console.log(`  # sshd killed → nova-compute down after ${downAfter} ms (report_interval ${REPORT_INTERVAL} s, service_down_time ${SERVICE_DOWN_TIME} s)`);
    assert.ok(downAfter <= (SERVICE_DOWN_TIME + 5 * REPORT_INTERVAL) * 1000, `${downAfter} ms`);
    assert.match(cloud.output, /nova-compute: not reporting alive \(the service will show down\): libvirt: the hypervisor host root@127\.0\.0\.1:\d+ .*cannot be reached/);

    const t0 = Date.now();
    const r = await cli.run(['server', 'stop', vm], { timeoutMs: 120_000 });
    if (r.code !== 0) {
      assert.match(r.stderr, /HTTP 409|HTTP 503/, describeResult(r)); // refused up front
      console.log(`  # server stop refused by the API: ${r.stderr.trim().split('\n').pop()}`);
    } else {
      const s = await waitStatus('ACTIVE', 90_000); // the compute tried, failed, and reset the task
      assert.equal(s['OS-EXT-STS:power_state'], 1);
      const actions = (await cloud.request('GET', `/v2.1/servers/${vm}/os-instance-actions`)).body.instanceActions as Row[];
      const stop = actions.find((a) => a.action === 'stop');
      assert.ok(stop, JSON.stringify(actions));
      const detail = (await cloud.request('GET', `/v2.1/servers/${vm}/os-instance-actions/${stop.request_id}`)).body.instanceAction as Row;
      const ev = (detail.events as Row[]).find((e) => e.event === 'compute_stop_instance') ?? (detail.events as Row[])[0];
      assert.equal(ev?.result, 'Error', JSON.stringify(detail));
      console.log(`  # server stop accepted (202), failed on the compute: ${String(ev?.traceback ?? '').split('\n')[0]?.slice(0, 200)}`);
    }
    console.log(`  # server stop with the host unreachable settled after ${Date.now() - t0} ms`);

    await sleep(7_000); // two power-state sync rounds: skipped, nothing recorded
    const s = await json(['server', 'show', vm]);
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:power_state'], 1);
    assert.match(cloud.output, /power state sync skipped: libvirt: the hypervisor host/);
    assert.equal(virsh(uri(), 'domstate', domain).trim(), 'running', 'the guest itself keeps running');
    assert.equal(await computeState(), 'enabled/down');
  });

  it('sshd back: the compute reconnects and reports up; actions work; the power-state sync resumes', async () => {
    await sshd.start();
    const upAfter = await waitComputeState('enabled/up', 60_000);
    console.log(`  # sshd restarted → nova-compute up after ${upAfter} ms`);
    assert.match(cloud.output, /nova-compute: healthy again, reporting alive/);
    await cli.ok(['server', 'stop', vm]);
    await waitStatus('SHUTOFF');
    assert.match(virsh(uri(), 'domstate', domain), /^shut off/);
    const before = await markers();
    await cli.ok(['server', 'start', vm]);
    await waitStatus('ACTIVE');
    await waitMarkers(before + 1);
    // The periodic sync runs again: a guest powered off behind Nova's back is recorded as stopped.
    virsh(uri(), 'destroy', domain);
    const s = await waitStatus('SHUTOFF', 60_000);
    assert.equal(s['OS-EXT-STS:power_state'], 4);
  });
});
