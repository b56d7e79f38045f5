/**
 * Moves between two real hypervisor hosts through the real `openstack` CLI: host A is the lab's
 * libvirtd (scripts/hypervisor-setup.sh, sshd on 2222), host B a second libvirtd in its own mount
 * namespace with its own sshd (2223) and its own instances storage
 * (scripts/hypervisor-second-host.sh). Two compute processes (hostA, hostB) reach their host over
 * SSH; a controller runs conductor, scheduler, api and the image service (MariaDB + RabbitMQ, so
 * run it under `flock /tmp/nova-mysql.lock`).
 *
 * One tiny guest (128 MiB), one move at a time:
 *   boot on A → `server migrate` (cold) → VERIFY_RESIZE on B: running in libvirtd #2, its disk in
 *   B's storage, the marker printed again; `server migrate confirm` → A's copy gone;
 *   `server resize` to a bigger flavor → on A with the new memory; `server resize revert` → back
 *   on B with the old flavor, A clean;
 *   `server migrate --live-migration --host hostA` → ACTIVE on A, never rebooted (no new marker),
 *   still alive (keys typed through libvirt on A come back on its console), B clean;
 *   host A's compute killed and forced down → `server evacuate` → rebuilt from its image and
 *   running on B while A's libvirtd still runs the old copy; A's compute started again → it
 *   destroys that copy and its disk (Nova's `_destroy_evacuated_instances`), evacuation completed;
 *   delete → nothing left on either host.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cloud } from '../utils/cloud';
import { createTestDatabases, type TestDatabases } from '../utils/databases';
import { RABBIT_URL } from '../utils/buses';
import { loadHypervisorLab, type HypervisorLab, type SecondHost } from '../utils/hypervisor-lab';
import { libvirtConf, registerTinyGuest, removeDomainsUnder, virsh } from '../utils/libvirt-cloud';
import { NovaProcess, runNova, waitFor, writeConf } from '../utils/nova-process';
import { describeResult, OpenStackCli, openstackAvailable } from '../utils/openstack-cli';
import { freePort } from '../utils/free-port';

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const labOrWhy = loadHypervisorLab();
const osc = openstackAvailable();
function skipReason(): string | false {
  if (typeof labOrWhy === 'string') return labOrWhy;
  if (!labOrWhy.secondHost) {
    const why = 'second hypervisor host not set up: run scripts/hypervisor-second-host.sh as root';
    if (process.env.NOVA_TS_REQUIRE_LAB === '1') throw new Error(why);
    return why;
  }
  return osc.ok ? false : `openstack CLI not available: ${osc.version}`;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('libvirt moves between two hypervisor hosts (cold migrate, resize + revert, live migrate, evacuate)', { skip: skipReason(), timeout: 20 * 60_000 }, () => {
  const lab = labOrWhy as HypervisorLab;
  const h2 = lab.secondHost as SecondHost;
  const run = `mig${randomBytes(3).toString('hex')}`;
  /** The same instances_path on both hosts (Nova's layout); each host has its own storage there. */
  const instancesPath = `${h2?.instancesRoot}/${run}`;
  /** Host B's instances_path, seen from here (host A's namespace). */
  const onB = `${h2?.instancesFromHost1}/${run}`;
  const uriA = () => lab.libvirtUri;
  const uriB = () => h2.libvirtUriFromHost1;
  let dbs: TestDatabases;
  let work = '';
  let cloud: Cloud;
  let cli: OpenStackCli;
  const procs = new Map<string, NovaProcess>();
  let vm = '';
  const flavorIds = { nano: '', micro: '' };
  let computeArgsA: string[] = [];
  const start = (name: string, args: string[]) => {
    const p = new NovaProcess(args);
    procs.set(name, p);
    return p;
  };

  const json = <T = Row>(args: string[], timeoutMs?: number) => cli.json<T>(args, { cloud: 'nova-ts-admin', timeoutMs });
  const output = () => [...procs].map(([n, p]) => `--- ${n}:\n${p.output.split('\n').slice(-25).join('\n')}`).join('\n');

  const markers = async (): Promise<number> => (await cli.ok(['console', 'log', 'show', vm])).stdout.split(lab.guestMarker).length - 1;
  const waitConsole = async (what: RegExp | number, timeoutMs = 90_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = (await cli.ok(['console', 'log', 'show', vm])).stdout;
      if (typeof what === 'number' ? log.split(lab.guestMarker).length - 1 >= what : what.test(log)) return log;
      if (Date.now() > deadline) assert.fail(`console log of ${vm} never showed ${String(what)}:\n${log.slice(-2000)}`);
      await sleep(1000);
    }
  };
  /** Polls `server show` until `status` with no task; returns the row. */
  const waitStatus = async (status: string, timeoutMs = 240_000): Promise<Row> => {
    const deadline = Date.now() + timeoutMs;
    let last: Row = {};
    while (Date.now() < deadline) {
      last = await json(['server', 'show', vm]);
      if (last.status === status && !last['OS-EXT-STS:task_state']) return last;
      if (last.status === 'ERROR') break;
      await sleep(500);
    }
    throw new Error(`${vm} did not reach ${status}; last: ${JSON.stringify({ status: last.status, task: last['OS-EXT-STS:task_state'], fault: last.fault })}\n${output()}`);
  };
  const hostOf = (s: Row) => s['OS-EXT-SRV-ATTR:host'] as string;
  const state = (uri: string) => virsh(uri, 'domstate', '--domain', vm).trim();
  const maxMemKiB = (uri: string) => Number(/Max memory:\s+(\d+)/.exec(virsh(uri, 'dominfo', '--domain', vm))?.[1]);
  const filesIn = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f !== '_base').sort() : []);

  /** Records when the guest's state changes on A and on B (a timeline for the log). */
  const watchStates = (t0: number) => {
    const seen: string[] = [];
    let last = '';
    const timer = setInterval(() => {
      const now = `A ${state(uriA()).split('\n')[0]!.slice(0, 20)} / B ${state(uriB()).split('\n')[0]!.slice(0, 20)}`;
      if (now !== last) seen.push(`+${Date.now() - t0} ms ${(last = now)}`);
    }, 250);
    timer.unref(); // a failed step must not keep the file running until its timeout
    return { stop: () => { clearInterval(timer); return seen.join('; '); } };
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'nova-ts-libvirt-mig-'));
    mkdirSync(instancesPath, { recursive: true });
    dbs = await createTestDatabases('mysql');
    const imagePort = await freePort();
    const base = writeConf(dbs.statePath, 'nova.conf', [
      '[DEFAULT]', `state_path = ${dbs.statePath}`, `transport_url = ${RABBIT_URL}`, `control_exchange = nova_lvmig_${randomBytes(3).toString('hex')}`,
      'report_interval = 1', 'graceful_shutdown_timeout = 5', 'osapi_compute_listen = 127.0.0.1', 'osapi_compute_listen_port = 0',
      `instance_name_template = ${run}-%08x`, 'long_rpc_timeout = 600', 'rpc_response_timeout = 120',
      '[api]', 'auth_strategy = noauth2', '[image_service]', 'listen = 127.0.0.1', `listen_port = ${imagePort}`,
      '[vnc]', 'novncproxy_host = 127.0.0.1', 'novncproxy_port = 0',
      '[database]', `connection = ${dbs.main}`, '[api_database]', `connection = ${dbs.api}`, '',
    ].join('\n'));
    // Both computes trust both hosts' keys (one known_hosts); host B differs by its sshd's port.
    const confA = writeConf(dbs.statePath, 'hostA.conf', libvirtConf(lab, instancesPath, { knownHostsFile: h2.knownHostsFile }));
    const confB = writeConf(dbs.statePath, 'hostB.conf', libvirtConf(lab, instancesPath, {
      knownHostsFile: h2.knownHostsFile, extra: `[libvirt]\nssh_host = ${h2.sshHost}\nssh_port = ${h2.sshPort}\nssh_user = ${h2.sshUser}`,
    }));
    const sync = runNova(['db', 'sync', '--config-file', base]);
    assert.equal(sync.code, 0, sync.stderr);
    const ctl = start('ctl', ['--role=conductor,scheduler,api', '--host', `${run}-ctl`, '--config-file', base]);
    computeArgsA = ['--role=compute', '--host', 'hostA', '--config-file', base, '--config-file', confA];
    start('hostA', computeArgsA);
    start('hostB', ['--role=compute', '--host', 'hostB', '--config-file', base, '--config-file', confB]);
    const re = /Compute API listening on (http:\/\/127\.0\.0\.1:\d+)\//;
    await ctl.waitForOutput(re, 60_000);
    await ctl.waitForOutput(/built-in image service listening/, 30_000);
    cloud = new Cloud(re.exec(ctl.output)![1]!, base, ctl, dbs, `http://127.0.0.1:${imagePort}`);
    await waitFor(async () => {
      const r = await cloud.request('GET', '/v2.1/os-hypervisors/detail');
      return r.status === 200 && (r.body.hypervisors as Row[]).filter((h) => (h.memory_mb ?? 0) > 0).length === 2;
    }, 90_000, `two libvirt hypervisors\n${output()}`);
    cli = await OpenStackCli.create(cloud, { imageEndpoint: cloud.imageUrl });
    await registerTinyGuest(cloud, lab, work, 'tiny');
    flavorIds.nano = (await json(['flavor', 'create', '--ram', String(lab.guestRamMb), '--disk', '1', '--vcpus', '1', 'm1.nano'])).id as string;
    flavorIds.micro = (await json(['flavor', 'create', '--ram', String(lab.guestRamMb + 64), '--disk', '2', '--vcpus', '1', 'm1.micro'])).id as string;
  });

  after(async () => {
    if (cli) console.log(`  ${cli.timing()}`);
    await cli?.close();
    for (const [name, p] of [...procs].reverse()) if (name !== 'ctl') await p.stop('SIGTERM').catch(() => p.stop('SIGKILL').catch(() => undefined));
    await (cloud ? cloud.stop() : dbs?.drop())?.catch((e: unknown) => console.log(`  stopping nova: ${String(e)}`));
    for (const uri of [lab.libvirtUri, h2.libvirtUriFromHost1]) {
      const left = removeDomainsUnder(uri, instancesPath);
      if (left.length) console.log(`  removed leftover domains on ${uri}: ${left.join(', ')}`);
    }
    rmSync(instancesPath, { recursive: true, force: true });
    rmSync(onB, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('boots on host A', async () => {
    const s = await json(['server', 'create', '--image', 'tiny', '--flavor', 'm1.nano', '--availability-zone', 'nova:hostA', '--wait', `${run}-vm`], 180_000);
    vm = s.id as string;
    assert.equal(s.status, 'ACTIVE', JSON.stringify(s.fault));
    assert.equal(hostOf(s), 'hostA');
    assert.match(state(uriA()), /^running/);
    assert.match(state(uriB()), /^ERROR/, 'host B does not know the guest');
    await waitConsole(1);
    assert.deepEqual(filesIn(join(instancesPath, vm)), ['console.log', 'disk', 'guest.json', 'libvirt.xml']);
    assert.equal(existsSync(join(onB, vm)), false);
  });

  it('cold migrates to host B (VERIFY_RESIZE there), confirm removes host A\'s copy', async () => {
    const t0 = Date.now();
    const watch = watchStates(t0);
    const r = await cli.ok(['server', 'migrate', vm], { timeoutMs: 60_000 });
    assert.equal(r.stdout.trim(), '', describeResult(r));
    const s = await waitStatus('VERIFY_RESIZE');
    console.log(`  cold migration A → B: VERIFY_RESIZE after ${Date.now() - t0} ms; ${watch.stop()}`);
    assert.equal(hostOf(s), 'hostB');
    assert.match(state(uriB()), /^running/, 'libvirtd #2 runs the guest');
    assert.match(state(uriA()), /^ERROR.*failed to get domain/s, 'the source undefined its domain');
    // The disk really moved: host B's own storage has it; host A keeps its old copy until the confirm.
    assert.deepEqual(filesIn(join(onB, vm)), ['console.log', 'disk', 'guest.json', 'libvirt.xml']);
    assert.equal(existsSync(join(instancesPath, vm)), false);
    assert.ok(existsSync(join(instancesPath, `${vm}_resize`, 'disk')));
    // The console log came along: the guest was shut down cleanly (ACPI) on A, then booted again on B.
    const log = await waitConsole(2);
    assert.match(log, new RegExp(`${lab.guestPoweroffMarker}[\\s\\S]*${lab.guestMarker}`));
    const c = await cli.ok(['server', 'migrate', 'confirm', vm]);
    assert.equal(c.stdout.trim(), '', describeResult(c));
    const done = await waitStatus('ACTIVE');
    assert.equal(hostOf(done), 'hostB');
    assert.equal(existsSync(join(instancesPath, `${vm}_resize`)), false, 'confirm removes the old copy on A');
    assert.deepEqual(filesIn(instancesPath), []);
    assert.match(state(uriB()), /^running/);
  });

  it('resizes to a bigger flavor on host A, and reverts back to host B', async () => {
    const r = await cli.ok(['server', 'resize', '--flavor', 'm1.micro', vm], { timeoutMs: 60_000 });
    assert.equal(r.stdout.trim(), '', describeResult(r));
    const s = await waitStatus('VERIFY_RESIZE');
    assert.equal(hostOf(s), 'hostA', 'no resize to the same host: the other one');
    assert.match(JSON.stringify(s.flavor), new RegExp(`m1\\.micro|${flavorIds.micro}`));
    assert.match(state(uriA()), /^running/);
    assert.equal(maxMemKiB(uriA()), (lab.guestRamMb + 64) * 1024);
    const disk = JSON.parse(virsh(uriA(), 'qemu-monitor-command', '--domain', vm, '--cmd', '{"execute":"query-block"}')) as Row;
    assert.equal(disk.return[0].inserted.image['virtual-size'], 2 * 1024 ** 3, 'the disk grew to the flavor\'s 2 GiB');
    assert.ok(existsSync(join(onB, `${vm}_resize`, 'disk')));
    await waitConsole(3);
    const rv = await cli.ok(['server', 'resize', 'revert', vm]);
    assert.equal(rv.stdout.trim(), '', describeResult(rv));
    const back = await waitStatus('ACTIVE');
    assert.equal(hostOf(back), 'hostB');
    assert.match(JSON.stringify(back.flavor), new RegExp(`m1\\.nano|${flavorIds.nano}`));
    assert.match(state(uriB()), /^running/);
    assert.equal(maxMemKiB(uriB()), lab.guestRamMb * 1024);
    assert.match(state(uriA()), /^ERROR/, 'the destination destroyed its copy');
    assert.deepEqual(filesIn(instancesPath), [], 'nothing left on A');
    assert.equal(existsSync(join(onB, `${vm}_resize`)), false);
    await waitConsole(3); // B's own console log again (it had 2), plus this boot
  });

  it('live migrates to host A: ACTIVE there, never rebooted, still alive; host B clean', async () => {
    const before = await markers();
    const t0 = Date.now();
    const r = await cli.ok(['server', 'migrate', '--live-migration', '--host', 'hostA', vm], { apiVersion: '2.30', timeoutMs: 60_000 });
    assert.equal(r.stdout.trim(), '', describeResult(r));
    const s = await waitStatus('ACTIVE');
    console.log(`  live migration B → A: ACTIVE on A after ${Date.now() - t0} ms`);
    assert.equal(hostOf(s), 'hostA');
    const ms = (await cloud.request('GET', `/v2.1/os-migrations?instance_uuid=${vm}`)).body.migrations as Row[];
    assert.deepEqual(ms.map((m) => m.status), ['completed', 'reverted', 'confirmed'], JSON.stringify(ms));
    assert.match(state(uriA()), /^running/);
    assert.match(state(uriB()), /^ERROR/, 'libvirt undefined the source domain');
    assert.deepEqual(filesIn(onB), [], 'the source\'s files are gone');
    assert.deepEqual(filesIn(join(instancesPath, vm)), ['console.log', 'disk', 'guest.json']);
    // Not rebooted: no new marker. Alive: a line typed on its keyboard (through libvirt on A) comes back on ttyS0.
    assert.equal(await markers(), before);
    virsh(uriA(), 'send-key', '--domain', vm, 'KEY_L', 'KEY_I', 'KEY_V', 'KEY_E', 'KEY_ENTER');
    await waitConsole(/NOVA-TS-KEYS: live/, 30_000);
    assert.equal(await markers(), before);
  });

  it('evacuates from a dead host A to B; A\'s compute, back, destroys its old copy', async () => {
    await procs.get('hostA')!.stop('SIGKILL');
    const down = await cli.ok(['compute', 'service', 'set', '--down', 'hostA', 'nova-compute'], { apiVersion: '2.11' });
    assert.equal(down.stdout.trim(), '', describeResult(down));
    const t0 = Date.now();
    // Debian's openstackclient 6.0 sends this same request, then fails printing the result
    // ('TupleWithMeta' object has no attribute 'to_dict'): the API is called as novaclient does.
    const r = await cloud.request('POST', `/v2.1/servers/${vm}/action`, { body: { evacuate: { onSharedStorage: false } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(typeof r.body.adminPass, 'string');
    const s = await waitStatus('ACTIVE');
    console.log(`  evacuation A → B: ACTIVE on B after ${Date.now() - t0} ms`);
    assert.equal(hostOf(s), 'hostB');
    assert.match(state(uriB()), /^running/, 'rebuilt on B');
    assert.deepEqual(filesIn(join(onB, vm)), ['console.log', 'disk', 'guest.json', 'libvirt.xml']);
    await waitConsole(1); // B's fresh console log: the rebuilt guest booted
    // Host A's libvirtd never heard of the evacuation: the old copy still runs there.
    assert.match(state(uriA()), /^running/);
    let [m] = (await cloud.request('GET', `/v2.1/os-migrations?instance_uuid=${vm}&migration_type=evacuation`)).body.migrations as Row[];
    assert.equal(m?.status, 'done', JSON.stringify(m));

    start('hostA', computeArgsA);
    const up = await cli.ok(['compute', 'service', 'set', '--up', 'hostA', 'nova-compute'], { apiVersion: '2.11' });
    assert.equal(up.stdout.trim(), '', describeResult(up));
    await waitFor(async () => {
      [m] = (await cloud.request('GET', `/v2.1/os-migrations?instance_uuid=${vm}&migration_type=evacuation`)).body.migrations as Row[];
      return m?.status === 'completed';
    }, 60_000, `evacuation completed\n${output()}`);
    assert.match(state(uriA()), /^ERROR.*failed to get domain/s, 'host A destroyed the evacuated copy');
    assert.deepEqual(filesIn(instancesPath), [], 'and its disk');
    assert.match(state(uriB()), /^running/, 'the evacuated server is untouched');
    assert.equal((await json(['server', 'show', vm])).status, 'ACTIVE');
  });

  it('delete removes the guest from both hosts', async () => {
    await cli.ok(['server', 'delete', '--wait', vm], { timeoutMs: 120_000 });
    assert.match(state(uriA()), /^ERROR/);
    assert.match(state(uriB()), /^ERROR/);
    assert.deepEqual(filesIn(instancesPath), []);
    assert.deepEqual(filesIn(onB), []);
  });
});
