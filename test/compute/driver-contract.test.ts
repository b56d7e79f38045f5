/**
 * The compute driver contract (driver-contract.ts) against every driver: the fake driver always;
 * the libvirt driver when the hypervisor lab of scripts/hypervisor-setup.sh is there (skipped with
 * the reason otherwise; NOVA_TS_REQUIRE_LAB=1 makes a missing lab a failure). The libvirt driver
 * reaches the lab's libvirtd over the lab's sshd, as a compute host does, and boots the tiny guest
 * (TCG: a few seconds per boot). Every domain under the run's instances_path is removed afterwards.
 */
import { after } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GuestSpec } from '../../src/compute/driver/compute-driver';
import { FakeDriver } from '../../src/compute/drivers/fake/fake.driver';
import { LibvirtDriver } from '../../src/compute/drivers/libvirt/libvirt.driver';
import { SshShell } from '../../src/compute/drivers/libvirt/ssh-shell';
import { loadHypervisorLab } from '../utils/hypervisor-lab';
import { removeDomainsUnder } from '../utils/libvirt-cloud';
import { driverContract } from './driver-contract';

const uuidFor = (prefix: string, n: number) => `${prefix}-0000-4000-8000-${String(n).padStart(12, '0')}`;

driverContract({
  name: 'fake',
  unknownUuid: uuidFor('0c0c0c0c', 999_999),
  async driver(host) {
    const d = new FakeDriver({ vcpus: 8, memoryMb: 16384, localGb: 100, nodes: [] });
    await d.init(host);
    return d;
  },
  spec: (n, node): GuestSpec => ({
    uuid: uuidFor('0c0c0c0c', n), name: `instance-${n.toString(16).padStart(8, '0')}`, hostname: `vm-${n}`,
    vcpus: 1, memory_mb: 512, root_gb: 10, ephemeral_gb: 0, swap: 0,
    image: { id: 'img-cirros', name: 'cirros', disk_format: 'qcow2', properties: {} }, metadata: {}, node,
  }),
  volume: async (n) => `/fake/volumes/vol-${n}.qcow2`,
  guestDisks: async (d, uuid) => ['vda', ...Object.keys((d as FakeDriver).describeGuest(uuid)?.volumes ?? {})].sort(),
});

const lab = loadHypervisorLab();
let work = '';
const instancesPath = () => join(work, 'instances');
if (typeof lab !== 'string') {
  work = mkdtempSync(join(tmpdir(), 'nova-ts-contract-'));
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(work, 'base.qcow2'), '64M']);
  for (const n of [1, 2]) execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(work, `vol-${n}.qcow2`), '16M']);
  after(() => {
    removeDomainsUnder(lab.libvirtUri, instancesPath());
    rmSync(work, { recursive: true, force: true });
  });
}
// Unique per run: a leftover of a killed run cannot collide.
const run = (process.pid % 0xffff).toString(16).padStart(4, '0');

driverContract({
  name: 'libvirt (lab host over SSH, QEMU/TCG)',
  skip: typeof lab === 'string' ? lab : false,
  timeoutMs: 4 * 60_000,
  unknownUuid: uuidFor(`1b${run}ff`, 999_999),
  bootMarker: typeof lab === 'string' ? undefined : lab.guestMarker,
  // The lab host is this machine: qemu-img made the volumes, virsh shows what the domain has.
  volume: async (n) => join(work, `vol-${n}.qcow2`),
  async guestDisks(_d, uuid) {
    if (typeof lab === 'string') throw new Error(lab);
    const out = execFileSync('virsh', ['-q', '-c', lab.libvirtUri, 'domblklist', '--domain', uuid], { encoding: 'utf8' });
    return out.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((dev) => /^[svh]d[a-z]+$/.test(dev)).sort();
  },
  async driver(host) {
    if (typeof lab === 'string') throw new Error(lab);
    const shell = new SshShell({
      host: lab.sshHost, port: lab.sshPort, username: lab.sshUser, privateKeyFile: lab.privateKeyFile,
      knownHostsFile: lab.knownHostsFile, strictHostKeyChecking: true,
    });
    // A short ACPI timeout: the tiny guest honours ACPI once booted; a guest still booting gets a hard stop.
    const d = new LibvirtDriver({ shell, uri: lab.libvirtUri, virtType: 'qemu', instancesPath: instancesPath(), vncListen: '127.0.0.1', shutdownTimeoutSec: 15, bootTimeoutSec: 60 });
    await d.init(host);
    return d;
  },
  spec: (n, node): GuestSpec => {
    if (typeof lab === 'string') throw new Error(lab);
    return {
      uuid: uuidFor(`1b${run}00`, n), name: `contract-${run}-${n}`, hostname: `vm-${n}`,
      vcpus: 1, memory_mb: lab.guestRamMb, root_gb: 1, ephemeral_gb: 0, swap: 0, node, metadata: {},
      image: {
        id: `contract-disk-${run}`, name: 'tiny', disk_format: 'qcow2',
        properties: { kernel_id: `contract-kernel-${run}`, ramdisk_id: `contract-initrd-${run}`, os_command_line: `${lab.guestCmdline} novats.nonet=1` },
      },
      image_path: join(work, 'base.qcow2'), kernel_path: lab.guestKernel, ramdisk_path: lab.guestInitrd,
    };
  },
});
