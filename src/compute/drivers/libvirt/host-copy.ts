/**
 * Moving files between two hypervisor hosts that cannot see each other's filesystems: the compute
 * streams them source host → destination host through SFTP over its two SSH connections (Nova
 * copies with ssh/rsync from the source hypervisor; here the compute holds both ends), hashing the
 * bytes on the way and checking the copy with `sha256sum` on the destination. Also: which host a
 * MigrationTarget names, and whether two hosts share their instances storage.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { DriverError, type MigrationTarget } from '../../driver/compute-driver';
import { runChecked, type HostShell } from './host-shell';

/** What a libvirt destination tells the source (getMigrationTarget), as JSON through RPC. */
export interface LibvirtMigrationTarget {
  driver: 'libvirt';
  /** The destination compute's host name. */
  host: string;
  /** Its hypervisor host's sshd, as other hosts reach it. */
  ssh: { host: string; port: number; user: string };
  /** live_migration_inbound_addr: where the migration data stream connects. */
  addr: string;
  /** The libvirt URI on the destination host itself (e.g. qemu:///system). */
  uri: string;
  instances_path: string;
  image_cache_dir: string;
}

const SAFE_HOST = /^[A-Za-z0-9][A-Za-z0-9.:_-]{0,252}$/;
const ABS_PATH = /^\/[^\0\n]*$/;

/** Validates a target received from another compute; a DriverError names what is wrong. */
export function parseLibvirtTarget(t: MigrationTarget | null | undefined, destHost: string): LibvirtMigrationTarget {
  const bad = (why: string): DriverError =>
    new DriverError(`libvirt: cannot move a guest to ${destHost}: ${why}`, 'migration');
  if (!t) throw bad('the destination compute did not say how to reach its hypervisor host (is it a libvirt compute?)');
  const x = t as Partial<LibvirtMigrationTarget>;
  if (x.driver !== 'libvirt') throw bad(`the destination runs another driver (${String(x.driver)})`);
  const ssh = x.ssh;
  if (!ssh || typeof ssh.host !== 'string' || !SAFE_HOST.test(ssh.host) || !Number.isInteger(ssh.port) || ssh.port < 1 || ssh.port > 65535 ||
      typeof ssh.user !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(ssh.user)) throw bad('its SSH endpoint is malformed');
  if (typeof x.addr !== 'string' || !SAFE_HOST.test(x.addr)) throw bad('its migration address is malformed');
  if (typeof x.uri !== 'string' || x.uri === '' || x.uri.includes('\0')) throw bad('its libvirt URI is malformed');
  for (const p of [x.instances_path, x.image_cache_dir]) if (typeof p !== 'string' || !ABS_PATH.test(p)) throw bad('its instances path is malformed');
  return { driver: 'libvirt', host: String(x.host ?? destHost), ssh: { host: ssh.host, port: ssh.port, user: ssh.user }, addr: x.addr,
    uri: x.uri, instances_path: x.instances_path!, image_cache_dir: x.image_cache_dir! };
}

/** Streams `fromPath` on one host into `toPath` on another and checks the copy's sha256 there. */
export async function copyBetweenHosts(from: HostShell, fromPath: string, to: HostShell, toPath: string, mode = 0o644): Promise<void> {
  const hash = createHash('sha256');
  const src = await from.download(fromPath);
  const tee = new Transform({ transform(chunk: Buffer, _enc, cb) { hash.update(chunk); cb(null, chunk); } });
  src.on('error', (e: Error) => tee.destroy(e));
  await to.upload(toPath, src.pipe(tee), mode);
  const local = hash.digest('hex');
  const remote = (await runChecked(to, ['sha256sum', toPath], { timeoutMs: 30 * 60_000 })).split(/\s+/)[0];
  if (remote !== local) {
    throw new DriverError(`libvirt: the copy of ${from.description}:${fromPath} on ${to.description}:${toPath} is corrupt (sha256 ${remote} != ${local})`);
  }
}

/**
 * Whether the two hosts' instance directories are one storage (NFS, or the same host): a marker
 * file created on the source is looked for on the destination (Nova's shared-storage test file).
 */
export async function sharesStorage(src: HostShell, srcDir: string, dest: HostShell, destDir: string): Promise<boolean> {
  const name = `.nova-shared-storage-check-${randomBytes(6).toString('hex')}`;
  await runChecked(src, ['touch', `${srcDir}/${name}`]);
  try {
    return (await dest.run(['test', '-e', `${destDir}/${name}`])).code === 0;
  } finally {
    await src.run(['rm', '-f', `${srcDir}/${name}`]).catch(() => undefined);
  }
}
