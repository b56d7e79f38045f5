/**
 * What a libvirt destination tells the source compute (its migration target, JSON through RPC) is
 * validated before any of it reaches a command line or a URI; and a destination host whose SSH
 * host key the source does not trust is refused before the guest is touched (lab: the second
 * hypervisor host of scripts/hypervisor-second-host.sh, with a known_hosts that lacks its key).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DriverError, type GuestSpec } from '../../src/compute/driver/compute-driver';
import { parseLibvirtTarget, type LibvirtMigrationTarget } from '../../src/compute/drivers/libvirt/host-copy';
import { liveMigrationUri } from '../../src/compute/drivers/libvirt/libvirt-live-migration';
import { LibvirtDriver } from '../../src/compute/drivers/libvirt/libvirt.driver';
import { LocalShell } from '../../src/compute/drivers/libvirt/local-shell';
import { PowerState } from '../../src/objects/instance.object';
import { loadHypervisorLab, type HypervisorLab } from '../utils/hypervisor-lab';

const good: LibvirtMigrationTarget = {
  driver: 'libvirt', host: 'hostB', ssh: { host: '127.0.0.1', port: 2223, user: 'root' }, addr: '127.0.0.1',
  uri: 'qemu:///system', instances_path: '/var/lib/nova/instances', image_cache_dir: '/var/lib/nova/instances/_base',
};

describe('libvirt migration target', () => {
  it('accepts a well-formed target and refuses missing, foreign or hostile ones with a DriverError', () => {
    assert.deepEqual(parseLibvirtTarget({ ...good }, 'hostB'), good);
    const bad: Array<[unknown, RegExp]> = [
      [null, /did not say how to reach/],
      [{ ...good, driver: 'fake' }, /another driver/],
      [{ ...good, ssh: { ...good.ssh, host: '127.0.0.1 -oProxyCommand=touch${IFS}/tmp/x' } }, /SSH endpoint is malformed/],
      [{ ...good, ssh: { ...good.ssh, host: '-oProxyCommand=x' } }, /SSH endpoint is malformed/],
      [{ ...good, ssh: { ...good.ssh, port: 70000 } }, /SSH endpoint is malformed/],
      [{ ...good, ssh: { ...good.ssh, port: '22' } }, /SSH endpoint is malformed/],
      [{ ...good, ssh: { ...good.ssh, user: 'root;reboot' } }, /SSH endpoint is malformed/],
      [{ ...good, addr: "127.0.0.1' --x" }, /migration address is malformed/],
      [{ ...good, uri: '' }, /libvirt URI is malformed/],
      [{ ...good, instances_path: 'relative/path' }, /instances path is malformed/],
      [{ ...good, image_cache_dir: '/x\n/y' }, /instances path is malformed/],
    ];
    for (const [t, why] of bad) {
      assert.throws(() => parseLibvirtTarget(t as Record<string, unknown>, 'hostB'), (e: unknown) => e instanceof DriverError && why.test(e.message), JSON.stringify(t));
    }
  });

  it('builds the destination URI: qemu+libssh with key and known_hosts (host key checked), or live_migration_uri with %s', () => {
    assert.equal(
      liveMigrationUri(good, undefined, { privateKeyFile: '/keys/id ed25519', knownHostsFile: '/etc/kh&x' }),
      'qemu+libssh://root@127.0.0.1:2223/system?keyfile=%2Fkeys%2Fid%20ed25519&known_hosts=%2Fetc%2Fkh%26x&known_hosts_verify=normal&sshauth=privkey',
    );
    assert.equal(liveMigrationUri({ ...good, addr: '10.0.0.7' }, 'qemu+tcp://%s/system', {}), 'qemu+tcp://10.0.0.7/system');
    assert.match(liveMigrationUri({ ...good, ssh: { ...good.ssh, host: 'fd00::7' } }, undefined, {}), /^qemu\+libssh:\/\/root@\[fd00::7\]:2223\/system\?/);
  });
});

const labOrWhy = loadHypervisorLab();
const lab = typeof labOrWhy === 'string' ? null : labOrWhy;
const skip = !lab ? (labOrWhy as string) : !lab.secondHost ? 'second hypervisor host not set up: run scripts/hypervisor-second-host.sh' : false;

describe('libvirt cold migration to a host whose key is not trusted', { skip, timeout: 5 * 60_000 }, () => {
  const l = lab as HypervisorLab;
  const uuid = `4e0a7c1e-0000-4000-9000-${String(process.pid).padStart(12, '0')}`;
  let work = '';
  let instancesPath = '';
  let d: LibvirtDriver;
  let spec: GuestSpec;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'nova-ts-libvirt-mig-'));
    instancesPath = join(work, 'instances');
    const base = join(work, 'base.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '64M']);
    // Host A's own known_hosts only: host 2's key (port 2223) is not in it.
    d = new LibvirtDriver({
      shell: new LocalShell(), uri: l.libvirtUri, virtType: 'qemu', instancesPath, vncListen: null, shutdownTimeoutSec: 30, bootTimeoutSec: 60,
      migration: {
        ssh: { host: l.sshHost, port: l.sshPort, user: l.sshUser }, inboundAddr: l.sshHost,
        peerSsh: { privateKeyFile: l.privateKeyFile, knownHostsFile: l.knownHostsFile, strictHostKeyChecking: true, connectTimeoutMs: 10_000 },
      },
    });
    await d.init('hostA');
    spec = {
      uuid, name: `instance-${(process.pid % 0xffffff).toString(16).padStart(8, '0')}`, hostname: 'tiny', vcpus: 1, memory_mb: l.guestRamMb,
      root_gb: 1, ephemeral_gb: 0, swap: 0, metadata: {}, node: 'hostA',
      image: { id: `tiny-disk-${process.pid}`, disk_format: 'qcow2', properties: { kernel_id: `tiny-kernel-${process.pid}`, ramdisk_id: `tiny-initrd-${process.pid}`, os_command_line: `${l.guestCmdline} novats.nonet=1` } },
      image_path: base, kernel_path: l.guestKernel, ramdisk_path: l.guestInitrd,
    };
  });

  after(async () => {
    if (d) {
      await d.destroy(uuid).catch(() => undefined);
      await d.close();
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('refuses before the guest is touched: still running here, nothing sent there', async () => {
    await d.spawn(spec);
    const target = { ...good, instances_path: `${l.secondHost!.instancesRoot}/untrusted-${process.pid}`, image_cache_dir: `${l.secondHost!.instancesRoot}/untrusted-${process.pid}/_base` };
    await assert.rejects(d.migrateDiskAndPowerOff(uuid, 'hostB', { vcpus: 1, memory_mb: l.guestRamMb, root_gb: 1, ephemeral_gb: 0, swap: 0 }, target),
      (e: unknown) => e instanceof DriverError && /host key verification failed: \[127\.0\.0\.1\]:2223 is not in/.test(e.message));
    assert.equal((await d.getInfo(uuid)).power_state, PowerState.RUNNING);
    assert.deepEqual(readdirSync(join(instancesPath, uuid)).sort(), ['console.log', 'disk', 'guest.json', 'libvirt.xml']);
    assert.equal(existsSync(`${l.secondHost!.instancesFromHost1}/untrusted-${process.pid}`), false);
    await assert.rejects(d.liveMigrate(uuid, 'hostB', { ...good, instances_path: instancesPath, image_cache_dir: `${instancesPath}/_base` }), /host key verification failed/);
    assert.equal((await d.getInfo(uuid)).power_state, PowerState.RUNNING);
  });
});
