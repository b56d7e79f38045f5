import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { create } from 'xmlbuilder2';
import { buildDomainXml, DEFAULT_CMDLINE, NOVA_XMLNS, xmlSafe, type DomainXmlParams } from '../../src/compute/drivers/libvirt/domain-xml';
import { cacheKey, expectedChecksums } from '../../src/compute/drivers/libvirt/image-cache';
import { guestPaths } from '../../src/compute/drivers/libvirt/guest-files';
import { parseDf } from '../../src/compute/drivers/libvirt/libvirt-host';
import { parseDomstate, parseHypervisorVersion, parseNodeinfo, powerStateFromDomstate } from '../../src/compute/drivers/libvirt/virsh';
import { PowerState } from '../../src/objects/instance.object';
import { parseConfigText } from '../../src/config/config-loader';
import { createComputeDriver, libvirtShell } from '../../src/compute/driver-factory';
import { LibvirtDriver } from '../../src/compute/drivers/libvirt/libvirt.driver';
import { LocalShell } from '../../src/compute/drivers/libvirt/local-shell';
import { SshShell } from '../../src/compute/drivers/libvirt/ssh-shell';

const HOSTILE = `evil"'<>& $(touch /tmp/nova-ts-pwned) \`id\`; rm -rf / ;\nline2 ]]> <![CDATA[x]]> </name><name>`;

function params(over: Partial<DomainXmlParams> = {}): DomainXmlParams {
  return {
    name: 'instance-0000002a', uuid: '00000000-0000-4000-8000-00000000002a', memoryMb: 128, vcpus: 1, virtType: 'qemu',
    disks: [{ path: '/srv/i/disk', dev: 'vda', format: 'qcow2' }], consoleLog: '/srv/i/console.log', vncListen: '127.0.0.1',
    nova: {
      displayName: 'vm', creationTime: '2026-01-01 00:00:00',
      flavor: { name: 'm1.tiny', memory_mb: 128, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0 },
      owner: { userId: 'u1', projectId: 'p1' }, imageId: 'img-1', metadata: {},
    },
    ...over,
  };
}

/** The few DOM members used here (tsconfig has no DOM lib). */
interface Element {
  textContent: string | null;
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<Element>;
  getElementsByTagNameNS(ns: string, name: string): ArrayLike<Element>;
}

function parse(xml: string): Element {
  return create(xml).root().node as unknown as Element;
}
function novaText(root: Element, name: string): string[] {
  return Array.from(root.getElementsByTagNameNS(NOVA_XMLNS, name), (e) => e.textContent ?? '');
}
function text(root: Element, name: string): string[] {
  return Array.from(root.getElementsByTagName(name), (e) => e.textContent ?? '');
}

describe('libvirt domain XML', () => {
  it('has the lab-proven shape: TCG, memory, vcpus, virtio qcow2 disk, serial log, VNC autoport, nova metadata', () => {
    const xml = buildDomainXml(params());
    const root = parse(xml);
    assert.equal(root.getAttribute('type'), 'qemu');
    assert.deepEqual(text(root, 'name'), ['instance-0000002a']);
    assert.deepEqual(text(root, 'uuid'), ['00000000-0000-4000-8000-00000000002a']);
    assert.match(xml, /<memory unit="MiB">128<\/memory>/);
    assert.match(xml, /<vcpu placement="static">1<\/vcpu>/);
    assert.match(xml, /<driver name="qemu" type="qcow2"\/>/);
    assert.match(xml, /<target dev="vda" bus="virtio"\/>/);
    assert.match(xml, /<log file="\/srv\/i\/console.log" append="on"\/>/);
    assert.match(xml, /<graphics type="vnc" port="-1" autoport="yes" listen="127.0.0.1">/);
    assert.match(xml, /<acpi\/>/);
    assert.match(xml, /<boot dev="hd"\/>/);
    assert.deepEqual(novaText(root, 'name'), ['vm']);
    const flavor = root.getElementsByTagNameNS(NOVA_XMLNS, 'flavor')[0]!;
    assert.equal(flavor.getAttribute('name'), 'm1.tiny');
    assert.equal(root.getElementsByTagNameNS(NOVA_XMLNS, 'project')[0]!.getAttribute('uuid'), 'p1');
    assert.equal(root.getElementsByTagNameNS(NOVA_XMLNS, 'user')[0]!.getAttribute('uuid'), 'u1');
    assert.equal(root.getElementsByTagNameNS(NOVA_XMLNS, 'root')[0]!.getAttribute('uuid'), 'img-1');
  });

  it('kernel boot: kernel, initrd, cmdline (default when the image sets none); kvm uses host-model; no VNC when disabled', () => {
    const root = parse(buildDomainXml(params({ kernel: '/c/k', initrd: '/c/r', cmdline: 'console=ttyS0' })));
    assert.deepEqual([text(root, 'kernel'), text(root, 'initrd'), text(root, 'cmdline')], [['/c/k'], ['/c/r'], ['console=ttyS0']]);
    assert.deepEqual(text(root, 'boot'), []);
    assert.deepEqual(text(parse(buildDomainXml(params({ kernel: '/c/k' }))), 'cmdline'), [DEFAULT_CMDLINE]);
    const kvm = buildDomainXml(params({ virtType: 'kvm', vncListen: null }));
    assert.match(kvm, /<domain type="kvm">/);
    assert.match(kvm, /<cpu mode="host-model"\/>/);
    assert.doesNotMatch(kvm, /graphics/);
  });

  it('escapes hostile names, metadata and command lines: the document stays well-formed and reads back exactly', () => {
    const metadata = { [HOSTILE]: HOSTILE, 'k\tey': 'v\r\nalue', ']]>': '"' };
    const xml = buildDomainXml(params({ cmdline: HOSTILE, kernel: '/k', nova: { ...params().nova, displayName: HOSTILE, metadata } }));
    assert.ok(!xml.includes('</name><name>'), 'no markup injected');
    assert.ok(!xml.includes(']]> <!'), 'CDATA end escaped');
    assert.match(xml, /\$\(touch \/tmp\/nova-ts-pwned\)/); // data, not syntax: kept verbatim as text
    const root = parse(xml);
    assert.deepEqual(text(root, 'name'), ['instance-0000002a']);
    assert.deepEqual(novaText(root, 'name'), [HOSTILE]);
    assert.deepEqual(text(root, 'cmdline'), [HOSTILE]);
    const keys = novaText(root, 'key');
    const values = novaText(root, 'value');
    assert.deepEqual(Object.fromEntries(keys.map((k, i) => [k, values[i]])), metadata);
  });

  it('replaces characters XML cannot carry instead of failing', () => {
    assert.equal(xmlSafe('a\u0000b\u0007c\uFFFEd\uD800e'), 'a\uFFFDb\uFFFDc\uFFFDd\uFFFDe');
    const xml = buildDomainXml(params({ nova: { ...params().nova, displayName: 'bell\u0007' } }));
    assert.deepEqual(novaText(parse(xml), 'name'), ['bell\uFFFD']);
  });

  it('refuses non-integer sizes', () => {
    assert.throws(() => buildDomainXml(params({ memoryMb: 1.5 })), RangeError);
    assert.throws(() => buildDomainXml(params({ vcpus: 0 })), RangeError);
  });
});

describe('libvirt: virsh output parsing and power-state mapping', () => {
  const { NOSTATE, RUNNING, PAUSED, SHUTDOWN, CRASHED, SUSPENDED } = PowerState;
  const cases: Array<[string, number]> = [
    ['running (booted)', RUNNING], ['running (unpaused)', RUNNING], ['idle', RUNNING], ['paused (user)', PAUSED],
    ['paused (unknown)', PAUSED], ['in shutdown', SHUTDOWN], ['shut off (shutdown)', SHUTDOWN], ['shut off (destroyed)', SHUTDOWN],
    ['shut off', SHUTDOWN], ['shut off (saved)', SUSPENDED], ['shut off (crashed)', CRASHED], ['crashed (panicked)', CRASHED],
    ['pmsuspended (unknown)', SUSPENDED], ['no state', NOSTATE], ['dying', SHUTDOWN], ['something new', NOSTATE],
  ];
  for (const [out, want] of cases) {
    it(`domstate '${out}' → ${want}`, () => assert.equal(powerStateFromDomstate(parseDomstate(`${out}\n\n`)), want));
  }

  it('parses nodeinfo, version and df', () => {
    const n = parseNodeinfo('CPU model:           x86_64\nCPU(s):              2\nCPU frequency:       2100 MHz\nCPU socket(s):       1\n' +
      'Core(s) per socket:  2\nThread(s) per core:  1\nNUMA cell(s):        1\nMemory size:         24609876 KiB\n');
    assert.deepEqual(n, { cpuModel: 'x86_64', cpus: 2, mhz: 2100, sockets: 1, coresPerSocket: 2, threadsPerCore: 1, numaCells: 1, memoryKiB: 24609876 });
    assert.equal(parseHypervisorVersion('Compiled against library: libvirt 9.0.0\nRunning hypervisor: QEMU 7.2.22\n'), 7002022);
    assert.deepEqual(parseDf('     1K-blocks     Avail\n 264151040 82837504\n'), { totalGb: 251, freeGb: 79 });
  });

  it('keeps uuids and image ids from escaping their directories', () => {
    assert.throws(() => guestPaths('/srv', '../etc'), /refusing/);
    assert.throws(() => guestPaths('/srv', 'a/b'), /refusing/);
    assert.equal(guestPaths('/srv', '00000000-0000-4000-8000-00000000002a').disk, '/srv/00000000-0000-4000-8000-00000000002a/disk');
    assert.equal(cacheKey('5f0c-img'), '5f0c-img');
    assert.match(cacheKey('../../etc/passwd'), /^h-[0-9a-f]{32}$/);
    assert.match(cacheKey('.hidden'), /^h-/);
    assert.deepEqual(expectedChecksums({ checksum: 'ABC', os_hash_algo: 'sha512', os_hash_value: 'DEF' }), { md5: 'abc', algo: 'sha512', value: 'def' });
    assert.deepEqual(expectedChecksums({ os_hash_algo: 'rot13', os_hash_value: 'x' }), { md5: undefined, algo: undefined, value: undefined });
  });
});

describe('libvirt: driver factory', () => {
  it('compute_driver = libvirt.LibvirtDriver: SSH to [libvirt] ssh_host, or the local shell for ssh_host = local', async () => {
    const local = parseConfigText('[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\ninstances_path = /srv/nova/instances\n[libvirt]\nssh_host = local\n').conf;
    const d = createComputeDriver(local);
    assert.ok(d instanceof LibvirtDriver);
    assert.equal(d.name, 'libvirt.LibvirtDriver');
    assert.equal(d.cache.dir, '/srv/nova/instances/_base');
    assert.ok(libvirtShell(local) instanceof LocalShell);
    const ssh = parseConfigText('[DEFAULT]\ncompute_driver = libvirt.LibvirtDriver\n[libvirt]\nssh_host = 192.0.2.10\nssh_known_hosts_file = /nonexistent\n').conf;
    const shell = libvirtShell(ssh);
    assert.ok(shell instanceof SshShell);
    await shell.close();
  });
});
