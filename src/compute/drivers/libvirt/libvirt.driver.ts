/**
 * `compute_driver = libvirt.LibvirtDriver`: real QEMU/KVM guests on a hypervisor host reached
 * through a HostShell (SSH or local). Every host command is an argument array; every user string
 * that reaches libvirt goes through the XML builder (domain-xml.ts). Domains are addressed by the
 * instance uuid (the domain's uuid); their files live under `[DEFAULT] instances_path`
 * (guest-files.ts), base images in the per-host image cache (image-cache.ts).
 */
import { NovaError } from '../../../common/errors';
import { PowerState } from '../../../objects/instance.object';
import {
  DriverError, GuestExists, GuestInvalidState, GuestNotFound,
  type ComputeDriver, type ConsoleConnectInfo, type GuestFlavor, type MigrationTarget, type GuestImage, type GuestInfo, type GuestSpec, type NodeResources, type RebootType, type SnapshotWriter,
} from '../../driver/compute-driver';
import { runChecked, type HostShell } from './host-shell';
import { ImageCache } from './image-cache';
import { domainXmlFor, guestPaths, guestRecord, type BootFiles, type GuestPaths, type GuestRecord } from './guest-files';
import type { DriverCore, LibvirtDriverOptions } from './driver-core';
import { createRootDisk, resolveBoot } from './guest-disks';
import { LibvirtHost } from './libvirt-host';
import { LibvirtMigration } from './libvirt-migration';
import { Virsh, VirshError } from './virsh';
import { LibvirtQmp, type ScreendumpFormat } from './qmp';
import { LibvirtVolumes } from './libvirt-volumes';
import type { VolumeAttachment } from '../../driver/compute-driver';
import { libvirtVncConsole } from './vnc-console';

export type { DriverCore, LibvirtDriverOptions, LibvirtMigrationOptions } from './driver-core';

const { RUNNING, PAUSED, SHUTDOWN, SUSPENDED, CRASHED } = PowerState;

export class LibvirtDriver implements ComputeDriver, DriverCore {
  readonly name = 'libvirt.LibvirtDriver';
  /** The compute downloads the root image (GuestSpec.image_path); kernel/ramdisk images come via opts.fetchImage. */
  readonly needsImageFile = true;
  readonly shell: HostShell;
  readonly virsh: Virsh;
  readonly cache: ImageCache;
  /** QMP through libvirt's monitor (qmp.ts): run state for the power-state sync, screendumps. */
  readonly qmp: LibvirtQmp;
  private readonly volumes: LibvirtVolumes;
  private hostname = '';
  private readonly hostInfo: LibvirtHost;
  private readonly migration: LibvirtMigration;
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(readonly opts: LibvirtDriverOptions) {
    this.shell = opts.shell;
    this.virsh = new Virsh(opts.shell, opts.uri);
    this.qmp = new LibvirtQmp(this.virsh, opts.shell);
    this.volumes = new LibvirtVolumes(this);
    this.cache = new ImageCache(opts.shell, opts.imageCacheDir ?? `${opts.instancesPath}/_base`);
    this.hostInfo = new LibvirtHost(this);
    this.migration = new LibvirtMigration(this);
  }

  // ---- host -----------------------------------------------------------------------------------

  async init(host: string): Promise<void> {
    this.hostname = host;
    try {
      await runChecked(this.shell, ['mkdir', '-p', this.opts.instancesPath, this.cache.dir]);
      await this.hostInfo.refresh();
    } catch (e) {
      throw new DriverError(`libvirt: cannot use the hypervisor host ${this.shell.description} (${this.opts.uri}): ${message(e)}`, 'init');
    }
  }
  host(): string { return this.hostname; }
  getAvailableNodes(): string[] { return [this.hostname]; }
  getAvailableResource(nodename: string): NodeResources { return this.hostInfo.resources(nodename); }
  async getHostUptime(): Promise<string> { return (await runChecked(this.shell, ['uptime'])).replace(/\n$/, ''); }
  async close(): Promise<void> {
    await this.migration.close();
    await this.shell.close();
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  async spawn(guest: GuestSpec): Promise<void> {
    const p = this.paths(guest.uuid);
    await this.op('spawn', guest.uuid, async () => {
      if (await this.virsh.exists(guest.uuid)) throw new GuestExists(guest.uuid);
      try {
        await runChecked(this.shell, ['mkdir', '-p', p.dir]);
        const boot = await this.resolveBoot(guest);
        await this.createRootDisk(guest, boot, p.disk);
        const rec = guestRecord(guest, boot);
        await this.writeRecord(rec);
        await this.defineFromRecord(rec);
        await this.startAndWait(guest.uuid);
      } catch (e) {
        await this.removeGuest(guest.uuid, p).catch(() => undefined);
        throw e;
      }
    });
  }

  async destroy(uuid: string): Promise<void> {
    const p = this.paths(uuid);
    await this.op('destroy', uuid, () => this.removeGuest(uuid, p));
  }

  async reboot(uuid: string, type: RebootType): Promise<void> {
    await this.op('reboot', uuid, async () => {
      const state = await this.power(uuid);
      if (type === 'SOFT' && state === RUNNING) {
        // Nova's soft reboot: ACPI shutdown, wait, start again; a guest that ignores ACPI gets a hard reboot.
        if (await this.gracefulStop(uuid, this.opts.shutdownTimeoutSec)) return this.startAndWait(uuid);
      }
      if (state === SUSPENDED) await this.virsh.managedSaveRemove(uuid);
      await this.hardStop(uuid);
      await this.startAndWait(uuid);
    });
  }

  async powerOff(uuid: string, timeoutSec?: number): Promise<void> {
    await this.op('powerOff', uuid, async () => {
      const state = await this.power(uuid);
      if (state === SHUTDOWN) return;
      if (state === SUSPENDED) return void (await this.virsh.managedSaveRemove(uuid));
      if (state === RUNNING && timeoutSec && timeoutSec > 0 && (await this.gracefulStop(uuid, timeoutSec))) return;
      await this.hardStop(uuid);
    });
  }

  async powerOn(uuid: string): Promise<void> {
    await this.op('powerOn', uuid, async () => {
      const state = await this.power(uuid);
      if (state === RUNNING) return;
      if (state === PAUSED) return void (await this.virsh.unpause(uuid));
      await this.startAndWait(uuid);
    });
  }

  async pause(uuid: string): Promise<void> {
    await this.transition('pause', uuid, [RUNNING], PAUSED, () => this.virsh.pause(uuid));
  }
  async unpause(uuid: string): Promise<void> {
    await this.transition('unpause', uuid, [PAUSED], RUNNING, () => this.virsh.unpause(uuid));
  }
  async suspend(uuid: string): Promise<void> {
    await this.transition('suspend', uuid, [RUNNING, PAUSED], SUSPENDED, () => this.virsh.managedSave(uuid));
  }
  async resume(uuid: string): Promise<void> {
    await this.transition('resume', uuid, [SUSPENDED], RUNNING, () => this.startAndWait(uuid));
  }

  async rescue(uuid: string, rescueImage: GuestImage | null, _password: string | null): Promise<void> {
    const p = this.paths(uuid);
    await this.op('rescue', uuid, async () => {
      const state = await this.power(uuid);
      if (await this.fileExists(p.unrescueXml)) throw new GuestInvalidState(uuid, 'rescue', state, 'It is already rescued.');
      if (!([RUNNING, SHUTDOWN, CRASHED] as number[]).includes(state)) throw new GuestInvalidState(uuid, 'rescue', state);
      const rec = await this.readRecord(uuid);
      const boot = rescueImage ? await this.resolveBoot({ ...rec.spec, image: rescueImage, image_path: undefined }, true) : rec.boot;
      await this.createRootDisk({ ...rec.spec, image: rescueImage ?? rec.spec.image }, boot, p.rescueDisk);
      await runChecked(this.shell, ['cp', '-f', p.xml, p.unrescueXml]);
      try {
        await this.hardStop(uuid);
        await this.shell.writeFile(p.xml, domainXmlFor(rec, p, this.xmlContext(), { boot }), 0o600);
        await this.virsh.define(p.xml);
        await this.startAndWait(uuid);
      } catch (e) {
        // Back to the original definition (left powered off): the guest is not half-rescued.
        await this.hardStop(uuid).catch(() => undefined);
        await runChecked(this.shell, ['mv', '-f', p.unrescueXml, p.xml]).catch(() => undefined);
        await this.virsh.define(p.xml).catch(() => undefined);
        await this.shell.run(['rm', '-f', p.rescueDisk]).catch(() => undefined);
        throw e;
      }
    });
  }

  async unrescue(uuid: string): Promise<void> {
    const p = this.paths(uuid);
    await this.op('unrescue', uuid, async () => {
      const state = await this.power(uuid);
      if (!(await this.fileExists(p.unrescueXml))) throw new GuestInvalidState(uuid, 'unrescue', state, 'It is not rescued.');
      await this.hardStop(uuid);
      await runChecked(this.shell, ['mv', '-f', p.unrescueXml, p.xml]);
      await this.virsh.define(p.xml);
      await this.volumes.restore(uuid);
      await runChecked(this.shell, ['rm', '-f', p.rescueDisk]);
      await this.startAndWait(uuid);
    });
  }

  async snapshot(uuid: string, writeImage: SnapshotWriter): Promise<void> {
    const p = this.paths(uuid);
    const tmp = `${p.dir}/snapshot-${Date.now().toString(36)}.qcow2`;
    await this.op('snapshot', uuid, async () => {
      const state = await this.power(uuid);
      if (await this.fileExists(p.unrescueXml)) throw new GuestInvalidState(uuid, 'snapshot', state, 'It is rescued.');
      // A running guest is paused while its disk is copied: QEMU flushes on stop, so the copy is consistent.
      if (state === RUNNING) await this.virsh.pause(uuid);
      try {
        await runChecked(this.shell, ['qemu-img', 'convert', '-U', '-f', 'qcow2', '-O', 'qcow2', p.disk, tmp], { timeoutMs: 30 * 60_000 });
      } finally {
        if (state === RUNNING) await this.virsh.unpause(uuid);
      }
      try {
        await writeImage(await this.shell.download(tmp), { disk_format: 'qcow2', container_format: 'bare' });
      } finally {
        await this.shell.run(['rm', '-f', tmp]).catch(() => undefined);
      }
    });
  }

  async setAdminPassword(uuid: string, _password: string): Promise<void> {
    await this.op('setAdminPassword', uuid, async () => {
      const state = await this.power(uuid);
      if (state !== RUNNING) throw new GuestInvalidState(uuid, 'set the admin password', state);
      throw new DriverError('libvirt: setting the admin password needs the QEMU guest agent, which this driver does not configure (not supported).', 'setAdminPassword');
    });
  }

  async getConsoleOutput(uuid: string): Promise<string> {
    const p = this.paths(uuid);
    return this.op('getConsoleOutput', uuid, async () => {
      if (!(await this.virsh.exists(uuid))) throw new GuestNotFound(uuid);
      const r = await this.shell.run(['tail', '-c', '262144', p.console]);
      return r.code === 0 ? r.stdout : '';
    });
  }

  /** Where the proxy reaches the guest's VNC server (not serialized with other operations: the proxy is waiting). */
  getVncConsole(uuid: string): Promise<ConsoleConnectInfo> {
    return libvirtVncConsole(this.virsh, uuid, this.opts.vncProxyclientAddress);
  }

  /**
   * The power state for the sync: `virsh domstate`, refined by QEMU's own run state (QMP
   * `query-status`) while QEMU runs, so a guest stopped by a panic or an I/O error is CRASHED /
   * PAUSED whatever libvirt inferred. QMP failing (the guest stopped meanwhile) keeps domstate's.
   */
  async getInfo(uuid: string): Promise<GuestInfo> {
    return this.op('getInfo', uuid, async () => {
      let power = await this.power(uuid);
      if (power === RUNNING || power === PAUSED) {
        const q = await this.qmp.powerState(uuid).catch(() => PowerState.NOSTATE);
        if (q !== PowerState.NOSTATE) power = q;
      }
      return { uuid, name: await this.virsh.domname(uuid), power_state: power };
    });
  }

  /**
   * A screendump of the guest's display (QMP `screendump`: QEMU writes the file in the guest's
   * directory on the host, fetched by SFTP and removed): PNG, or PPM (P6). RUNNING or PAUSED.
   */
  async screendump(uuid: string, format: ScreendumpFormat = 'png'): Promise<Buffer> {
    const p = this.paths(uuid);
    return this.op('screendump', uuid, async () => {
      const state = await this.power(uuid);
      if (state !== RUNNING && state !== PAUSED) throw new GuestInvalidState(uuid, 'take a screendump', state);
      return this.qmp.screendump(uuid, `${p.dir}/screendump-${Date.now().toString(36)}.${format}`, format);
    });
  }

  /**
   * Whether the hypervisor host answers: a `virsh version` over the shell (SSH reconnects when the
   * connection dropped). Throws with the reason when the host or its libvirtd cannot be reached.
   */
  async checkHost(): Promise<void> {
    try {
      await this.virsh.exec(['version'], 15_000);
    } catch (e) {
      throw new DriverError(`libvirt: the hypervisor host ${this.shell.description} (${this.opts.uri}) cannot be reached: ${message(e)}`, 'checkHost');
    }
  }

  // ---- volumes (libvirt-volumes.ts) -----------------------------------------------------------------

  attachVolume(uuid: string, volume: VolumeAttachment): Promise<string> {
    return this.op('attachVolume', uuid, () => this.volumes.attach(uuid, volume));
  }
  detachVolume(uuid: string, serial: string): Promise<void> {
    return this.op('detachVolume', uuid, () => this.volumes.detach(uuid, serial));
  }

  async listGuests(): Promise<GuestInfo[]> {
    const out: GuestInfo[] = [];
    for (const uuid of await this.virsh.listAllUuids()) {
      try {
        out.push(await this.getInfo(uuid));
      } catch (e) {
        if (!(e instanceof GuestNotFound)) throw e; // undefined meanwhile
      }
    }
    void this.hostInfo.refresh().catch(() => undefined);
    return out;
  }

  // ---- resize / migration (libvirt-migration.ts) ----------------------------------------------------

  migrateDiskAndPowerOff(uuid: string, destHost: string, flavor: GuestFlavor, target?: MigrationTarget | null): Promise<void> {
    return this.op('migrateDiskAndPowerOff', uuid, () => this.migration.migrateDiskAndPowerOff(uuid, destHost, flavor, target));
  }
  getMigrationTarget(): MigrationTarget | null {
    return this.migration.getMigrationTarget() as MigrationTarget | null;
  }
  finishMigration(guest: GuestSpec, powerOn = true): Promise<void> {
    return this.op('finishMigration', guest.uuid, () => this.migration.finishMigration(guest, powerOn));
  }
  confirmMigration(uuid: string): Promise<void> {
    return this.op('confirmMigration', uuid, () => this.migration.confirmMigration(uuid));
  }
  finishRevertMigration(guest: GuestSpec, powerOn = true): Promise<void> {
    return this.op('finishRevertMigration', guest.uuid, () => this.migration.finishRevertMigration(guest, powerOn));
  }
  liveMigrate(uuid: string, destHost: string, target?: MigrationTarget | null): Promise<void> {
    return this.op('liveMigrate', uuid, () => this.migration.liveMigrate(uuid, destHost, target));
  }
  postLiveMigrationAtDestination(guest: GuestSpec): Promise<void> {
    return this.op('postLiveMigrationAtDestination', guest.uuid, () => this.migration.postLiveMigrationAtDestination(guest));
  }

  async triggerCrashDump(uuid: string): Promise<void> {
    await this.op('triggerCrashDump', uuid, async () => {
      const state = await this.power(uuid);
      if (state !== RUNNING) throw new GuestInvalidState(uuid, 'trigger a crash dump', state);
      await this.virsh.injectNmi(uuid);
    });
  }

  // ---- internals (DriverCore) ---------------------------------------------------------------------

  paths(uuid: string): GuestPaths { return guestPaths(this.opts.instancesPath, uuid); }

  async power(uuid: string): Promise<number> { return this.virsh.powerState(uuid); }

  async fileExists(path: string): Promise<boolean> { return (await this.shell.run(['test', '-e', path])).code === 0; }

  async readRecord(uuid: string): Promise<GuestRecord> {
    const p = this.paths(uuid);
    try {
      return JSON.parse((await this.shell.readFile(p.record)).toString('utf8')) as GuestRecord;
    } catch (e) {
      if (!(await this.virsh.exists(uuid))) throw new GuestNotFound(uuid);
      throw new DriverError(`libvirt: ${p.record} on ${this.shell.description} is missing or unreadable: ${message(e)}`);
    }
  }

  async writeRecord(rec: GuestRecord): Promise<void> {
    await this.shell.writeFile(this.paths(rec.spec.uuid).record, JSON.stringify(rec, null, 2), 0o600);
  }

  async defineFromRecord(rec: GuestRecord): Promise<void> {
    const p = this.paths(rec.spec.uuid);
    await this.shell.writeFile(p.xml, domainXmlFor(rec, p, this.xmlContext()), 0o600);
    await this.virsh.define(p.xml);
    await this.volumes.restore(rec.spec.uuid);
  }

  resolveBoot(guest: GuestSpec, cachedOnly = false): Promise<BootFiles> {
    return resolveBoot({ shell: this.shell, cache: this.cache, fetchImage: this.opts.fetchImage }, guest, cachedOnly);
  }

  createRootDisk(guest: GuestSpec, boot: BootFiles, disk: string): Promise<void> {
    return createRootDisk(this.shell, guest, boot, disk);
  }

  async startAndWait(uuid: string): Promise<void> {
    await this.virsh.start(uuid);
    await this.waitFor(uuid, [RUNNING], this.opts.bootTimeoutSec ?? 120, 'start');
  }

  /** `virsh destroy` unless already off. */
  async hardStop(uuid: string): Promise<void> {
    const state = await this.power(uuid);
    if (state === SHUTDOWN || state === SUSPENDED || state === CRASHED) return;
    try {
      await this.virsh.destroy(uuid);
    } catch (e) {
      if (!(e instanceof VirshError && /not running/i.test(e.virshMessage))) throw e;
    }
  }

  /** ACPI shutdown, re-sent every 10 s (the first one may come before the guest listens); true once off. */
  async gracefulStop(uuid: string, timeoutSec: number): Promise<boolean> {
    const deadline = Date.now() + timeoutSec * 1000;
    let lastSent = 0;
    while (Date.now() < deadline) {
      if ((await this.power(uuid)) !== RUNNING) return (await this.power(uuid)) === SHUTDOWN;
      if (Date.now() - lastSent >= 10_000) {
        await this.virsh.shutdown(uuid).catch(() => undefined);
        lastSent = Date.now();
      }
      await sleep(this.opts.pollMs ?? 250);
    }
    return (await this.power(uuid)) === SHUTDOWN;
  }

  /**
   * Runs one operation on a guest: serialized per uuid, and errors turned into the contract's
   * (virsh's not-found → GuestNotFound, anything else → DriverError with virsh's message).
   */
  async op<T>(operation: string, uuid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(uuid) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    const tail = run.catch(() => undefined);
    this.locks.set(uuid, tail);
    try {
      return await run.catch((e: unknown) => { throw this.translate(e, operation, uuid); });
    } finally {
      if (this.locks.get(uuid) === tail) this.locks.delete(uuid);
    }
  }

  private translate(e: unknown, operation: string, uuid: string): Error {
    if (e instanceof NovaError) return e;
    if (e instanceof VirshError && e.notFound) return new GuestNotFound(uuid);
    const detail = e instanceof VirshError ? e.virshMessage : message(e);
    return new DriverError(`libvirt: ${operation} of instance ${uuid} failed on ${this.shell.description}: ${detail}`, operation);
  }

  private xmlContext(): { virtType: 'qemu' | 'kvm'; vncListen: string | null } {
    return { virtType: this.opts.virtType, vncListen: this.opts.vncListen };
  }

  private async transition(op: string, uuid: string, from: number[], to: number, act: () => Promise<unknown>): Promise<void> {
    await this.op(op, uuid, async () => {
      const state = await this.power(uuid);
      if (state === to) return;
      if (!from.includes(state)) throw new GuestInvalidState(uuid, op, state);
      await act();
      await this.waitFor(uuid, [to], 60, op);
    });
  }

  private async waitFor(uuid: string, states: number[], timeoutSec: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutSec * 1000;
    for (;;) {
      const s = await this.power(uuid);
      if (states.includes(s)) return;
      if (Date.now() > deadline) throw new DriverError(`libvirt: instance ${uuid} did not reach the expected state after ${what} within ${timeoutSec} s (power state ${s})`, what);
      await sleep(this.opts.pollMs ?? 250);
    }
  }

  /** Destroy + undefine (with managed save, nvram, snapshot metadata) + remove the files. */
  private async removeGuest(uuid: string, p: GuestPaths): Promise<void> {
    if (await this.virsh.exists(uuid)) {
      await this.hardStop(uuid).catch(() => undefined);
      try {
        await this.virsh.undefine(uuid);
      } catch (e) {
        if (!(e instanceof VirshError && e.notFound)) throw e;
      }
    }
    await runChecked(this.shell, ['rm', '-rf', '--', p.dir]);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
