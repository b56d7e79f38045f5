/**
 * Resize / cold migration and live migration for the libvirt driver. Implemented: resize on the
 * same host (the old copy is kept in `<uuid>_resize/` until confirm or revert). Not implemented
 * yet, with a clear DriverError: moving disks to another host (cold migrate / resize across hosts)
 * and live migration (`virsh migrate --live` needs the destination's libvirt URI and either shared
 * storage or --copy-storage-all, which the driver contract does not carry yet).
 */
import { PowerState } from '../../../objects/instance.object';
import { DriverError, GuestExists, GuestInvalidState, GuestNotFound, type GuestFlavor, type GuestSpec } from '../../driver/compute-driver';
import { runChecked } from './host-shell';
import { imageInfo } from './image-cache';
import { guestRecord } from './guest-files';
import type { DriverCore } from './driver-core';

const { RUNNING, PAUSED, SUSPENDED } = PowerState;
const GiB = 1024 ** 3;

export class LibvirtMigration {
  constructor(private readonly core: DriverCore) {}

  private crossHost(op: string, uuid: string, destHost: string): DriverError {
    return new DriverError(
      `libvirt: ${op} of instance ${uuid} from ${this.core.host()} to ${destHost} is not supported by this driver yet ` +
      '(only a resize on the same host is; enable [DEFAULT] allow_resize_to_same_host)', op);
  }

  async migrateDiskAndPowerOff(uuid: string, destHost: string, flavor: GuestFlavor): Promise<void> {
    const c = this.core;
    const p = c.paths(uuid);
    const state = await c.power(uuid);
    if (await c.fileExists(p.unrescueXml)) throw new GuestInvalidState(uuid, 'migrate', state, 'It is rescued.');
    const rec = await c.readRecord(uuid);
    if (rec.spec.image !== null && flavor.root_gb < rec.spec.root_gb) {
      throw new DriverError(`Resize error: Unable to resize disk down (instance ${uuid}: root disk ${rec.spec.root_gb} GiB > ${flavor.root_gb} GiB).`, 'migrateDiskAndPowerOff');
    }
    if (destHost !== c.host()) throw this.crossHost('cold migration / resize', uuid, destHost);
    if (state === SUSPENDED) await c.virsh.managedSaveRemove(uuid);
    else if (state !== RUNNING || !(await c.gracefulStop(uuid, c.opts.shutdownTimeoutSec))) await c.hardStop(uuid);
    await runChecked(c.shell, ['rm', '-rf', '--', p.resizeDir]);
    await runChecked(c.shell, ['cp', '-a', '--', p.dir, p.resizeDir], { timeoutMs: 30 * 60_000 });
  }

  async finishMigration(guest: GuestSpec, powerOn: boolean): Promise<void> {
    const c = this.core;
    const p = c.paths(guest.uuid);
    const sameHost = await c.fileExists(p.resizeDir);
    const exists = await c.virsh.exists(guest.uuid);
    if (exists && !sameHost) throw new GuestExists(guest.uuid);
    if (!sameHost) throw this.crossHost('finishing a cold migration', guest.uuid, c.host());
    const old = await c.readRecord(guest.uuid);
    const { virtualSize } = await imageInfo(c.shell, p.disk);
    if (guest.root_gb * GiB > virtualSize) await runChecked(c.shell, ['qemu-img', 'resize', '-q', p.disk, String(guest.root_gb * GiB)]);
    const rec = guestRecord(guest, old.boot, old.created_at);
    await c.writeRecord(rec);
    await c.defineFromRecord(rec);
    if (powerOn) await c.startAndWait(guest.uuid);
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

  async liveMigrate(uuid: string, destHost: string): Promise<void> {
    const c = this.core;
    if (destHost === c.host()) throw new DriverError(`Unable to migrate instance (${uuid}) to current host (${destHost}).`, 'liveMigrate');
    const state = await c.power(uuid);
    if (state !== RUNNING && state !== PAUSED) throw new GuestInvalidState(uuid, 'live-migrate', state);
    throw new DriverError(
      `libvirt: live migration of instance ${uuid} to ${destHost} is not supported by this driver yet ` +
      '(virsh migrate --live needs the destination libvirt URI and shared or copied storage)', 'liveMigrate');
  }

  async postLiveMigrationAtDestination(guest: GuestSpec): Promise<void> {
    const c = this.core;
    if (!(await c.virsh.exists(guest.uuid))) {
      throw new DriverError(`libvirt: instance ${guest.uuid} did not arrive on ${c.host()} (live migration is not supported by this driver yet)`, 'postLiveMigrationAtDestination');
    }
    const old = await c.readRecord(guest.uuid);
    await c.writeRecord(guestRecord(guest, old.boot, old.created_at));
  }
}
