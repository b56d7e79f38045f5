/**
 * Boot-to-guest benchmark on the libvirt driver (the hypervisor lab of scripts/hypervisor-setup.sh:
 * libvirtd on this machine reached over the lab's sshd, QEMU/TCG, the tiny guest that prints
 * NOVA-TS-GUEST-UP on ttyS0):
 *  (a) nova-ts: time from sending `POST /servers` until the marker is in the server's console
 *      output (`os-getConsoleOutput`, polled every BENCH_POLL_MS = 100 ms), and until ACTIVE;
 *      BENCH_RUNS (5) boots after one cold boot (which also fills the image caches), each server
 *      deleted before the next;
 *  (b) bare libvirt: the same domain XML nova-ts wrote (renamed, new uuid, its own copy of the
 *      overlay disk and console log), `virsh start` → the marker in the console log file (polled
 *      every BENCH_POLL_MS), `virsh destroy`, BENCH_RUNS times;
 * and prints the medians and the difference: what our stack adds on top of QEMU booting the guest.
 * BENCH_TRACE=1 runs the cloud with `[DEFAULT] debug = true` and prints, for the last boot, every
 * command the compute ran on the host with its duration, and the compute's log lines in between
 * (where the overhead goes).
 *
 *   npm run build && node dist/bench/libvirt-boot.bench.js      (or `npm run bench:libvirt`)
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cloud, startCloud } from '../test/utils/cloud';
import { HypervisorLab, loadHypervisorLab } from '../test/utils/hypervisor-lab';
import { libvirtConf, registerTinyGuest, removeDomainsUnder, virsh, waitForHypervisor } from '../test/utils/libvirt-cloud';
import { percentile, sleep } from './bench-cloud';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 100);
const TIMEOUT_MS = 120_000;
const TRACE = process.env.BENCH_TRACE === '1';

interface Boot {
  id: string;
  activeMs: number;
  markerMs: number;
}

async function bootToMarker(cloud: Cloud, lab: HypervisorLab, image: string, flavor: string, name: string): Promise<Boot> {
  const t0 = performance.now();
  const r = await cloud.request('POST', '/v2.1/servers', { body: { server: { name, imageRef: image, flavorRef: flavor } } });
  if (r.status !== 202) throw new Error(`POST /servers: ${r.status} ${r.text}`);
  const id = r.body.server.id as string;
  let activeMs = 0;
  for (;;) {
    const elapsed = performance.now() - t0;
    if (elapsed > TIMEOUT_MS) throw new Error(`server ${id}: no marker after ${TIMEOUT_MS} ms\n${cloud.output.split('\n').slice(-30).join('\n')}`);
    if (!activeMs) {
      const s = await cloud.request('GET', `/v2.1/servers/${id}`);
      const status = s.body?.server?.status as string | undefined;
      if (status === 'ERROR') throw new Error(`server ${id} went ERROR: ${JSON.stringify(s.body.server.fault)}`);
      if (status === 'ACTIVE') activeMs = performance.now() - t0;
    }
    if (activeMs) {
      const c = await cloud.request('POST', `/v2.1/servers/${id}/action`, { body: { 'os-getConsoleOutput': {} } });
      if (c.status === 200 && String(c.body.output).includes(lab.guestMarker)) return { id, activeMs, markerMs: performance.now() - t0 };
    }
    await sleep(POLL_MS);
  }
}

async function deleteServer(cloud: Cloud, id: string): Promise<void> {
  await cloud.request('DELETE', `/v2.1/servers/${id}`);
  await cloud.waitServer(id, (s) => s === null, { timeoutMs: 60_000 });
}

const markerCount = (file: string, marker: string): number => (existsSync(file) ? readFileSync(file, 'latin1').split(marker).length - 1 : 0);

async function main(): Promise<void> {
  const lab = loadHypervisorLab();
  if (typeof lab === 'string') {
    console.log(`libvirt boot benchmark skipped: ${lab}`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'nova-ts-libvirt-bench-'));
  const instancesPath = join(work, 'instances');
  const bareDir = join(work, 'bare');
  const bareName = `nova-ts-bench-bare-${process.pid}`;
  let cloud: Cloud | undefined;
  try {
    cloud = await startCloud('sqlite', libvirtConf(lab, instancesPath) + (TRACE ? '\n[DEFAULT]\ndebug = true\n' : ''));
    await cloud.waitForCompute();
    await waitForHypervisor(cloud);
    const { imageId } = await registerTinyGuest(cloud, lab, work, 'tiny');
    const flavor = await cloud.createFlavor('m1.nano', lab.guestRamMb, 1, 1);

    // Cold: the compute downloads the images, uploads them to the host's cache over SFTP.
    const cold = await bootToMarker(cloud, lab, imageId, flavor, 'bench-cold');

    // The same domain for bare libvirt: nova-ts's XML with its own name, uuid, disk and console log.
    mkdirSync(bareDir);
    const dir = join(instancesPath, cold.id);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', backingFile(join(dir, 'disk')), join(bareDir, 'disk'), '1G']);
    const xml = readFileSync(join(dir, 'libvirt.xml'), 'utf8')
      .split(`${dir}/`).join(`${bareDir}/`)
      .replace(/<name>[^<]*<\/name>/, `<name>${bareName}</name>`)
      .replace(/<uuid>[^<]*<\/uuid>/, `<uuid>${randomUUID()}</uuid>`);
    writeFileSync(join(bareDir, 'domain.xml'), xml);
    await deleteServer(cloud, cold.id);

    const boots: Boot[] = [];
    let trace = '';
    for (let i = 0; i < RUNS; i++) {
      const from = cloud.output.length;
      const b = await bootToMarker(cloud, lab, imageId, flavor, `bench-${i}`);
      if (TRACE) trace = cloud.output.slice(from).split('\n').filter((l) => / (DEBUG|INFO) nova\.(compute|conductor|scheduler)/.test(l)).join('\n');
      boots.push(b);
      await deleteServer(cloud, b.id);
    }

    const defined = virsh(lab.libvirtUri, 'define', join(bareDir, 'domain.xml'));
    if (defined.startsWith('ERROR')) throw new Error(`virsh define: ${defined}`);
    const log = join(bareDir, 'console.log');
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const before = markerCount(log, lab.guestMarker);
      const t0 = performance.now();
      const started = virsh(lab.libvirtUri, 'start', bareName);
      if (started.startsWith('ERROR')) throw new Error(`virsh start: ${started}`);
      while (markerCount(log, lab.guestMarker) <= before) {
        if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`bare domain: no marker after ${TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
      bare.push(performance.now() - t0);
      virsh(lab.libvirtUri, 'destroy', bareName);
    }

    const med = (xs: number[]) => percentile(xs, 50);
    const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    const all = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');
    const stack = boots.map((b) => b.markerMs);
    const active = boots.map((b) => b.activeMs);
    console.log(`\nlibvirt boot benchmark (node ${process.version}, ${lab.virtType}, ${lab.guestRamMb} MiB tiny guest, SQLite + in-process bus, SSH to ${lab.sshUser}@${lab.sshHost}:${lab.sshPort}, poll ${POLL_MS} ms)`);
    console.log('| measure | median | runs (s) |');
    console.log('|---|---:|---|');
    console.log(`| nova-ts: POST /servers → marker on the console | ${fmt(med(stack))} | ${all(stack)} |`);
    console.log(`| nova-ts: POST /servers → ACTIVE | ${fmt(med(active))} | ${all(active)} |`);
    console.log(`| bare: virsh start → marker in the console log | ${fmt(med(bare))} | ${all(bare)} |`);
    console.log(`| overhead of the stack (median − bare median) | ${fmt(med(stack) - med(bare))} | |`);
    console.log(`\n(cold first boot, images downloaded and uploaded to the host cache: POST → ACTIVE ${fmt(cold.activeMs)}, → marker ${fmt(cold.markerMs)})`);
    if (TRACE) console.log(`\nthe last boot, as the compute logged it (POST at 0 ms, ACTIVE at ${boots[boots.length - 1]!.activeMs.toFixed(0)} ms):\n${trace}`);
  } finally {
    virsh(lab.libvirtUri, 'destroy', bareName);
    virsh(lab.libvirtUri, 'undefine', '--managed-save', bareName);
    await cloud?.stop().catch((e: unknown) => console.error(`stopping nova: ${String(e)}`));
    removeDomainsUnder(lab.libvirtUri, instancesPath);
    rmSync(work, { recursive: true, force: true });
  }
}

/** The backing file of a qcow2 overlay (the cached base image). */
function backingFile(disk: string): string {
  const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', disk], { encoding: 'utf8' })) as { 'backing-filename'?: string };
  if (!info['backing-filename']) throw new Error(`${disk} has no backing file`);
  return info['backing-filename'];
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
