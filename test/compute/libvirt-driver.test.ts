/**
 * The libvirt driver against the real libvirtd of this machine (TCG guests), through LocalShell.
 * Needs the lab of scripts/hypervisor-setup.sh (lab.env: tiny kernel + busybox initrd guest that
 * prints a marker on ttyS0); skipped with a message when it is not there. One guest (128 MiB) is
 * booted and driven through the lifecycle in order; TCG boots take 6–10 s here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestExists, GuestInvalidState, GuestNotFound, type GuestSpec } from '../../src/compute/driver/compute-driver';
import { LibvirtDriver } from '../../src/compute/drivers/libvirt/libvirt.driver';
import { LocalShell } from '../../src/compute/drivers/libvirt/local-shell';
import { SshShell } from '../../src/compute/drivers/libvirt/ssh-shell';
import { imageSize, parseMonitorEvents, powerStateFromQmpStatus, QmpError, qmpReturn } from '../../src/compute/drivers/libvirt/qmp';
import { parseDomainDisks } from '../../src/compute/drivers/libvirt/libvirt-volumes';
import { PowerState } from '../../src/objects/instance.object';

const { RUNNING, PAUSED, SHUTDOWN, SUSPENDED, CRASHED, NOSTATE } = PowerState;
const LAB_ENV = join(process.env.NOVA_TS_LAB_DIR ?? '/var/lib/nova-ts-lab', 'lab.env');
const PWNED = `/tmp/nova-ts-libvirt-pwned-${process.pid}`;
const HOSTILE = `evil"'<>& $(touch ${PWNED}) \`touch ${PWNED}\`; touch ${PWNED} ;\nline2 ]]> </name><name>x`;

function labEnv(): Record<string, string> | null {
  if (!existsSync(LAB_ENV)) return null;
  const env: Record<string, string> = {};
  for (const line of readFileSync(LAB_ENV, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

function virsh(...args: string[]): string {
  try {
    return execFileSync('virsh', ['-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return `ERROR ${(e as { stderr?: string }).stderr ?? String(e)}`;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const lab = labEnv();
const skip = lab ? false : `no hypervisor lab (${LAB_ENV}); run scripts/hypervisor-setup.sh`;

it('the hypervisor lab is present where it is required (CI sets NOVA_TS_REQUIRE_LAB=1)', () => {
  if (process.env.NOVA_TS_REQUIRE_LAB === '1') assert.ok(lab, `${LAB_ENV} is missing: run scripts/hypervisor-setup.sh`);
});

describe('libvirt driver on the real libvirtd', { skip, timeout: 15 * 60_000 }, () => {
  const env = lab ?? {};
  const marker = env.NOVA_TS_LAB_GUEST_MARKER ?? 'NOVA-TS-GUEST-UP';
  const uuid = `4e0a7c1e-0000-4000-8000-${String(process.pid).padStart(12, '0')}`;
  let work = '';
  let instancesPath = '';
  let d: LibvirtDriver;
  let spec: GuestSpec;

  const markers = async (): Promise<number> => (await d.getConsoleOutput(uuid)).split(marker).length - 1;
  async function waitMarkers(n: number, timeoutMs = 90_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await markers();
      if (c >= n) return c;
      if (Date.now() > deadline) assert.fail(`marker ${marker} seen ${c} times, expected ${n}; console:\n${(await d.getConsoleOutput(uuid)).slice(-1500)}`);
      await sleep(250);
    }
  }
  const power = async (): Promise<number> => (await d.getInfo(uuid)).power_state;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'nova-ts-libvirt-'));
    instancesPath = join(work, 'instances');
    const base = join(work, 'base.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '64M']);
    d = new LibvirtDriver({
      shell: new LocalShell(), uri: env.NOVA_TS_LAB_LIBVIRT_URI ?? 'qemu:///system', virtType: 'qemu', instancesPath,
      vncListen: '127.0.0.1', shutdownTimeoutSec: 30, bootTimeoutSec: 60,
    });
    await d.init('lab-host');
    spec = {
      uuid, name: `instance-${(process.pid % 0xffffff).toString(16).padStart(8, '0')}`, hostname: 'tiny', display_name: HOSTILE,
      vcpus: 1, memory_mb: Number(env.NOVA_TS_LAB_GUEST_RAM_MB ?? 128), root_gb: 1, ephemeral_gb: 0, swap: 0, flavor_name: `m1.${HOSTILE}`,
      image: {
        id: `tiny-disk-${process.pid}`, name: HOSTILE, disk_format: 'qcow2',
        properties: { kernel_id: `tiny-kernel-${process.pid}`, ramdisk_id: `tiny-initrd-${process.pid}`, os_command_line: `${env.NOVA_TS_LAB_GUEST_CMDLINE ?? 'console=ttyS0'} novats.nonet=1` },
      },
      image_path: base, kernel_path: env.NOVA_TS_LAB_GUEST_KERNEL, ramdisk_path: env.NOVA_TS_LAB_GUEST_INITRD,
      metadata: { [HOSTILE]: HOSTILE, note: '$(reboot); `halt`' }, node: 'lab-host', project_id: 'p-1', user_id: 'u-1',
    };
  });

  after(async () => {
    if (d) {
      await d.destroy(uuid).catch(() => undefined);
      await d.close();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('reports host resources (nodeinfo + free disk) and uptime', async () => {
    const r = d.getAvailableResource('lab-host');
    assert.equal(r.hypervisor_type, 'QEMU');
    assert.ok(r.vcpus >= 1 && r.memory_mb > 512 && r.local_gb > 0 && r.disk_available_least > 0, JSON.stringify(r));
    assert.ok(r.hypervisor_version > 1_000_000);
    assert.match(await d.getHostUptime(), /load average/);
  });

  it('spawns the tiny guest: domstate running, marker on the serial console, escaped hostile name/metadata', async () => {
    const t0 = Date.now();
    await d.spawn(spec);
    assert.match(virsh('domstate', uuid), /running/);
    assert.equal(await power(), RUNNING);
    await waitMarkers(1);
    console.log(`# spawn → marker: ${Date.now() - t0} ms`);
    assert.deepEqual(await d.getInfo(uuid), { uuid, name: spec.name, power_state: RUNNING });
    assert.ok((await d.listGuests()).some((g) => g.uuid === uuid && g.power_state === RUNNING));
    await assert.rejects(d.spawn(spec), GuestExists);
    const xml = virsh('dumpxml', uuid);
    assert.match(xml, new RegExp(`<name>${spec.name}</name>`));
    assert.ok(xml.includes('evil&quot;\'&lt;&gt;&amp; $(touch') || xml.includes('evil"\'&lt;&gt;&amp; $(touch'), xml);
    assert.ok(xml.includes(']]&gt; &lt;/name&gt;&lt;name&gt;x'), 'hostile markup stays text');
    assert.ok(!xml.includes('</name><name>x'));
    assert.match(xml, /<nova:project uuid="p-1"\/>/);
    assert.match(xml, /<kernel>.*_base\/tiny-kernel-\d+<\/kernel>/);
    assert.match(virsh('domblklist', uuid, '--details'), /disk\s+vda\s+\S+\/disk/);
    assert.equal(existsSync(PWNED), false, 'no user string reached a shell');
    const q = await d.virsh.qmpStatus(uuid);
    assert.equal(q.status, 'running');
    assert.ok(await d.virsh.vncDisplay(uuid));
  });

  it('stop (ACPI) → SHUTDOWN, start → RUNNING with a new boot', async () => {
    await d.powerOff(uuid, 30);
    assert.equal(await power(), SHUTDOWN);
    assert.match(virsh('domstate', uuid), /shut off/);
    assert.match(await d.getConsoleOutput(uuid), new RegExp(env.NOVA_TS_LAB_GUEST_POWEROFF_MARKER ?? 'POWEROFF'));
    await d.powerOff(uuid, 30); // no-op
    await assert.rejects(d.pause(uuid), GuestInvalidState);
    await d.powerOn(uuid);
    assert.equal(await power(), RUNNING);
    await waitMarkers(2);
  });

  it('reboot SOFT (ACPI + start) and HARD each boot the guest again', async () => {
    await d.reboot(uuid, 'SOFT');
    assert.equal(await power(), RUNNING);
    await waitMarkers(3);
    await d.reboot(uuid, 'HARD');
    assert.equal(await power(), RUNNING);
    await waitMarkers(4);
  });

  it('pause / unpause (QMP agrees), idempotent', async () => {
    await d.pause(uuid);
    assert.equal(await power(), PAUSED);
    assert.equal((await d.virsh.qmpStatus(uuid)).status, 'paused');
    await d.pause(uuid);
    await d.unpause(uuid);
    await d.unpause(uuid);
    assert.equal(await power(), RUNNING);
    assert.equal((await d.virsh.qmpStatus(uuid)).status, 'running');
  });

  it('QMP through libvirt\'s monitor: version, query-block, errors, STOP/RESUME events; power state from query-status', async () => {
    const v = await d.qmp.version(uuid);
    assert.ok(v.major >= 2 && Number.isInteger(v.minor), JSON.stringify(v));
    const blocks = await d.qmp.queryBlock(uuid);
    assert.ok(JSON.stringify(blocks).includes(`${uuid}/disk`), JSON.stringify(blocks).slice(0, 500));
    await assert.rejects(d.qmp.execute(uuid, 'no-such-command'), (e: unknown) => e instanceof QmpError && e.errorClass === 'CommandNotFound');
    // Events: a listener started before the action sees it.
    const stop = d.qmp.nextEvent(uuid, ['STOP'], 30);
    await sleep(1500);
    await d.pause(uuid);
    const ev = await stop;
    assert.equal(ev?.event, 'STOP');
    assert.ok(ev && Math.abs(ev.timestamp * 1000 - Date.now()) < 60_000, JSON.stringify(ev));
    assert.equal((await d.qmp.status(uuid)).status, 'paused');
    assert.equal((await d.getInfo(uuid)).power_state, PAUSED);
    const resume = d.qmp.nextEvent(uuid, ['RESUME'], 30);
    await sleep(1500);
    await d.unpause(uuid);
    assert.equal((await resume)?.event, 'RESUME');
    assert.equal(await d.qmp.nextEvent(uuid, ['SHUTDOWN', 'POWERDOWN'], 1), null, 'no event within the timeout');
    assert.equal((await d.getInfo(uuid)).power_state, RUNNING);
    await assert.rejects(d.qmp.status('4e0a7c1e-0000-4000-8000-ffffffffffff'), /failed to get domain/);
  });

  it('screendump over QMP: PNG and PPM of the guest display, same size, fetched by SFTP, nothing left behind', async () => {
    const png = await d.screendump(uuid, 'png');
    const ppm = await d.screendump(uuid, 'ppm');
    const ps = imageSize(png);
    const pp = imageSize(ppm);
    assert.equal(ps?.format, 'png');
    assert.equal(pp?.format, 'ppm');
    // The VGA text console (80x25 cells of 9x16 pixels: 720x400), or a standard mode if the guest set one.
    assert.ok(['720x400', '640x480', '800x600', '1024x768', '1280x800'].includes(`${ps.width}x${ps.height}`), `${ps.width}x${ps.height}`);
    assert.deepEqual({ w: pp.width, h: pp.height }, { w: ps.width, h: ps.height });
    const header = /^P6\s+\d+\s+\d+\s+255\s/.exec(ppm.toString('latin1', 0, 32))![0];
    assert.equal(ppm.length, header.length + pp.width * pp.height * 3, 'a complete P6 raster');
    assert.ok(ppm.subarray(header.length).some((b) => b !== 0), 'something is drawn (SeaBIOS text)');
    assert.ok(png.length > 100);
    assert.deepEqual(readdirSync(join(instancesPath, uuid)).filter((f) => f.startsWith('screendump-')), []);
    // The same through the SSH transport: QEMU writes on the host, the file comes back by SFTP.
    const overSsh = new LibvirtDriver({
      shell: new SshShell({
        host: env.NOVA_TS_LAB_SSH_HOST ?? '127.0.0.1', port: Number(env.NOVA_TS_LAB_SSH_PORT ?? 2222), username: env.NOVA_TS_LAB_SSH_USER ?? 'root',
        privateKeyFile: env.NOVA_TS_LAB_SSH_PRIVATE_KEY, knownHostsFile: env.NOVA_TS_LAB_SSH_KNOWN_HOSTS, strictHostKeyChecking: true,
      }),
      uri: env.NOVA_TS_LAB_LIBVIRT_URI ?? 'qemu:///system', virtType: 'qemu', instancesPath, vncListen: '127.0.0.1', shutdownTimeoutSec: 30,
    });
    try {
      assert.deepEqual(imageSize(await overSsh.screendump(uuid, 'png')), ps);
    } finally {
      await overSsh.close();
    }
    await assert.rejects(d.screendump('4e0a7c1e-0000-4000-8000-ffffffffffff'), GuestNotFound);
  });

  it('a hot-plugged volume is seen by the guest kernel (NOVA-TS-DISKS on its console) and goes away on detach', async () => {
    const vol = join(work, 'vol-a.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', vol, '16M']);
    const seen = async (re: RegExp): Promise<void> => {
      const deadline = Date.now() + 30_000;
      while (!re.test((await d.getConsoleOutput(uuid)).split('\n').filter((l) => l.startsWith('NOVA-TS-DISKS')).pop() ?? '')) {
        if (Date.now() > deadline) assert.fail(`guest console never matched ${re}:\n${(await d.getConsoleOutput(uuid)).slice(-800)}`);
        await sleep(250);
      }
    };
    assert.equal(await d.attachVolume(uuid, { path: vol, serial: 'vol-a' }), 'vdb');
    await seen(/^NOVA-TS-DISKS vda vdb\s*$/);
    assert.match(virsh('dumpxml', '--inactive', uuid), /<serial>vol-a<\/serial>/, 'kept in the persistent definition');
    await d.detachVolume(uuid, 'vol-a');
    await seen(/^NOVA-TS-DISKS vda\s*$/);
    assert.doesNotMatch(virsh('dumpxml', '--inactive', uuid), /vol-a/);
  });

  it('suspend (managed save) / resume keeps the guest\'s memory: no new boot', async () => {
    const before = await markers();
    await d.suspend(uuid);
    assert.equal(await power(), SUSPENDED);
    assert.match(virsh('domstate', uuid, '--reason'), /shut off \(saved\)/);
    await assert.rejects(d.unpause(uuid), GuestInvalidState);
    await d.resume(uuid);
    assert.equal(await power(), RUNNING);
    await sleep(1500);
    assert.equal(await markers(), before);
  });

  it('snapshot streams a non-empty qcow2 and leaves the guest running', async () => {
    let bytes = Buffer.alloc(0);
    let meta: unknown;
    await d.snapshot(uuid, async (data, m) => {
      meta = m;
      const chunks: Buffer[] = [];
      for await (const c of data) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
      bytes = Buffer.concat(chunks);
    });
    assert.deepEqual(meta, { disk_format: 'qcow2', container_format: 'bare' });
    assert.ok(bytes.length > 0);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'QFI\xfb');
    assert.equal(await power(), RUNNING);
    assert.deepEqual(execFileSync('ls', [join(instancesPath, uuid)], { encoding: 'utf8' }).split('\n').filter((f) => f.startsWith('snapshot-')), []);
  });

  it('rescue boots the rescue disk with the original attached; unrescue restores', async () => {
    await d.rescue(uuid, null, null);
    assert.equal(await power(), RUNNING);
    assert.match(virsh('domblklist', uuid, '--details'), /vda\s+\S+disk\.rescue[\s\S]*vdb\s+\S+\/disk\b/);
    await assert.rejects(d.rescue(uuid, null, null), GuestInvalidState);
    await assert.rejects(d.snapshot(uuid, async () => undefined), GuestInvalidState);
    await waitMarkers(5);
    await d.unrescue(uuid);
    assert.equal(await power(), RUNNING);
    assert.doesNotMatch(virsh('domblklist', uuid, '--details'), /rescue/);
    await assert.rejects(d.unrescue(uuid), GuestInvalidState);
    await waitMarkers(6);
  });

  it('same-host resize: bigger flavor, confirm; a cross-host move is a clear not-supported error', async () => {
    // Another host needs the destination's migration data (the compute manager carries it): a clear refusal without.
    await assert.rejects(d.migrateDiskAndPowerOff(uuid, 'other-host', spec), /not supported|did not say how to reach/);
    await assert.rejects(d.migrateDiskAndPowerOff(uuid, 'lab-host', { ...spec, root_gb: 0 }), /Unable to resize disk down/);
    await d.migrateDiskAndPowerOff(uuid, 'lab-host', { ...spec, memory_mb: 160, root_gb: 2 });
    assert.equal(await power(), SHUTDOWN);
    await d.finishMigration({ ...spec, memory_mb: 160, root_gb: 2 }, true);
    assert.equal(await power(), RUNNING);
    assert.match(virsh('dominfo', uuid), /Max memory:\s+163840 KiB/);
    await d.confirmMigration(uuid);
    await d.confirmMigration(uuid);
    await assert.rejects(d.liveMigrate(uuid, 'other-host'), /not supported|did not say how to reach/);
    await assert.rejects(d.liveMigrate(uuid, 'lab-host'), /current host/);
  });

  it('destroy removes the domain and its disks; idempotent; unknown guests are GuestNotFound', async () => {
    await d.destroy(uuid);
    assert.match(virsh('domstate', uuid), /ERROR .*failed to get domain/);
    assert.equal(existsSync(join(instancesPath, uuid)), false);
    await d.destroy(uuid);
    await assert.rejects(d.getInfo(uuid), GuestNotFound);
    await assert.rejects(d.powerOn(uuid), GuestNotFound);
    assert.ok(!(await d.listGuests()).some((g) => g.uuid === uuid));
    assert.equal(existsSync(PWNED), false);
  });
});

describe('QMP and volume parsing (no lab needed)', () => {
  it('maps QEMU run states to Nova power states', () => {
    assert.equal(powerStateFromQmpStatus('running'), RUNNING);
    for (const st of ['paused', 'inmigrate', 'postmigrate', 'io-error', 'watchdog', 'prelaunch', 'finish-migrate', 'save-vm', 'restore-vm', 'debug']) {
      assert.equal(powerStateFromQmpStatus(st), PAUSED, st);
    }
    assert.equal(powerStateFromQmpStatus('shutdown'), SHUTDOWN);
    assert.equal(powerStateFromQmpStatus('guest-panicked'), CRASHED);
    assert.equal(powerStateFromQmpStatus('internal-error'), CRASHED);
    assert.equal(powerStateFromQmpStatus('suspended'), SUSPENDED);
    assert.equal(powerStateFromQmpStatus('something-new'), NOSTATE);
  });

  it('parses QMP replies and virsh qemu-monitor-event lines', () => {
    assert.deepEqual(qmpReturn('query-status', '{"return":{"status":"running","running":true},"id":"libvirt-7"}'), { status: 'running', running: true });
    assert.throws(() => qmpReturn('x', '{"id":"libvirt-8","error":{"class":"CommandNotFound","desc":"The command x has not been found"}}'),
      (e: unknown) => e instanceof QmpError && e.message === 'QMP x: CommandNotFound: The command x has not been found');
    assert.throws(() => qmpReturn('x', 'garbage'), /ProtocolError/);
    assert.deepEqual(parseMonitorEvents(
      "event STOP at 1763700000.250000 for domain 'a b': <null>\nevent SHUTDOWN at 1763700001.000001 for domain 'x': {\"guest\":true,\"reason\":\"guest-shutdown\"}\n"), [
      { event: 'STOP', timestamp: 1763700000.25, data: null },
      { event: 'SHUTDOWN', timestamp: 1763700001.000001, data: { guest: true, reason: 'guest-shutdown' } },
    ]);
  });

  it('finds disks and serials in domain XML; reads PNG / PPM sizes', () => {
    const xml = `<domain><devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/i/u/disk' index='1'/><target dev='vda' bus='virtio'/></disk>
      <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>
      <disk type='file' device='disk'><source file='/v/a&apos;b.qcow2'/><target dev='vdb' bus='virtio'/><serial>vol&amp;1</serial></disk>
    </devices></domain>`;
    assert.deepEqual(parseDomainDisks(xml), [
      { device: 'vda', source: '/i/u/disk', serial: null },
      { device: 'vdb', source: "/v/a'b.qcow2", serial: 'vol&1' },
    ]);
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.from([0, 0, 2, 0xd0, 0, 0, 1, 0x90])]);
    assert.deepEqual(imageSize(png), { format: 'png', width: 720, height: 400 });
    assert.deepEqual(imageSize(Buffer.from('P6\n640 480\n255\n\0\0\0')), { format: 'ppm', width: 640, height: 480 });
    assert.equal(imageSize(Buffer.from('GIF89a')), null);
  });
});

describe('libvirt driver over SSH (lab sshd)', { skip, timeout: 120_000 }, () => {
  it('reaches libvirt through SshShell; a hostile domain name is one argument there too', async () => {
    const env = lab ?? {};
    const shell = new SshShell({
      host: env.NOVA_TS_LAB_SSH_HOST ?? '127.0.0.1', port: Number(env.NOVA_TS_LAB_SSH_PORT ?? 2222), username: env.NOVA_TS_LAB_SSH_USER ?? 'root',
      privateKeyFile: env.NOVA_TS_LAB_SSH_PRIVATE_KEY, knownHostsFile: env.NOVA_TS_LAB_SSH_KNOWN_HOSTS, strictHostKeyChecking: true,
    });
    const work = mkdtempSync(join(tmpdir(), 'nova-ts-libvirt-ssh-'));
    const d = new LibvirtDriver({ shell, uri: 'qemu:///system', virtType: 'qemu', instancesPath: join(work, 'instances'), vncListen: '127.0.0.1', shutdownTimeoutSec: 10 });
    try {
      await d.init('lab-ssh');
      assert.ok(d.getAvailableResource('lab-ssh').vcpus >= 1);
      assert.ok(Array.isArray(await d.listGuests()));
      assert.equal(await d.virsh.exists(HOSTILE), false);
      await assert.rejects(d.virsh.start(HOSTILE), /failed to get domain/);
      assert.equal(existsSync(PWNED), false);
      await assert.rejects(d.getInfo('4e0a7c1e-0000-4000-8000-ffffffffffff'), GuestNotFound);
    } finally {
      await d.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
