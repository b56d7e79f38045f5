/**
 * Where a guest's files live on the hypervisor host, and what the driver records there so that
 * any compute process (a restarted one too) can rebuild the domain: `<instances_path>/<uuid>/`
 * holds `disk` (qcow2 overlay), `console.log` (serial log), `libvirt.xml` (the definition last
 * given to libvirt), `guest.json` (the spec minus secrets + resolved boot files), and while rescued
 * `disk.rescue` + `unrescue.xml`. A same-host resize keeps the old copy in `<uuid>_resize/`.
 */
import type { GuestSpec } from '../../driver/compute-driver';
import { DriverError } from '../../driver/compute-driver';
import { buildDomainXml, creationTime, type DomainDisk } from './domain-xml';

export interface GuestPaths {
  dir: string;
  disk: string;
  console: string;
  xml: string;
  record: string;
  rescueDisk: string;
  unrescueXml: string;
  resizeDir: string;
}

export function guestPaths(instancesPath: string, uuid: string): GuestPaths {
  // uuids come from the database, but they become paths: refuse anything that is not uuid-shaped.
  if (!/^[0-9A-Za-z][0-9A-Za-z-]{0,63}$/.test(uuid)) throw new DriverError(`libvirt: refusing instance uuid ${JSON.stringify(uuid)}`);
  const dir = `${instancesPath}/${uuid}`;
  return {
    dir,
    disk: `${dir}/disk`,
    console: `${dir}/console.log`,
    xml: `${dir}/libvirt.xml`,
    record: `${dir}/guest.json`,
    rescueDisk: `${dir}/disk.rescue`,
    unrescueXml: `${dir}/unrescue.xml`,
    resizeDir: `${dir}_resize`,
  };
}

/** Boot files resolved on the host (cache paths). */
export interface BootFiles {
  base: { path: string; format: 'qcow2' | 'raw' } | null;
  kernel: string | null;
  ramdisk: string | null;
  cmdline: string | null;
}

/** What `guest.json` holds: the spec without secrets, plus the resolved boot files. */
export interface GuestRecord {
  spec: Omit<GuestSpec, 'admin_password' | 'user_data' | 'key_data'>;
  boot: BootFiles;
  created_at: string;
}

export function guestRecord(spec: GuestSpec, boot: BootFiles, createdAt = creationTime()): GuestRecord {
  const { admin_password: _p, user_data: _u, key_data: _k, ...rest } = spec;
  return { spec: rest, boot, created_at: createdAt };
}

export interface XmlContext {
  virtType: 'qemu' | 'kvm';
  vncListen: string | null;
}

/**
 * The domain XML of a recorded guest. `rescue`: boot from the rescue disk and boot files with the
 * guest's own disk attached second.
 */
export function domainXmlFor(rec: GuestRecord, paths: GuestPaths, ctx: XmlContext, rescue?: { boot: BootFiles }): string {
  const s = rec.spec;
  const own: DomainDisk = { path: paths.disk, dev: 'vda', format: 'qcow2' };
  const disks = rescue ? [{ path: paths.rescueDisk, dev: 'vda', format: 'qcow2' as const }, { ...own, dev: 'vdb' }] : [own];
  const boot = rescue ? rescue.boot : rec.boot;
  return buildDomainXml({
    name: s.name,
    uuid: s.uuid,
    memoryMb: s.memory_mb,
    vcpus: s.vcpus,
    virtType: ctx.virtType,
    disks,
    kernel: boot.kernel ?? undefined,
    initrd: boot.kernel ? boot.ramdisk ?? undefined : undefined,
    cmdline: boot.kernel ? boot.cmdline ?? undefined : undefined,
    consoleLog: paths.console,
    vncListen: ctx.vncListen,
    nova: {
      displayName: s.display_name ?? s.hostname,
      creationTime: rec.created_at,
      flavor: { name: s.flavor_name ?? '', memory_mb: s.memory_mb, vcpus: s.vcpus, root_gb: s.root_gb, ephemeral_gb: s.ephemeral_gb, swap: s.swap },
      owner: { userId: s.user_id ?? '', projectId: s.project_id ?? '' },
      imageId: s.image?.id ?? null,
      metadata: s.metadata ?? {},
    },
  });
}

/** Image properties that select a direct kernel boot. */
export function kernelProps(props: Record<string, unknown>): { kernelId: string | null; ramdiskId: string | null; cmdline: string | null } {
  const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
  return { kernelId: str(props.kernel_id), ramdiskId: str(props.ramdisk_id), cmdline: str(props.os_command_line) };
}
