/** The libvirt driver's options, and the internals its helper modules (host, migration) share. */
import type { GuestSpec } from '../../driver/compute-driver';
import type { BootFiles, GuestPaths, GuestRecord } from './guest-files';
import type { HostShell } from './host-shell';
import type { Virsh } from './virsh';

export interface LibvirtDriverOptions {
  shell: HostShell;
  /** libvirt URI on the host, e.g. `qemu:///system`. */
  uri: string;
  virtType: 'qemu' | 'kvm';
  /** `[DEFAULT] instances_path` on the hypervisor host (absolute). */
  instancesPath: string;
  /** Image cache directory on the host (absolute; default `<instancesPath>/_base`). */
  imageCacheDir?: string;
  /** `[vnc] server_listen`; null: no VNC. */
  vncListen: string | null;
  /** `[vnc] server_proxyclient_address`: where the console proxy reaches guests' VNC servers; unset: the listen address. */
  vncProxyclientAddress?: string;
  /** `[DEFAULT] shutdown_timeout`: how long a soft reboot / resize waits for an ACPI shutdown. */
  shutdownTimeoutSec: number;
  /** How long to wait for a started guest to be running (default 120 s). */
  bootTimeoutSec?: number;
  /** Image bytes when GuestSpec carries no local file for an image (the image service, as the instance's owner). */
  fetchImage?: (imageId: string, owner: { user_id: string; project_id: string }) => Promise<NodeJS.ReadableStream | null>;
  /** Poll interval for state waits (default 250 ms). */
  pollMs?: number;
}

/** The driver's internals that the host/migration helpers share. */
export interface DriverCore {
  readonly opts: LibvirtDriverOptions;
  readonly shell: HostShell;
  readonly virsh: Virsh;
  host(): string;
  paths(uuid: string): GuestPaths;
  power(uuid: string): Promise<number>;
  readRecord(uuid: string): Promise<GuestRecord>;
  writeRecord(rec: GuestRecord): Promise<void>;
  defineFromRecord(rec: GuestRecord): Promise<void>;
  resolveBoot(guest: GuestSpec): Promise<BootFiles>;
  createRootDisk(guest: GuestSpec, boot: BootFiles, disk: string): Promise<void>;
  startAndWait(uuid: string): Promise<void>;
  hardStop(uuid: string): Promise<void>;
  gracefulStop(uuid: string, timeoutSec: number): Promise<boolean>;
  fileExists(path: string): Promise<boolean>;
  op<T>(operation: string, uuid: string, fn: () => Promise<T>): Promise<T>;
}

