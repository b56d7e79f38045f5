/**
 * Live migration for the libvirt driver: `virsh migrate --live` run on the source host towards the
 * destination's libvirtd (Nova's `_live_migration_operation`, client-driven, native TCP stream).
 *
 * The destination's URI is `[libvirt] live_migration_uri` with `%s` replaced by the destination's
 * inbound address, or by default libvirt's own SSH transport to the destination's sshd
 * (`qemu+libssh://user@addr:port/system`) with this compute's key and known_hosts (host key
 * checked). The memory stream goes to `tcp://<inbound address>`.
 *
 * Storage: with shared instances storage nothing is copied. Otherwise (Nova's block migration with
 * the backing files on the destination) the destination is prepared over SSH before the migration:
 * `<uuid>/` with the record and console log, the base image, kernel and ramdisk in its image cache
 * (sent from the source unless cached there), and an empty qcow2 overlay of the source disk's exact
 * size on the same base; then `--copy-storage-inc` mirrors the overlay's data while the guest runs.
 * Both hosts must use the same instances_path and image cache directory, as in Nova: the domain XML
 * travels unchanged. On success the source's files are removed; on failure the destination's.
 */
import { PowerState } from '../../../objects/instance.object';
import { DriverError, GuestInvalidState, type GuestSpec, type MigrationTarget } from '../../driver/compute-driver';
import { runChecked, type HostShell } from './host-shell';
import { createOverlay, imageInfo } from './image-cache';
import { guestPaths, guestRecord } from './guest-files';
import type { DriverCore } from './driver-core';
import { parseLibvirtTarget, sharesStorage, type LibvirtMigrationTarget } from './host-copy';
import type { LibvirtMigration } from './libvirt-migration';

const { RUNNING, PAUSED } = PowerState;
/** The whole `virsh migrate` (memory + disk copy) may take this long. */
const MIGRATE_TIMEOUT_MS = 30 * 60_000;

/** `[libvirt] live_migration_uri` with `%s` → address, or the default qemu+libssh URI to the destination's sshd. */
export function liveMigrationUri(t: LibvirtMigrationTarget, template: string | undefined, client: { privateKeyFile?: string; knownHostsFile?: string }): string {
  if (template) return template.replace(/%s/g, t.addr);
  const host = t.ssh.host.includes(':') ? `[${t.ssh.host}]` : t.ssh.host;
  const q = [
    client.privateKeyFile ? `keyfile=${encodeURIComponent(client.privateKeyFile)}` : '',
    client.knownHostsFile ? `known_hosts=${encodeURIComponent(client.knownHostsFile)}` : '',
    'known_hosts_verify=normal', 'sshauth=privkey',
  ].filter(Boolean).join('&');
  return `qemu+libssh://${encodeURIComponent(t.ssh.user)}@${host}:${t.ssh.port}/system?${q}`;
}

export class LibvirtLiveMigration {
  constructor(
    private readonly core: DriverCore,
    private readonly moves: LibvirtMigration,
  ) {}

  async liveMigrate(uuid: string, destHost: string, target?: MigrationTarget | null): Promise<void> {
    const c = this.core;
    if (destHost === c.host()) throw new DriverError(`Unable to migrate instance (${uuid}) to current host (${destHost}).`, 'liveMigrate');
    const state = await c.power(uuid);
    if (state !== RUNNING && state !== PAUSED) throw new GuestInvalidState(uuid, 'live-migrate', state);
    const t = parseLibvirtTarget(target, destHost);
    if (t.instances_path !== c.opts.instancesPath || t.image_cache_dir !== c.cache.dir) {
      throw new DriverError(
        `libvirt: live migration of instance ${uuid} to ${destHost} needs the same instances_path and image cache on both hosts ` +
        `(here ${c.opts.instancesPath}, ${c.cache.dir}; there ${t.instances_path}, ${t.image_cache_dir})`, 'liveMigrate');
    }
    const dest = this.moves.peer(t);
    await this.moves.refuseIfDefinedAt(dest, t, uuid);
    const shared = await sharesStorage(c.shell, c.opts.instancesPath, dest, t.instances_path);
    const m = c.opts.migration!;
    const uri = liveMigrationUri(t, m.liveMigrationUri, m.peerSsh);
    const addr = t.addr.includes(':') ? `[${t.addr}]` : t.addr;
    try {
      if (!shared) await this.prepareDestination(uuid, dest, t);
      await c.virsh.exec([
        'migrate', '--live', '--persistent', '--undefinesource', ...(shared ? [] : ['--copy-storage-inc']),
        '--domain', uuid, '--desturi', uri, '--migrateuri', `tcp://${addr}`, '--listen-address', t.addr,
      ], MIGRATE_TIMEOUT_MS);
    } catch (e) {
      // The guest still runs here: remove what was prepared there (unless libvirt defined it there after all).
      const there = await dest.run(['virsh', '-q', '-c', t.uri, 'domstate', '--domain', uuid]).catch(() => null);
      if (!shared && there !== null && there.code !== 0) await dest.run(['rm', '-rf', '--', guestPaths(t.instances_path, uuid).dir]).catch(() => undefined);
      throw e;
    }
    // The guest runs there now (libvirt undefined it here): its old files go (not with shared storage).
    if (!shared) await runChecked(c.shell, ['rm', '-rf', '--', c.paths(uuid).dir]);
  }

  /** `<uuid>/` on the destination: record, console log, boot files, and an empty overlay the size of ours. */
  private async prepareDestination(uuid: string, dest: HostShell, t: LibvirtMigrationTarget): Promise<void> {
    const c = this.core;
    const rec = await c.readRecord(uuid);
    await this.moves.sendGuest(uuid, rec.boot, dest, t, ['record', 'console']);
    const disk = guestPaths(t.instances_path, uuid).disk;
    const { virtualSize } = await imageInfo(c.shell, c.paths(uuid).disk);
    if (rec.boot.base) await createOverlay(dest, rec.boot.base.path, rec.boot.base.format, disk, virtualSize);
    else await runChecked(dest, ['qemu-img', 'create', '-q', '-f', 'qcow2', disk, String(virtualSize)]);
  }

  /** Destination: the guest arrived (defined persistently by the migration); its record follows the instance. */
  async postLiveMigrationAtDestination(guest: GuestSpec): Promise<void> {
    const c = this.core;
    if (!(await c.virsh.exists(guest.uuid))) {
      throw new DriverError(`libvirt: instance ${guest.uuid} did not arrive on ${c.host()} (no such domain on ${c.shell.description})`, 'postLiveMigrationAtDestination');
    }
    const old = await c.readRecord(guest.uuid);
    await c.writeRecord(guestRecord(guest, old.boot, old.created_at));
  }
}
