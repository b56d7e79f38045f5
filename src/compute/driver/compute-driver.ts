/**
 * The hypervisor contract every driver implements (fake, libvirt over SSH). Drivers never import
 * db/, rpc/ or api/; they receive plain JSON-able objects and return plain objects. Guests are
 * identified by the instance uuid everywhere; the driver maps it to its own ids.
 *
 * Power states are Nova's (`PowerState` of src/objects/instance.object.ts): 0 NOSTATE, 1 RUNNING,
 * 3 PAUSED, 4 SHUTDOWN, 6 CRASHED, 7 SUSPENDED. The lifecycle methods below leave the guest in the
 * power state their comment names; a request the guest's current state cannot honour throws
 * `GuestInvalidState` (409), an unknown guest `GuestNotFound` (404), any other hypervisor failure
 * `DriverError` (500). A request whose target state the guest is already in is a no-op.
 */
import { Conflict, NotFound, NovaError } from '../../common/errors';
import { PowerState } from '../../objects/instance.object';

export interface NodeResources {
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  /** What the hypervisor itself uses or reports free (driver view, before instances are counted). */
  disk_available_least: number;
  cpu_info: Record<string, unknown>;
  supported_instances: Array<[string, string, string]>;
}

/** The image a guest boots from (or is rescued with). */
export interface GuestImage {
  id: string;
  name?: string;
  disk_format?: string;
  container_format?: string;
  size?: number;
  properties: Record<string, unknown>;
}

/** The sizes of a flavor, as the driver needs them (resize target). */
export interface GuestFlavor {
  name?: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
}

/** Everything a driver needs to create a guest. */
export interface GuestSpec extends GuestFlavor {
  uuid: string;
  /** `instance-%08x` of the instance id: the hypervisor-side name (libvirt domain name). */
  name: string;
  hostname: string;
  /** null: boot from volume (no image). */
  image: GuestImage | null;
  /** A local file the compute downloaded the image to; may be absent (the fake driver ignores it). */
  image_path?: string;
  /**
   * Local files the compute downloaded for the image's `kernel_id` / `ramdisk_id` properties
   * (kernel + initrd boot, no boot loader); absent when the image has no such properties. The
   * libvirt driver caches them on the hypervisor host under those image ids.
   */
  kernel_path?: string;
  ramdisk_path?: string;
  /** Who owns the instance, what the user called it, its flavor's name (hypervisor-side metadata only). */
  display_name?: string | null;
  flavor_name?: string;
  project_id?: string;
  user_id?: string;
  user_data?: string | null;
  admin_password?: string | null;
  key_data?: string | null;
  metadata: Record<string, string>;
  /** The compute node (hypervisor_hostname) the guest is placed on. */
  node: string;
}

export interface GuestInfo {
  uuid: string;
  /** Hypervisor-side name (`instance-%08x`). */
  name: string;
  /** A `PowerState` value. */
  power_state: number;
}

export type RebootType = 'SOFT' | 'HARD';

export interface SnapshotMeta {
  disk_format: string;
  container_format: string;
}

/**
 * How another host reaches this one to move a guest here (Nova's `migrate_data` / the migration's
 * `dest_host`): plain JSON that the destination's driver writes and the source's driver of the same
 * kind reads; the compute manager only carries it (prep_resize → resize_instance, and the reply of
 * pre_live_migration).
 */
export type MigrationTarget = Record<string, unknown>;

/** Receives a snapshot's bytes (the compute uploads them to the image service). */
export type SnapshotWriter = (data: NodeJS.ReadableStream, meta: SnapshotMeta) => Promise<void>;

/**
 * A local volume (a qcow2 or raw file on the hypervisor host) to attach to a guest. There is no
 * volume service (Cinder) behind it: the caller names the file and the id.
 */
export interface VolumeAttachment {
  /** Absolute path of the volume's file on the hypervisor host. */
  path: string;
  /** The guest device wanted (`vdb`, ...); absent: the next free virtio disk. */
  device?: string;
  /** The volume's id: the disk's serial in the guest, and how `detachVolume` finds it. */
  serial: string;
  /** The file's format (default qcow2). */
  format?: 'qcow2' | 'raw';
}

/** vdb, vdc, ..., vdz, vdaa, ...: the first virtio disk name not in `used` (vda is the root disk). */
export function nextVirtioDisk(used: ReadonlySet<string>): string {
  for (let i = 1; ; i++) {
    const name = `vd${i < 26 ? '' : String.fromCharCode(96 + Math.floor(i / 26))}${String.fromCharCode(97 + (i % 26))}`;
    if (!used.has(name)) return name;
  }
}

/** Nova's `DiskNotFound`: no disk with this volume id (serial) is attached to the guest. */
export class DiskNotFound extends NotFound {
  constructor(readonly location: string) {
    super(`No disk at ${location}`);
  }
}

/** Nova's `InstanceNotFound`: the hypervisor has no guest with this uuid. */
export class GuestNotFound extends NotFound {
  constructor(readonly uuid: string) {
    super(`Instance ${uuid} could not be found.`);
  }
}

/** Nova's `InstanceExists`: spawn of a uuid the hypervisor already runs. */
export class GuestExists extends Conflict {
  constructor(readonly uuid: string) {
    super(`Instance ${uuid} already exists.`);
  }
}

/** Nova's `InstanceInvalidState`: the guest's power state does not allow the operation. */
export class GuestInvalidState extends Conflict {
  constructor(
    readonly uuid: string,
    readonly operation: string,
    readonly powerState: number,
    detail?: string,
  ) {
    super(`Instance ${uuid} in power state ${powerStateName(powerState)}. Cannot ${operation} while the instance is in this state.${detail ? ` ${detail}` : ''}`);
  }
}

/** Any other hypervisor failure (connection lost, command failed, resize down refused, ...). */
export class DriverError extends NovaError {
  constructor(
    message: string,
    readonly operation?: string,
  ) {
    super(message);
  }
}

const POWER_STATE_NAMES = new Map<number, string>(Object.entries(PowerState).map(([k, v]) => [v, k]));

/** `RUNNING` for 1, ...; `UNKNOWN(n)` for a number Nova does not define. */
export function powerStateName(state: number): string {
  return POWER_STATE_NAMES.get(state) ?? `UNKNOWN(${state})`;
}

export interface ComputeDriver {
  /** e.g. `fake.FakeDriver`, for logs. */
  readonly name: string;
  /**
   * The driver boots from a local copy of the image: the compute downloads it (once per image,
   * checksum verified) and passes its path as `GuestSpec.image_path`.
   */
  readonly needsImageFile?: boolean;
  /** Connects to the hypervisor; throws a NovaError with a clear message when it cannot. */
  init(host: string): Promise<void>;
  /** The nodes this host reports (one compute node each). */
  getAvailableNodes(): string[];
  getAvailableResource(nodename: string): NodeResources;
  /** The host's `uptime` line (e.g. ` 10:00:00 up 1 day,  2:03,  0 users,  load average: 0.10, 0.05, 0.01`). */
  getHostUptime(): Promise<string>;
  /**
   * Throws (with the reason) when the hypervisor cannot be reached right now; optional (a driver
   * without it is always reachable). The compute stops reporting itself alive while it throws.
   */
  checkHost?(): Promise<void>;
  close(): Promise<void>;

  // ---- instance lifecycle ------------------------------------------------------------------

  /**
   * Creates and boots the guest → RUNNING. `GuestExists` when the uuid is already there. On
   * failure nothing of the guest is left behind (the hypervisor is as before the call).
   */
  spawn(guest: GuestSpec): Promise<void>;
  /** Powers off and removes the guest and its local disks. Idempotent: an unknown guest is fine. */
  destroy(uuid: string): Promise<void>;
  /**
   * → RUNNING from any state. SOFT asks the guest OS to restart and falls back to HARD when the
   * guest is not RUNNING (libvirt semantics); HARD power-cycles (recreates) the guest. A rescued
   * guest stays rescued.
   */
  reboot(uuid: string, type: RebootType): Promise<void>;
  /**
   * → SHUTDOWN from any state: a clean ACPI shutdown waiting up to `timeoutSec` (0 or absent: no
   * wait, hard power-off), then a hard power-off. Already SHUTDOWN: no-op.
   */
  powerOff(uuid: string, timeoutSec?: number): Promise<void>;
  /** → RUNNING from any state (SHUTDOWN, CRASHED, PAUSED, SUSPENDED); already RUNNING: no-op. */
  powerOn(uuid: string): Promise<void>;
  /** RUNNING → PAUSED (vCPUs stopped, memory kept). Already PAUSED: no-op; otherwise `GuestInvalidState`. */
  pause(uuid: string): Promise<void>;
  /** PAUSED → RUNNING. Already RUNNING: no-op; otherwise `GuestInvalidState`. */
  unpause(uuid: string): Promise<void>;
  /** RUNNING or PAUSED → SUSPENDED (memory saved to disk). Already SUSPENDED: no-op; otherwise `GuestInvalidState`. */
  suspend(uuid: string): Promise<void>;
  /** SUSPENDED → RUNNING. Already RUNNING: no-op; otherwise `GuestInvalidState`. */
  resume(uuid: string): Promise<void>;
  /**
   * Boots the guest from `rescueImage` (null: its own image) with its disk attached → RUNNING,
   * rescued. From RUNNING, SHUTDOWN or CRASHED; a PAUSED/SUSPENDED or already rescued guest is
   * `GuestInvalidState`. `password` is the rescue root password (null: none set).
   */
  rescue(uuid: string, rescueImage: GuestImage | null, password: string | null): Promise<void>;
  /** Rescued → the original guest, RUNNING. A guest that is not rescued is `GuestInvalidState`. */
  unrescue(uuid: string): Promise<void>;
  /**
   * Streams the guest's root disk to `writeImage` (awaited before this resolves). Any power
   * state of an existing, not rescued guest; the power state is unchanged afterwards.
   */
  snapshot(uuid: string, writeImage: SnapshotWriter): Promise<void>;
  /** Sets the guest OS admin password (needs a guest agent): the guest must be RUNNING. */
  setAdminPassword(uuid: string, password: string): Promise<void>;
  /** The guest's serial console log (any power state). */
  getConsoleOutput(uuid: string): Promise<string>;
  /** `GuestNotFound` when unknown. */
  getInfo(uuid: string): Promise<GuestInfo>;
  /** Every guest the hypervisor has (start-up reconciliation, power-state sync). */
  listGuests(): Promise<GuestInfo[]>;

  // ---- resize / cold migration ------------------------------------------------------------

  /**
   * Source side of a resize or cold migration: powers the guest off (→ SHUTDOWN) and hands its
   * disks over to `destHost` (which may be this host). The source copy stays until
   * `confirmMigration` (destroyed) or `finishRevertMigration` (restored). Shrinking the root disk
   * is a `DriverError` ("Unable to resize disk down.") and leaves the guest untouched.
   */
  migrateDiskAndPowerOff(uuid: string, destHost: string, flavor: GuestFlavor, target?: MigrationTarget | null): Promise<void>;
  /**
   * Destination side: creates the guest from `guest` (the new flavor) → RUNNING, or SHUTDOWN
   * when `powerOn` is false (the instance was stopped before the resize). Replaces the source
   * copy on a same-host resize.
   */
  finishMigration(guest: GuestSpec, powerOn?: boolean): Promise<void>;
  /** Source side, after the user confirmed: removes the old copy. Idempotent. */
  confirmMigration(uuid: string): Promise<void>;
  /**
   * Source side of a revert (the destination destroyed its copy first): brings the guest back
   * with `guest` (the old flavor) → RUNNING, or SHUTDOWN when `powerOn` is false.
   */
  finishRevertMigration(guest: GuestSpec, powerOn?: boolean): Promise<void>;

  /**
   * Destination side: how a source reaches this host to move a guest here (`target` of
   * migrateDiskAndPowerOff and liveMigrate). Optional: a driver without it needs nothing (fake).
   */
  getMigrationTarget?(): MigrationTarget | null;

  // ---- live migration -----------------------------------------------------------------------

  /**
   * Moves the running (RUNNING or PAUSED) guest to `destHost` keeping its power state; on
   * success it is gone from this host. `destHost` equal to this host is a `DriverError`.
   */
  liveMigrate(uuid: string, destHost: string, target?: MigrationTarget | null): Promise<void>;
  /**
   * Destination side after a successful `liveMigrate`: makes sure this host tracks the guest
   * (persistent definition). Keeps the power state of a guest already here, else → RUNNING.
   */
  postLiveMigrationAtDestination(guest: GuestSpec): Promise<void>;

  // ---- volumes ------------------------------------------------------------------------------

  /**
   * Attaches a local volume file as a virtio disk; returns the guest device (`vdb`, ...). A
   * RUNNING or PAUSED guest gets it hot-plugged and kept in its definition; a SHUTDOWN or CRASHED
   * guest gets it in its definition only. SUSPENDED or rescued: `GuestInvalidState`. A device or
   * serial already in use, a bad device name or a missing file: `DriverError`.
   */
  attachVolume(uuid: string, volume: VolumeAttachment): Promise<string>;
  /**
   * Detaches the disk whose serial is `serial` (unplugged from a RUNNING guest, removed from the
   * definition); `DiskNotFound` when none is attached. PAUSED (the guest cannot acknowledge the
   * unplug), SUSPENDED or rescued: `GuestInvalidState`.
   */
  detachVolume(uuid: string, serial: string): Promise<void>;

  // ---- misc ---------------------------------------------------------------------------------

  /** Injects an NMI (kdump in the guest); no power-state change. The guest must be RUNNING. */
  triggerCrashDump(uuid: string): Promise<void>;
  /** Pushes the network configuration into the guest; optional, drivers without it skip the call. */
  injectNetworkInfo?(uuid: string): Promise<void>;

  // ---- consoles ---------------------------------------------------------------------------------

  /**
   * Where the guest's VNC server is, as the console proxy must reach it (Nova's `ConsoleVNC`):
   * `GuestNotFound` when unknown. A driver without it has no VNC consoles (the API answers 501).
   */
  getVncConsole?(uuid: string): Promise<ConsoleConnectInfo>;
}

/** A guest console's endpoint (Nova's `nova.console.type.Console*`): what the proxy connects to. */
export interface ConsoleConnectInfo {
  host: string;
  port: number;
  /** An opaque path the proxy sends after connecting (Nova's `internal_access_path`); null: none. */
  internal_access_path?: string | null;
}
