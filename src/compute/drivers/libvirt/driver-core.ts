/** The libvirt driver's options, and the internals its helper modules (host, migration) share. */
import type { GuestSpec } from '../../driver/compute-driver';
import type { BootFiles, GuestPaths, GuestRecord } from './guest-files';
import type { HostShell } from './host-shell';
import type { ImageCache } from './image-cache';
import type { SshShellOptions } from './ssh-shell';
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
  /** Moving guests to and from other hosts; unset: only resizes on this host. */
  migration?: LibvirtMigrationOptions;
}

/** How this host is reached by others, and how this compute reaches other hosts, for migrations. */
export interface LibvirtMigrationOptions {
  /** This hypervisor host's sshd as other hosts reach it. */
  ssh: { host: string; port: number; user: string };
  /** `[libvirt] live_migration_inbound_addr` (default: ssh.host). */
  inboundAddr: string;
  /** `[libvirt] live_migration_uri`: `%s` → the destination's inbound address; unset: qemu+libssh to its sshd. */
  liveMigrationUri?: string;
  /** SSH client settings (key, known_hosts, host-key strictness, timeouts) for connections to other hosts. */
  peerSsh: Omit<SshShellOptions, 'host' | 'port' | 'username'>;
}

/** The driver's internals that the host/migration helpers share. */
export interface DriverCore {
  readonly opts: LibvirtDriverOptions;
  readonly shell: HostShell;
  readonly virsh: Virsh;
  readonly cache: ImageCache;
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

