import { Readable } from 'node:stream';
import { PowerState } from '../../../objects/instance.object';
import {
  DiskNotFound,
  DriverError,
  GuestExists,
  GuestInvalidState,
  GuestNotFound,
  nextVirtioDisk,
  type ComputeDriver,
  type ConsoleConnectInfo,
  type GuestFlavor,
  type GuestImage,
  type GuestInfo,
  type GuestSpec,
  type NodeResources,
  type RebootType,
  type SnapshotWriter,
  type VolumeAttachment,
} from '../../driver/compute-driver';
import {
  clearInjectedFailures,
  FailurePlan,
  injectFailure,
  type FakeOperation,
  type InjectFailureOptions,
} from './fake-failures';

export { FakeDriverFailure, FAKE_OPERATIONS, type FakeOperation, type InjectFailureOptions } from './fake-failures';

export interface FakeDriverOptions {
  vcpus: number;
  memoryMb: number;
  localGb: number;
  /** Node names; empty means one node named after the host. */
  nodes: string[];
  /** Duration of every guest operation (default 0: immediate). */
  actionDelayMs?: number;
  /** Duration of spawn and finishMigration (default: actionDelayMs). */
  spawnDelayMs?: number;
  failSpawnOnHosts?: string[];
  /** Image ids or names. */
  failSpawnImages?: string[];
  /** `op` or `op@host` (snake_case or camelCase operation names). */
  failOperations?: string[];
  /** `[fake_driver] vnc_console` (host:port): a real VNC server every guest's console points at (tests). */
  vncConsole?: string;
}

/** What the fake hypervisor keeps per guest. */
interface FakeGuest {
  spec: GuestSpec;
  power: number;
  rescue: { image: GuestImage | null; password: string | null } | null;
  /** Source copy of a resize/cold migration handed over to this host (until confirm or revert). */
  migratingTo: string | null;
  /** A same-host resize finished here: confirm just forgets the old flavor. */
  resizedInPlace: boolean;
  adminPassword: string | null;
  /** Console lines after the boot banner (lazily created: most guests never get any). */
  log?: string[];
  /** Attached volumes by serial (lazily created). */
  volumes?: Map<string, { device: string; path: string }>;
}

/** A read-only view of a fake guest, for tests. */
export interface FakeGuestView {
  spec: GuestSpec;
  power_state: number;
  rescued: boolean;
  rescue_image_id: string | null;
  admin_password: string | null;
  migrating_to: string | null;
  /** Attached volumes: guest device → serial. */
  volumes: Record<string, string>;
}

const MAX_LOG_LINES = 200;
const SNAPSHOT_SIZE = 4096;

/**
 * An in-memory hypervisor for development and scale tests: guests are entries of a Map (a
 * restarted compute sees none), resources come from `[fake_driver]`, operations may be slowed
 * down and made to fail on purpose. Drivers of one process find each other through a registry
 * keyed by host, so a live migration between two in-process computes moves the guest.
 */
export class FakeDriver implements ComputeDriver {
  readonly name = 'fake.FakeDriver';
  private nodes: string[] = [];
  private host = '';
  private readonly startedAt = Date.now();
  private readonly guests = new Map<string, FakeGuest>();
  private readonly failures: FailurePlan;

  // Test hooks shared by every FakeDriver of the process (not connections): one per process is right.
  private static readonly byHost = new Map<string, FakeDriver>();

  /** Throws ConfigError for an unknown operation in `failOperations`. */
  constructor(private readonly options: FakeDriverOptions) {
    this.failures = new FailurePlan({
      failSpawnOnHosts: options.failSpawnOnHosts ?? [],
      failSpawnImages: options.failSpawnImages ?? [],
      failOperations: options.failOperations ?? [],
    });
  }

  // ---- test hooks (process-wide) --------------------------------------------------------------

  /**
   * Makes `op` fail on `host` ('*': every host) with "fake driver: <op> failed on host <host>:
   * <message> (injected)". Returns a function that removes the rule.
   */
  static injectFailure(host: string, op: FakeOperation, message?: string, options?: InjectFailureOptions): () => void {
    return injectFailure(host, op, message, options);
  }

  static clearInjectedFailures(): void {
    clearInjectedFailures();
  }

  /** The initialised FakeDriver of `host` in this process, if any. */
  static forHost(host: string): FakeDriver | undefined {
    return FakeDriver.byHost.get(host);
  }

  // ---- host ---------------------------------------------------------------------------------

  async init(host: string): Promise<void> {
    this.host = host;
    this.nodes = this.options.nodes.length > 0 ? [...this.options.nodes] : [host];
    FakeDriver.byHost.set(host, this);
  }

  getAvailableNodes(): string[] {
    return [...this.nodes];
  }

  getAvailableResource(nodename: string): NodeResources {
    return {
      hypervisor_hostname: nodename,
      hypervisor_type: 'fake',
      hypervisor_version: 1000,
      vcpus: this.options.vcpus,
      memory_mb: this.options.memoryMb,
      local_gb: this.options.localGb,
      disk_available_least: this.options.localGb,
      cpu_info: { arch: 'x86_64', model: 'fake', vendor: 'nova-ts', topology: { cells: 1, sockets: 1, cores: this.options.vcpus, threads: 1 }, features: [] },
      supported_instances: [['x86_64', 'fake', 'hvm'], ['i686', 'fake', 'hvm']],
    };
  }

  /** An `uptime`-style line for this fake host: how long the driver has been up, no load. */
  async getHostUptime(): Promise<string> {
    const secs = Math.floor((Date.now() - this.startedAt) / 1000);
    const days = Math.floor(secs / 86400);
    const hm = `${Math.floor((secs % 86400) / 3600)}:${String(Math.floor((secs % 3600) / 60)).padStart(2, '0')}`;
    const now = new Date().toISOString().slice(11, 19);
    return ` ${now} up ${days > 0 ? `${days} day${days > 1 ? 's' : ''}, ` : ''}${hm},  0 users,  load average: 0.00, 0.00, 0.00`;
  }

  /** Forgets every guest (they live only in memory) and leaves the host registry. */
  async close(): Promise<void> {
    if (FakeDriver.byHost.get(this.host) === this) FakeDriver.byHost.delete(this.host);
    this.guests.clear();
    this.nodes = [];
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  async spawn(guest: GuestSpec): Promise<void> {
    await this.begin('spawn', guest.uuid, guest.image);
    if (this.guests.has(guest.uuid)) throw new GuestExists(guest.uuid);
    this.guests.set(guest.uuid, newGuest(guest, PowerState.RUNNING));
  }

  async destroy(uuid: string): Promise<void> {
    await this.begin('destroy', uuid);
    this.guests.delete(uuid);
  }

  async reboot(uuid: string, type: RebootType): Promise<void> {
    await this.begin('reboot', uuid);
    const g = this.get(uuid);
    const soft = type === 'SOFT' && g.power === PowerState.RUNNING;
    log(g, soft ? 'reboot: Restarting system' : 'reboot: hard reset (guest recreated)');
    g.power = PowerState.RUNNING;
  }

  async powerOff(uuid: string, timeoutSec?: number): Promise<void> {
    await this.begin('powerOff', uuid);
    const g = this.get(uuid);
    if (g.power === PowerState.SHUTDOWN) return;
    log(g, timeoutSec && timeoutSec > 0 && g.power === PowerState.RUNNING ? 'reboot: Power down' : 'fake: guest destroyed (hard power off)');
    g.power = PowerState.SHUTDOWN;
  }

  async powerOn(uuid: string): Promise<void> {
    await this.begin('powerOn', uuid);
    const g = this.get(uuid);
    if (g.power === PowerState.RUNNING) return;
    log(g, 'fake: guest started');
    g.power = PowerState.RUNNING;
  }

  async pause(uuid: string): Promise<void> {
    await this.transition('pause', uuid, [PowerState.RUNNING], PowerState.PAUSED);
  }

  async unpause(uuid: string): Promise<void> {
    await this.transition('unpause', uuid, [PowerState.PAUSED], PowerState.RUNNING);
  }

  async suspend(uuid: string): Promise<void> {
    await this.transition('suspend', uuid, [PowerState.RUNNING, PowerState.PAUSED], PowerState.SUSPENDED);
  }

  async resume(uuid: string): Promise<void> {
    await this.transition('resume', uuid, [PowerState.SUSPENDED], PowerState.RUNNING);
  }

  async rescue(uuid: string, rescueImage: GuestImage | null, password: string | null): Promise<void> {
    await this.begin('rescue', uuid);
    const g = this.get(uuid);
    if (g.rescue) throw new GuestInvalidState(uuid, 'rescue', g.power, 'It is already rescued.');
    if (g.power === PowerState.PAUSED || g.power === PowerState.SUSPENDED) throw new GuestInvalidState(uuid, 'rescue', g.power);
    const image = rescueImage ?? g.spec.image;
    g.rescue = { image, password };
    g.power = PowerState.RUNNING;
    log(g, `fake: rescue boot from image ${image ? image.id : '(none)'}`);
  }

  async unrescue(uuid: string): Promise<void> {
    await this.begin('unrescue', uuid);
    const g = this.get(uuid);
    if (!g.rescue) throw new GuestInvalidState(uuid, 'unrescue', g.power, 'It is not rescued.');
    g.rescue = null;
    g.power = PowerState.RUNNING;
    log(g, 'fake: rescue ended, original guest booted');
  }

  async snapshot(uuid: string, writeImage: SnapshotWriter): Promise<void> {
    await this.begin('snapshot', uuid);
    const g = this.get(uuid);
    if (g.rescue) throw new GuestInvalidState(uuid, 'snapshot', g.power, 'It is rescued.');
    await writeImage(Readable.from([snapshotPayload(g.spec)]), { disk_format: 'raw', container_format: 'bare' });
  }

  async setAdminPassword(uuid: string, password: string): Promise<void> {
    await this.begin('setAdminPassword', uuid);
    const g = this.get(uuid);
    if (g.power !== PowerState.RUNNING) throw new GuestInvalidState(uuid, 'set the admin password', g.power);
    g.adminPassword = password;
    log(g, 'fake-agent: admin password changed');
  }

  async getConsoleOutput(uuid: string): Promise<string> {
    await this.begin('getConsoleOutput', uuid, undefined, 0);
    const g = this.get(uuid);
    const s = g.spec;
    const banner = [
      'FAKE CONSOLE OUTPUT',
      `fake: booting ${s.name} (${s.uuid}) on ${this.host}/${s.node} from ${s.image ? `image ${s.image.id}` : 'volume'}`,
      `fake: ${s.vcpus} vCPU, ${s.memory_mb} MiB RAM, ${s.root_gb} GiB root disk`,
      `cloud-init: hostname set to ${s.hostname}`,
      `${s.hostname} login: `,
    ];
    return [...banner, ...(g.log ?? [])].join('\n') + '\n';
  }

  async getInfo(uuid: string): Promise<GuestInfo> {
    const g = this.get(uuid);
    return { uuid, name: g.spec.name, power_state: g.power };
  }

  async listGuests(): Promise<GuestInfo[]> {
    return Array.from(this.guests.values(), (g) => ({ uuid: g.spec.uuid, name: g.spec.name, power_state: g.power }));
  }

  // ---- resize / cold migration ------------------------------------------------------------------

  async migrateDiskAndPowerOff(uuid: string, destHost: string, flavor: GuestFlavor): Promise<void> {
    await this.begin('migrateDiskAndPowerOff', uuid);
    const g = this.get(uuid);
    if (g.rescue) throw new GuestInvalidState(uuid, 'migrate', g.power, 'It is rescued.');
    if (g.spec.image !== null && flavor.root_gb < g.spec.root_gb) {
      throw new DriverError(`Resize error: Unable to resize disk down (instance ${uuid}: root disk ${g.spec.root_gb} GiB > ${flavor.root_gb} GiB).`, 'migrateDiskAndPowerOff');
    }
    if (g.power !== PowerState.SHUTDOWN) log(g, 'reboot: Power down');
    g.power = PowerState.SHUTDOWN;
    g.migratingTo = destHost;
  }

  async finishMigration(guest: GuestSpec, powerOn = true): Promise<void> {
    await this.begin('finishMigration', guest.uuid, guest.image, this.spawnDelay());
    const existing = this.guests.get(guest.uuid);
    const sameHost = existing?.migratingTo === this.host;
    if (existing && !sameHost) throw new GuestExists(guest.uuid);
    const g = newGuest(guest, powerOn ? PowerState.RUNNING : PowerState.SHUTDOWN);
    g.resizedInPlace = sameHost;
    if (sameHost && existing?.volumes) g.volumes = existing.volumes; // attached volumes stay attached
    this.guests.set(guest.uuid, g);
  }

  async confirmMigration(uuid: string): Promise<void> {
    await this.begin('confirmMigration', uuid);
    const g = this.guests.get(uuid);
    if (!g) return;
    if (g.migratingTo !== null && g.migratingTo !== this.host) this.guests.delete(uuid);
    else g.resizedInPlace = false;
  }

  async finishRevertMigration(guest: GuestSpec, powerOn = true): Promise<void> {
    await this.begin('finishRevertMigration', guest.uuid, guest.image, this.spawnDelay());
    const g = newGuest(guest, powerOn ? PowerState.RUNNING : PowerState.SHUTDOWN);
    const old = this.guests.get(guest.uuid);
    if (old?.log) g.log = old.log;
    if (old?.volumes) g.volumes = old.volumes;
    this.guests.set(guest.uuid, g);
  }

  // ---- live migration ---------------------------------------------------------------------------

  async liveMigrate(uuid: string, destHost: string): Promise<void> {
    await this.begin('liveMigrate', uuid);
    const g = this.get(uuid);
    if (destHost === this.host) throw new DriverError(`Unable to migrate instance (${uuid}) to current host (${destHost}).`, 'liveMigrate');
    if (g.power !== PowerState.RUNNING && g.power !== PowerState.PAUSED) throw new GuestInvalidState(uuid, 'live-migrate', g.power);
    if (g.rescue) throw new GuestInvalidState(uuid, 'live-migrate', g.power, 'It is rescued.');
    const dest = FakeDriver.byHost.get(destHost);
    if (dest) {
      if (dest.guests.has(uuid)) throw new DriverError(`Live migration of ${uuid} to ${destHost} failed: the destination already has this guest.`, 'liveMigrate');
      dest.guests.set(uuid, g);
    }
    this.guests.delete(uuid);
    log(g, `fake: live-migrated from ${this.host} to ${destHost}`);
  }

  async postLiveMigrationAtDestination(guest: GuestSpec): Promise<void> {
    await this.begin('postLiveMigrationAtDestination', guest.uuid);
    const g = this.guests.get(guest.uuid);
    if (g) {
      g.spec = guest;
      g.migratingTo = null;
    } else {
      this.guests.set(guest.uuid, newGuest(guest, PowerState.RUNNING));
    }
  }

  // ---- volumes ----------------------------------------------------------------------------------

  async attachVolume(uuid: string, volume: VolumeAttachment): Promise<string> {
    await this.begin('attachVolume', uuid);
    const g = this.get(uuid);
    if (g.power === PowerState.SUSPENDED) throw new GuestInvalidState(uuid, 'attach a volume', g.power);
    if (g.rescue) throw new GuestInvalidState(uuid, 'attach a volume', g.power, 'It is rescued.');
    const vols = (g.volumes ??= new Map());
    if (vols.has(volume.serial)) throw new DriverError(`fake driver: volume ${volume.serial} is already attached to instance ${uuid}`, 'attachVolume');
    const used = new Set(['vda', ...[...vols.values()].map((v) => v.device)]);
    if (volume.device !== undefined && !/^vd[a-z]{1,2}$/.test(volume.device)) {
      throw new DriverError(`fake driver: invalid device name '${volume.device}' (expected vdb, vdc, ...)`, 'attachVolume');
    }
    if (volume.device !== undefined && used.has(volume.device)) {
      throw new DriverError(`fake driver: device ${volume.device} of instance ${uuid} is already in use`, 'attachVolume');
    }
    const device = volume.device ?? nextVirtioDisk(used);
    vols.set(volume.serial, { device, path: volume.path });
    log(g, `fake: virtio_blk: [${device}] attached (serial ${volume.serial})`);
    return device;
  }

  async detachVolume(uuid: string, serial: string): Promise<void> {
    await this.begin('detachVolume', uuid);
    const g = this.get(uuid);
    if (g.power === PowerState.PAUSED || g.power === PowerState.SUSPENDED) throw new GuestInvalidState(uuid, 'detach a volume', g.power);
    if (g.rescue) throw new GuestInvalidState(uuid, 'detach a volume', g.power, 'It is rescued.');
    if (!g.volumes?.delete(serial)) throw new DiskNotFound(serial);
  }

  // ---- misc -------------------------------------------------------------------------------------

  async triggerCrashDump(uuid: string): Promise<void> {
    await this.begin('triggerCrashDump', uuid);
    const g = this.get(uuid);
    if (g.power !== PowerState.RUNNING) throw new GuestInvalidState(uuid, 'trigger a crash dump', g.power);
    log(g, 'Uhhuh. NMI received for unknown reason 3d on CPU 0.');
    log(g, 'Kernel panic - not syncing: NMI: Not continuing');
  }

  async injectNetworkInfo(_uuid: string): Promise<void> {
    // The fake guest has no network configuration to update.
  }

  /**
   * Nova's fake console: a host name nobody serves and port 6969. The access path names this
   * compute and the guest, so a token issued before a move no longer matches afterwards.
   */
  async getVncConsole(uuid: string): Promise<ConsoleConnectInfo> {
    this.get(uuid);
    const at = this.options.vncConsole ? /^(.+):(\d+)$/.exec(this.options.vncConsole) : null;
    if (at) return { host: at[1].replace(/^\[(.*)\]$/, '$1'), port: Number(at[2]), internal_access_path: null };
    return { host: 'fakevncconsole.com', port: 6969, internal_access_path: `fake-vnc/${this.host}/${uuid}` };
  }

  // ---- fake-only helpers (tests, debugging) ------------------------------------------------------

  get guestCount(): number {
    return this.guests.size;
  }

  /** Everything the fake keeps about a guest, or undefined. */
  describeGuest(uuid: string): FakeGuestView | undefined {
    const g = this.guests.get(uuid);
    if (!g) return undefined;
    return {
      spec: g.spec,
      power_state: g.power,
      rescued: g.rescue !== null,
      rescue_image_id: g.rescue?.image?.id ?? null,
      admin_password: g.adminPassword,
      migrating_to: g.migratingTo,
      volumes: Object.fromEntries([...(g.volumes ?? new Map())].map(([serial, v]) => [v.device, serial])),
    };
  }

  /** Changes a guest's power state behind Nova's back (a guest that shut itself down, crashed, ...). */
  simulatePowerState(uuid: string, powerState: number): void {
    this.get(uuid).power = powerState;
  }

  /** Drops a guest behind Nova's back (a domain someone undefined by hand). */
  simulateGuestVanished(uuid: string): void {
    this.guests.delete(uuid);
  }

  // ---- internals --------------------------------------------------------------------------------

  private get(uuid: string): FakeGuest {
    const g = this.guests.get(uuid);
    if (!g) throw new GuestNotFound(uuid);
    return g;
  }

  private spawnDelay(): number {
    return this.options.spawnDelayMs ?? this.options.actionDelayMs ?? 0;
  }

  /** Waits the configured delay, then throws an injected failure if one applies. */
  private async begin(op: FakeOperation, uuid: string, image?: GuestImage | null, delayMs?: number): Promise<void> {
    const ms = delayMs ?? (op === 'spawn' ? this.spawnDelay() : this.options.actionDelayMs ?? 0);
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    this.failures.check(this.host, op, uuid, image);
  }

  /** `from` → `to`; already `to`: no-op; any other state: GuestInvalidState. */
  private async transition(op: FakeOperation, uuid: string, from: number[], to: number): Promise<void> {
    await this.begin(op, uuid);
    const g = this.get(uuid);
    if (g.power === to) return;
    if (!from.includes(g.power)) throw new GuestInvalidState(uuid, op, g.power);
    g.power = to;
    log(g, `fake: ${op}`);
  }
}

function newGuest(spec: GuestSpec, power: number): FakeGuest {
  return { spec, power, rescue: null, migratingTo: null, resizedInPlace: false, adminPassword: spec.admin_password ?? null };
}

function log(g: FakeGuest, line: string): void {
  const lines = (g.log ??= []);
  lines.push(line);
  if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
}

/** A small deterministic "disk image": a text header padded with a repeating pattern. */
export function snapshotPayload(spec: GuestSpec): Buffer {
  const header = `FAKE-SNAPSHOT 1\nuuid=${spec.uuid}\nname=${spec.name}\nimage=${spec.image?.id ?? ''}\nroot_gb=${spec.root_gb}\n`;
  const buf = Buffer.alloc(SNAPSHOT_SIZE, 0);
  for (let i = 0; i < SNAPSHOT_SIZE; i++) buf[i] = i % 256;
  buf.write(header, 0, 'utf8');
  return buf;
}
