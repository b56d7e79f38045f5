/**
 * Resize / cold migration for the libvirt driver (live migration: libvirt-live-migration.ts).
 *
 * - Same host: the old copy is kept in `<uuid>_resize/` until confirm or revert.
 * - Another host (Nova's migrate_disk_and_power_off / finish_migration): the destination compute
 *   describes its hypervisor host (getMigrationTarget, carried by prep_resize → resize_instance);
 *   the source compute powers the guest off and streams its disk, console log and record, plus the
 *   base image, kernel and ramdisk the disk and domain need (into the destination's image cache,
 *   unless already there) from the source host to the destination host over its two SSH
 *   connections (host-copy.ts), each copy checked by sha256. The source then keeps its files in
 *   `<uuid>_resize/` and undefines the domain (the guest belongs to the destination until a revert).
 *   finish_migration on the destination points the qcow2 overlay at its own image cache (a
 *   metadata-only `qemu-img rebase -u` when the cache path differs; the cached base has the same
 *   bytes, checked by sha256), grows the disk, defines and starts the guest. Revert: the
 *   destination destroys its copy, the source moves `<uuid>_resize/` back and defines the guest
 *   again; confirm removes `<uuid>_resize/`.
 * - Shared instances storage (the destination sees a marker file the source creates) falls back
 *   to the same-host layout: nothing is copied.
 */
import { basename } from 'node:path';
import { PowerState } from '../../../objects/instance.object';
import {
  DriverError, GuestExists, GuestInvalidState, GuestNotFound,
  type GuestFlavor, type GuestSpec, type MigrationTarget,
} from '../../driver/compute-driver';
import { runChecked, type HostShell } from './host-shell';
import { ImageCache, imageInfo } from './image-cache';
import { guestPaths, guestRecord, type BootFiles } from './guest-files';
import type { DriverCore } from './driver-core';
import { copyBetweenHosts, parseLibvirtTarget, sharesStorage, type LibvirtMigrationTarget } from './host-copy';
import { LibvirtLiveMigration } from './libvirt-live-migration';
import { SshShellPool } from './ssh-shell';

const { RUNNING, PAUSED, SUSPENDED } = PowerState;
const GiB = 1024 ** 3;
const COPY_TIMEOUT_MS = 30 * 60_000;

/** The files of `<instances_path>/<uuid>/` that travel with a guest (libvirt.xml is rebuilt there). */
export type GuestFileName = 'disk' | 'console' | 'record';

export class LibvirtMigration {
  private readonly peers: SshShellPool | null;
  private readonly live: LibvirtLiveMigration;

  constructor(private readonly core: DriverCore) {
    this.peers = core.opts.migration ? new SshShellPool(core.opts.migration.peerSsh) : null;
    this.live = new LibvirtLiveMigration(core, this);
  }

  /** How other computes reach this host (null: migration options not configured). */
  getMigrationTarget(): LibvirtMigrationTarget | null {
    const c = this.core;
    const m = c.opts.migration;
    if (!m) return null;
    return { driver: 'libvirt', host: c.host(), ssh: { ...m.ssh }, addr: m.inboundAddr, uri: c.opts.uri, instances_path: c.opts.instancesPath, image_cache_dir: c.cache.dir };
  }

  /** An SSH shell on the destination's hypervisor host (this compute's key and known_hosts). */
  peer(t: LibvirtMigrationTarget): HostShell {
    if (!this.peers) {
      throw new DriverError(`libvirt: cannot reach ${t.host}'s hypervisor host: this compute has no SSH client settings for other hosts`, 'migration');
    }
    return this.peers.get({ host: t.ssh.host, port: t.ssh.port, username: t.ssh.user });
  }

  async close(): Promise<void> {
    await this.peers?.closeAll();
  }

  async migrateDiskAndPowerOff(uuid: string, destHost: string, flavor: GuestFlavor, target?: MigrationTarget | null): Promise<void> {
    const c = this.core;
    const p = c.paths(uuid);
    const state = await c.power(uuid);
    if (await c.fileExists(p.unrescueXml)) throw new GuestInvalidState(uuid, 'migrate', state, 'It is rescued.');
    const rec = await c.readRecord(uuid);
    if (rec.spec.image !== null && flavor.root_gb < rec.spec.root_gb) {
      throw new DriverError(`Resize error: Unable to resize disk down (instance ${uuid}: root disk ${rec.spec.root_gb} GiB > ${flavor.root_gb} GiB).`, 'migrateDiskAndPowerOff');
    }
    const t = destHost === c.host() ? null : parseLibvirtTarget(target, destHost);
    const dest = t ? this.peer(t) : null;
    if (t && dest) await this.refuseIfDefinedAt(dest, t, uuid);
    const wasRunning = state === RUNNING || state === PAUSED;
    if (state === SUSPENDED) await c.virsh.managedSaveRemove(uuid);
    else if (state !== RUNNING || !(await c.gracefulStop(uuid, c.opts.shutdownTimeoutSec))) await c.hardStop(uuid);
    const shared = t && dest ? await sharesStorage(c.shell, c.opts.instancesPath, dest, t.instances_path) : true;
    if (shared) {
      // Same host or shared storage: the destination works on `<uuid>/`, the old copy waits in `<uuid>_resize/`.
      await runChecked(c.shell, ['rm', '-rf', '--', p.resizeDir]);
      await runChecked(c.shell, ['cp', '-a', '--', p.dir, p.resizeDir], { timeoutMs: COPY_TIMEOUT_MS });
    } else {
      try {
        await this.sendGuest(uuid, rec.boot, dest!, t!, ['disk', 'console', 'record']);
        await runChecked(c.shell, ['rm', '-rf', '--', p.resizeDir]);
        await runChecked(c.shell, ['mv', '-f', '--', p.dir, p.resizeDir]);
      } catch (e) {
        await dest!.run(['rm', '-rf', '--', guestPaths(t!.instances_path, uuid).dir]).catch(() => undefined);
        if (wasRunning) await c.startAndWait(uuid).catch(() => undefined); // back as it was: the move failed before the guest left
        throw e;
      }
    }
    // The guest belongs to the destination now; a revert defines it here again from its record.
    if (t) await c.virsh.undefine(uuid);
  }

  /**
   * Sends the guest's `files` from this host to the destination's `<uuid>/` (replacing a leftover
   * of an earlier failed attempt) and its boot files into the destination's image cache.
   */
  async sendGuest(uuid: string, boot: BootFiles, dest: HostShell, t: LibvirtMigrationTarget, files: GuestFileName[]): Promise<void> {
    const c = this.core;
    const src = c.paths(uuid);
    const dst = guestPaths(t.instances_path, uuid);
    await runChecked(dest, ['rm', '-rf', '--', dst.dir]);
    await runChecked(dest, ['mkdir', '-p', dst.dir]);
    const cache = new ImageCache(dest, t.image_cache_dir);
    // Independent transfers run side by side (each SSH connection carries several channels).
    await Promise.all([
      ...[boot.base?.path, boot.kernel, boot.ramdisk].map(async (path) => {
        if (path) await cache.ensure(basename(path), { stream: () => c.shell.download(path) });
      }),
      ...files.map(async (f) => {
        if (await c.fileExists(src[f])) await copyBetweenHosts(c.shell, src[f], dest, dst[f], f === 'record' ? 0o600 : 0o644);
      }),
    ]);
  }

  /** A domain with this uuid on the destination host would be clobbered: refuse (Nova's InstanceExists). */
  async refuseIfDefinedAt(dest: HostShell, t: LibvirtMigrationTarget, uuid: string): Promise<void> {
    const r = await dest.run(['virsh', '-q', '-c', t.uri, 'domstate', '--domain', uuid]);
    if (r.code === 0) throw new DriverError(`libvirt: instance ${uuid} is already defined on ${t.host}'s hypervisor host; refusing to overwrite it`, 'migration');
    if (!/failed to get domain|Domain not found|no domain with matching/i.test(r.stderr)) {
      throw new DriverError(`libvirt: cannot query ${t.host}'s libvirt (${t.uri}) over SSH: ${r.stderr.trim() || `exit ${r.code}`}`, 'migration');
    }
  }

  async finishMigration(guest: GuestSpec, powerOn: boolean): Promise<void> {
    const c = this.core;
    const p = c.paths(guest.uuid);
    const sameHost = await c.fileExists(p.resizeDir);
    if (!sameHost && (await c.virsh.exists(guest.uuid))) throw new GuestExists(guest.uuid);
    if (!sameHost && !(await c.fileExists(p.record))) {
      throw new DriverError(`libvirt: the disk of instance ${guest.uuid} did not arrive on ${c.shell.description} (${p.dir} is missing)`, 'finishMigration');
    }
    const old = await c.readRecord(guest.uuid);
    const boot = sameHost ? old.boot : await this.localBoot(guest, old.boot, p.disk);
    const { virtualSize } = await imageInfo(c.shell, p.disk);
    if (guest.root_gb * GiB > virtualSize) await runChecked(c.shell, ['qemu-img', 'resize', '-q', p.disk, String(guest.root_gb * GiB)]);
    const rec = guestRecord(guest, boot, old.created_at);
    await c.writeRecord(rec);
    await c.defineFromRecord(rec);
    if (powerOn) await c.startAndWait(guest.uuid);
  }

  /**
   * The arrived guest's boot files in this host's image cache (the source sent them; when one is
   * missing, the image service provides it), and its overlay pointed at this cache's base.
   */
  private async localBoot(guest: GuestSpec, sent: BootFiles, disk: string): Promise<BootFiles> {
    const c = this.core;
    const here = (path: string | null): string | null => (path ? c.cache.pathFor(basename(path)) : null);
    let boot: BootFiles = {
      base: sent.base ? { path: here(sent.base.path)!, format: sent.base.format } : null,
      kernel: here(sent.kernel), ramdisk: here(sent.ramdisk), cmdline: sent.cmdline,
    };
    for (const path of [boot.base?.path, boot.kernel, boot.ramdisk]) {
      if (path && !(await c.fileExists(path))) {
        boot = await c.resolveBoot(guest);
        break;
      }
    }
    const info = JSON.parse(await runChecked(c.shell, ['qemu-img', 'info', '-U', '--output=json', disk])) as { 'backing-filename'?: string };
    const backing = info['backing-filename'];
    if (boot.base && backing && backing !== boot.base.path) {
      await runChecked(c.shell, ['qemu-img', 'rebase', '-u', '-f', 'qcow2', '-F', boot.base.format, '-b', boot.base.path, disk]);
    }
    return boot;
  }

  async confirmMigration(uuid: string): Promise<void> {
    await runChecked(this.core.shell, ['rm', '-rf', '--', this.core.paths(uuid).resizeDir]);
  }

  async finishRevertMigration(guest: GuestSpec, powerOn: boolean): Promise<void> {
    const c = this.core;
    const p = c.paths(guest.uuid);
    if (await c.fileExists(p.resizeDir)) {
      if (await c.virsh.exists(guest.uuid)) await c.hardStop(guest.uuid);
      await runChecked(c.shell, ['rm', '-rf', '--', p.dir]);
      await runChecked(c.shell, ['mv', '-f', '--', p.resizeDir, p.dir]);
    } else if (!(await c.virsh.exists(guest.uuid))) {
      throw new GuestNotFound(guest.uuid);
    }
    const old = await c.readRecord(guest.uuid);
    const rec = guestRecord(guest, old.boot, old.created_at);
    await c.writeRecord(rec);
    await c.defineFromRecord(rec);
    const state = await c.power(guest.uuid);
    if (powerOn && state !== RUNNING) await c.startAndWait(guest.uuid);
    if (!powerOn && state !== PowerState.SHUTDOWN) await c.hardStop(guest.uuid);
  }

  liveMigrate(uuid: string, destHost: string, target?: MigrationTarget | null): Promise<void> {
    return this.live.liveMigrate(uuid, destHost, target);
  }

  postLiveMigrationAtDestination(guest: GuestSpec): Promise<void> {
    return this.live.postLiveMigrationAtDestination(guest);
  }
}
