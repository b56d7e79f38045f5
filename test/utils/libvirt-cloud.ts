/**
 * The real binary on the libvirt driver against the hypervisor lab (scripts/hypervisor-setup.sh):
 * the nova.conf lines that point `compute_driver = libvirt.LibvirtDriver` at the lab's sshd, the
 * tiny guest registered through the built-in image service with its real bytes (kernel aki/aki,
 * ramdisk ari/ari, an empty qcow2 root disk whose kernel_id / ramdisk_id / os_command_line point at
 * them), virsh on this machine (the lab host) and a cleanup that removes every domain whose files
 * live under a given instances_path. Used by test/e2e/libvirt-server.test.ts and
 * bench/libvirt-boot.bench.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cloud } from './cloud';
import type { HypervisorLab } from './hypervisor-lab';

/** nova.conf sections for the libvirt driver on the lab host (SSH to its private sshd). */
export function libvirtConf(lab: HypervisorLab, instancesPath: string, opts: { knownHostsFile?: string; extra?: string } = {}): string {
  return [
    '[DEFAULT]',
    'compute_driver = libvirt.LibvirtDriver',
    `instances_path = ${instancesPath}`,
    'shutdown_timeout = 30',
    '[libvirt]',
    `virt_type = ${lab.virtType}`,
    `connection_uri = ${lab.libvirtUri}`,
    `ssh_host = ${lab.sshHost}`,
    `ssh_port = ${lab.sshPort}`,
    `ssh_user = ${lab.sshUser}`,
    `ssh_private_key_file = ${lab.privateKeyFile}`,
    `ssh_known_hosts_file = ${opts.knownHostsFile ?? lab.knownHostsFile}`,
    'ssh_strict_host_key_checking = True',
    'ssh_connect_timeout = 10',
    '[vnc]',
    'server_listen = 127.0.0.1',
    opts.extra ?? '',
  ].join('\n');
}

export interface TinyGuestImages {
  kernelId: string;
  ramdiskId: string;
  /** The bootable image (root disk + kernel_id/ramdisk_id/os_command_line). */
  imageId: string;
}

/** Creates an image in the built-in image service and uploads `file` (its real bytes). */
export async function uploadImage(
  cloud: Cloud,
  doc: { name: string; disk_format: string; container_format: string; visibility?: string; [prop: string]: unknown },
  file: string,
  token = 'admin:admin',
): Promise<string> {
  const headers = { 'X-Auth-Token': token, 'Content-Type': 'application/json' };
  const r = await fetch(`${cloud.imageUrl}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ visibility: 'public', ...doc }) });
  if (r.status !== 201) throw new Error(`image create ${doc.name}: ${r.status} ${await r.text()}`);
  const id = ((await r.json()) as { id: string }).id;
  const up = await fetch(`${cloud.imageUrl}/v2/images/${id}/file`, {
    method: 'PUT',
    headers: { ...headers, 'Content-Type': 'application/octet-stream' },
    body: readFileSync(file),
  });
  if (up.status !== 204) throw new Error(`image upload ${doc.name}: ${up.status} ${await up.text()}`);
  return id;
}

/**
 * Registers the lab's tiny guest: `<name>-kernel` (aki), `<name>-ramdisk` (ari) and `<name>` (an
 * empty 64 MiB qcow2 created in `workDir`, booting the kernel with the lab's command line).
 */
export async function registerTinyGuest(cloud: Cloud, lab: HypervisorLab, workDir: string, name = 'tiny'): Promise<TinyGuestImages> {
  const kernelId = await uploadImage(cloud, { name: `${name}-kernel`, disk_format: 'aki', container_format: 'aki' }, lab.guestKernel);
  const ramdiskId = await uploadImage(cloud, { name: `${name}-ramdisk`, disk_format: 'ari', container_format: 'ari' }, lab.guestInitrd);
  const disk = join(workDir, `${name}-root.qcow2`);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64M']);
  const imageId = await uploadImage(cloud, {
    name, disk_format: 'qcow2', container_format: 'bare', min_ram: 0, min_disk: 0,
    kernel_id: kernelId, ramdisk_id: ramdiskId, os_command_line: `${lab.guestCmdline} novats.nonet=1`,
  }, disk);
  return { kernelId, ramdiskId, imageId };
}

/** `virsh -q -c <uri> <args>` on this machine: stdout, or `ERROR <stderr>` when it fails. */
export function virsh(uri: string, ...args: string[]): string {
  const r = spawnSync('virsh', ['-q', '-c', uri, ...args], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? r.stdout : `ERROR ${r.stderr || r.error?.message || `exit ${r.status}`}`;
}

/** Names of every domain (running or not) whose XML mentions `instancesPath` (their disks live there). */
export function domainsUnder(uri: string, instancesPath: string): string[] {
  const names = virsh(uri, 'list', '--all', '--name');
  if (names.startsWith('ERROR')) return [];
  return names.split('\n').map((s) => s.trim()).filter((n) => n !== '' && virsh(uri, 'dumpxml', n).includes(`${instancesPath}/`));
}

/** Destroys and undefines (managed save, snapshots, nvram too) every domain whose files are under `instancesPath`. */
export function removeDomainsUnder(uri: string, instancesPath: string): string[] {
  const found = domainsUnder(uri, instancesPath);
  for (const name of found) {
    virsh(uri, 'destroy', name);
    virsh(uri, 'undefine', '--managed-save', '--snapshots-metadata', '--nvram', name);
  }
  return found;
}

/** Waits until the compute has reported its node (os-hypervisors lists one with memory): the scheduler can place servers. */
export async function waitForHypervisor(cloud: Cloud, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await cloud.request('GET', '/v2.1/os-hypervisors/detail');
    const hv: Array<{ memory_mb?: number; state?: string }> = r.status === 200 ? r.body.hypervisors : [];
    if (hv.some((h) => (h.memory_mb ?? 0) > 0)) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`the libvirt compute never reported its node; nova output:\n${cloud.output.split('\n').slice(-40).join('\n')}`);
}
