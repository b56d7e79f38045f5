/**
 * Local volumes for the libvirt driver: a qcow2 (or raw) file on the hypervisor host attached to
 * a guest as a virtio disk with `virsh attach-disk` (hot-plugged into a running guest and kept in
 * its persistent definition, or only in the definition when the guest is off) and removed with
 * `virsh detach-disk`. The volume's id is the disk's `<serial>`, which is how a detach finds it.
 * There is no volume service behind this (no Cinder): the caller names the file.
 */
import { PowerState } from '../../../objects/instance.object';
import { DiskNotFound, DriverError, GuestInvalidState, nextVirtioDisk, type VolumeAttachment } from '../../driver/compute-driver';
import type { DriverCore } from './driver-core';

const { RUNNING, PAUSED, SHUTDOWN, CRASHED } = PowerState;

/** One `<disk>` of a domain's XML. */
export interface DomainDisk {
  device: string;
  source: string;
  serial: string | null;
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(Number.parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : XML_ENTITIES[e]!);
}

/** The `<disk device='disk'>` entries of libvirt's domain XML (what `virsh dumpxml` prints). */
export function parseDomainDisks(xml: string): DomainDisk[] {
  const disks: DomainDisk[] = [];
  for (const m of xml.matchAll(/<disk\b([^>]*)>([\s\S]*?)<\/disk>/g)) {
    if (!/\bdevice=['"]disk['"]/.test(m[1]!)) continue;
    const body = m[2]!;
    const target = /<target\b[^>]*\bdev=(['"])(.*?)\1/.exec(body)?.[2];
    if (!target) continue;
    const source = /<source\b[^>]*\b(?:file|dev|name)=(['"])(.*?)\1/.exec(body)?.[2] ?? '';
    const serial = /<serial>([\s\S]*?)<\/serial>/.exec(body)?.[1];
    disks.push({ device: unescapeXml(target), source: unescapeXml(source), serial: serial === undefined ? null : unescapeXml(serial) });
  }
  return disks;
}

/** Volume ids are ids: letters, digits and `.-_:` (a UUID fits). */
const SERIAL_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const DEVICE_RE = /^vd[a-z]{1,2}$/;

/** What `volumes.json` in the guest's directory keeps per attached volume. */
interface SavedVolume {
  serial: string;
  device: string;
  path: string;
  format: 'qcow2' | 'raw';
}

export class LibvirtVolumes {
  constructor(private readonly core: DriverCore) {}

  /**
   * After the driver defined the domain again from its record (resize, revert, unrescue), the
   * volumes attached before are added back to the definition (`--config`). A volume whose file is
   * not on this host (the guest moved) is dropped from the list.
   */
  async restore(uuid: string): Promise<void> {
    const saved = await this.saved(uuid);
    if (saved.length === 0) return;
    const have = new Set(parseDomainDisks(await this.core.virsh.dumpxml(uuid, true)).map((d) => d.serial));
    const kept: SavedVolume[] = [];
    for (const v of saved) {
      if (!(await this.core.fileExists(v.path))) continue;
      kept.push(v);
      if (!have.has(v.serial)) await this.virshAttach(uuid, v, false);
    }
    if (kept.length !== saved.length) await this.save(uuid, kept);
  }

  private volumesFile(uuid: string): string {
    return `${this.core.paths(uuid).dir}/volumes.json`;
  }

  private async saved(uuid: string): Promise<SavedVolume[]> {
    if (!(await this.core.fileExists(this.volumesFile(uuid)))) return [];
    return JSON.parse((await this.core.shell.readFile(this.volumesFile(uuid))).toString('utf8')) as SavedVolume[];
  }

  private async save(uuid: string, volumes: SavedVolume[]): Promise<void> {
    await this.core.shell.writeFile(this.volumesFile(uuid), JSON.stringify(volumes, null, 2), 0o600);
  }

  private virshAttach(uuid: string, v: SavedVolume, live: boolean): Promise<string> {
    return this.core.virsh.exec([
      'attach-disk', '--domain', uuid, '--source', v.path, '--target', v.device, '--targetbus', 'virtio',
      '--driver', 'qemu', '--subdriver', v.format, '--serial', v.serial, '--config', ...(live ? ['--live'] : []),
    ]);
  }

  async attach(uuid: string, v: VolumeAttachment): Promise<string> {
    const c = this.core;
    if (!SERIAL_RE.test(v.serial)) throw new DriverError(`libvirt: invalid volume id '${v.serial}' (letters, digits and .-_: only)`, 'attachVolume');
    if (!v.path.startsWith('/')) throw new DriverError(`libvirt: the volume path must be absolute on the hypervisor host, got '${v.path}'`, 'attachVolume');
    if (v.device !== undefined && !DEVICE_RE.test(v.device)) throw new DriverError(`libvirt: invalid device name '${v.device}' (expected vdb, vdc, ...)`, 'attachVolume');
    const state = await this.checkState(uuid, 'attach a volume', [RUNNING, PAUSED, SHUTDOWN, CRASHED]);
    const live = state === RUNNING || state === PAUSED;
    const disks = await this.disks(uuid, live);
    const same = disks.find((d) => d.serial === v.serial);
    if (same) throw new DriverError(`libvirt: volume ${v.serial} is already attached to instance ${uuid} as ${same.device}`, 'attachVolume');
    const device = v.device ?? nextVirtioDisk(new Set(disks.map((d) => d.device)));
    const busy = disks.find((d) => d.device === device);
    if (busy) throw new DriverError(`libvirt: device ${device} of instance ${uuid} is already in use (by ${busy.source})`, 'attachVolume');
    if (!(await c.fileExists(v.path))) throw new DriverError(`libvirt: volume file ${v.path} does not exist on ${c.shell.description}`, 'attachVolume');
    const saved: SavedVolume = { serial: v.serial, device, path: v.path, format: v.format ?? 'qcow2' };
    await this.virshAttach(uuid, saved, live);
    await this.save(uuid, [...(await this.saved(uuid)).filter((x) => x.serial !== v.serial), saved]);
    return device;
  }

  async detach(uuid: string, serial: string): Promise<void> {
    const c = this.core;
    const state = await this.checkState(uuid, 'detach a volume', [RUNNING, SHUTDOWN, CRASHED]);
    const live = state === RUNNING;
    const inLive = live ? parseDomainDisks(await c.virsh.dumpxml(uuid)).find((d) => d.serial === serial) : undefined;
    const inConfig = parseDomainDisks(await c.virsh.dumpxml(uuid, true)).find((d) => d.serial === serial);
    const disk = inLive ?? inConfig;
    if (!disk) throw new DiskNotFound(serial);
    await c.virsh.exec(['detach-disk', '--domain', uuid, '--target', disk.device, ...(inConfig ? ['--config'] : []), ...(inLive ? ['--live'] : [])]);
    await this.save(uuid, (await this.saved(uuid)).filter((x) => x.serial !== serial));
    if (!inLive) return;
    // The unplug completes when the guest acknowledges the ACPI eject; virsh may return before.
    const deadline = Date.now() + 30_000;
    while (parseDomainDisks(await c.virsh.dumpxml(uuid)).some((d) => d.serial === serial)) {
      if (Date.now() > deadline) throw new DriverError(`libvirt: instance ${uuid} did not release ${disk.device} (volume ${serial}) within 30 s; the unplug is still pending`, 'detachVolume');
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The guest's disks: live ones and those of its persistent definition. */
  private async disks(uuid: string, live: boolean): Promise<DomainDisk[]> {
    const all = parseDomainDisks(await this.core.virsh.dumpxml(uuid, true));
    if (live) for (const d of parseDomainDisks(await this.core.virsh.dumpxml(uuid))) if (!all.some((x) => x.device === d.device)) all.push(d);
    return all;
  }

  private async checkState(uuid: string, what: string, allowed: number[]): Promise<number> {
    const state = await this.core.power(uuid);
    if (await this.core.fileExists(this.core.paths(uuid).unrescueXml)) throw new GuestInvalidState(uuid, what, state, 'It is rescued.');
    if (!allowed.includes(state)) throw new GuestInvalidState(uuid, what, state);
    return state;
  }
}
