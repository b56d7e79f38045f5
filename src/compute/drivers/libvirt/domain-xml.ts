/**
 * libvirt domain XML for a Nova guest, built with xmlbuilder2 (a DOM builder): every value —
 * server name, metadata, image command line, paths — is a text node or an attribute value that the
 * serializer escapes, never concatenated into markup. Characters XML 1.0 cannot carry at all
 * (control characters, lone surrogates) are replaced with U+FFFD first, so a hostile string can
 * neither break the document nor make the serializer throw.
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';

export const NOVA_XMLNS = 'http://openstack.org/xmlns/libvirt/nova/1.1';

export interface DomainDisk {
  /** Host path of the disk file. */
  path: string;
  /** Guest device: vda, vdb, ... */
  dev: string;
  format: 'qcow2' | 'raw';
}

export interface NovaDomainMetadata {
  /** The user's server name (display name). */
  displayName: string;
  /** `YYYY-MM-DD hh:mm:ss` (UTC). */
  creationTime: string;
  flavor: { name: string; memory_mb: number; vcpus: number; root_gb: number; ephemeral_gb: number; swap: number };
  owner: { userId: string; projectId: string };
  /** Image the root disk came from; null: boot from volume / blank disk. */
  imageId: string | null;
  /** Server metadata (user key/value pairs). */
  metadata: Record<string, string>;
}

export interface DomainXmlParams {
  /** `instance-%08x`. */
  name: string;
  uuid: string;
  memoryMb: number;
  vcpus: number;
  /** `qemu` (TCG) or `kvm`. */
  virtType: 'qemu' | 'kvm';
  disks: DomainDisk[];
  /** Direct kernel boot (no boot loader): kernel, optional initrd and command line. */
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  /** File the serial console is logged to (virtlogd appends to it). */
  consoleLog: string;
  /** VNC listen address; null: no graphical console. */
  vncListen: string | null;
  nova: NovaDomainMetadata;
}

// XML 1.0 Char production: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Replaces characters that XML 1.0 cannot represent with U+FFFD. */
export function xmlSafe(value: string): string {
  return value.replace(NOT_XML_CHAR, '\uFFFD');
}

/**
 * A user value ready for xmlbuilder2's txt()/attributes: xmlSafe, and every `&` written as `&amp;`
 * here, because xmlbuilder2's serializer leaves an `&` that starts something entity-shaped (`&foo;`,
 * `&#60;`) as is: a server named `R&D;` would reach libvirt as an undefined entity (define fails)
 * and `&lt;` would come back as `<`. Pre-escaped, the serializer sees only `&amp;` and keeps it.
 */
function xmlValue(value: string): string {
  return xmlSafe(value).replace(/&/g, '&amp;');
}

/** Default kernel command line when the image sets no `os_command_line` (Nova's). */
export const DEFAULT_CMDLINE = 'root=/dev/vda console=tty0 console=ttyS0';

export function buildDomainXml(p: DomainXmlParams): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const dom = doc.ele('domain', { type: p.virtType });
  text(dom, 'name', p.name);
  text(dom, 'uuid', p.uuid);
  metadata(dom.ele('metadata'), p.nova);
  dom.ele('memory', { unit: 'MiB' }).txt(String(int(p.memoryMb)));
  dom.ele('currentMemory', { unit: 'MiB' }).txt(String(int(p.memoryMb)));
  dom.ele('vcpu', { placement: 'static' }).txt(String(int(p.vcpus)));

  const os = dom.ele('os');
  os.ele('type', { arch: 'x86_64', machine: 'pc' }).txt('hvm');
  if (p.kernel) {
    text(os, 'kernel', p.kernel);
    if (p.initrd) text(os, 'initrd', p.initrd);
    text(os, 'cmdline', p.cmdline ?? DEFAULT_CMDLINE);
  } else {
    os.ele('boot', { dev: 'hd' });
  }
  const features = dom.ele('features');
  features.ele('acpi');
  features.ele('apic');
  if (p.virtType === 'kvm') dom.ele('cpu', { mode: 'host-model' });
  else dom.ele('cpu', { mode: 'custom', match: 'exact' }).ele('model', { fallback: 'allow' }).txt('qemu64');
  dom.ele('clock', { offset: 'utc' });
  dom.ele('on_poweroff').txt('destroy');
  dom.ele('on_reboot').txt('restart');
  dom.ele('on_crash').txt('destroy');

  const dev = dom.ele('devices');
  for (const d of p.disks) {
    const disk = dev.ele('disk', { type: 'file', device: 'disk' });
    disk.ele('driver', { name: 'qemu', type: d.format });
    disk.ele('source', { file: xmlValue(d.path) });
    disk.ele('target', { dev: xmlValue(d.dev), bus: 'virtio' });
  }
  const serial = dev.ele('serial', { type: 'pty' });
  serial.ele('log', { file: xmlValue(p.consoleLog), append: 'on' });
  serial.ele('target', { port: '0' });
  dev.ele('console', { type: 'pty' }).ele('target', { type: 'serial', port: '0' });
  if (p.vncListen !== null) {
    const listen = xmlValue(p.vncListen);
    dev.ele('graphics', { type: 'vnc', port: '-1', autoport: 'yes', listen }).ele('listen', { type: 'address', address: listen });
    dev.ele('video').ele('model', { type: 'cirrus' });
  }
  dev.ele('memballoon', { model: 'virtio' });
  return doc.end({ prettyPrint: true, wellFormed: true });
}

function metadata(parent: XMLBuilder, m: NovaDomainMetadata): void {
  const inst = parent.ele(NOVA_XMLNS, 'nova:instance');
  inst.ele(NOVA_XMLNS, 'nova:package', { version: 'nova-ts' });
  nova(inst, 'name', m.displayName);
  nova(inst, 'creationTime', m.creationTime);
  const f = inst.ele(NOVA_XMLNS, 'nova:flavor', { name: xmlValue(m.flavor.name) });
  nova(f, 'memory', String(m.flavor.memory_mb));
  nova(f, 'disk', String(m.flavor.root_gb));
  nova(f, 'swap', String(m.flavor.swap));
  nova(f, 'ephemeral', String(m.flavor.ephemeral_gb));
  nova(f, 'vcpus', String(m.flavor.vcpus));
  const owner = inst.ele(NOVA_XMLNS, 'nova:owner');
  owner.ele(NOVA_XMLNS, 'nova:user', { uuid: xmlValue(m.owner.userId) });
  owner.ele(NOVA_XMLNS, 'nova:project', { uuid: xmlValue(m.owner.projectId) });
  if (m.imageId !== null) inst.ele(NOVA_XMLNS, 'nova:root', { type: 'image', uuid: xmlValue(m.imageId) });
  const keys = Object.keys(m.metadata).sort();
  if (keys.length > 0) {
    // Key and value as text nodes (not attributes): newlines and tabs survive exactly.
    const md = inst.ele(NOVA_XMLNS, 'nova:metadata');
    for (const k of keys) {
      const item = md.ele(NOVA_XMLNS, 'nova:item');
      nova(item, 'key', k);
      nova(item, 'value', m.metadata[k] ?? '');
    }
  }
}

function text(parent: XMLBuilder, name: string, value: string): void {
  parent.ele(name).txt(xmlValue(value));
}

function nova(parent: XMLBuilder, name: string, value: string): void {
  parent.ele(NOVA_XMLNS, `nova:${name}`).txt(xmlValue(value));
}

function int(n: number): number {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`domain XML: expected a positive integer, got ${n}`);
  return n;
}

/** `YYYY-MM-DD hh:mm:ss` in UTC, as Nova writes `nova:creationTime`. */
export function creationTime(d = new Date()): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}
