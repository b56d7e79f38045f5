import { Logger } from '@nestjs/common';
import { ConfigError } from '../common/errors';
import type { NovaConf } from '../config/options';
import { glanceFor } from '../image/glance-client';
import type { ComputeDriver } from './driver/compute-driver';
import { FakeDriver } from './drivers/fake/fake.driver';
import type { HostShell } from './drivers/libvirt/host-shell';
import type { LibvirtDriver, LibvirtMigrationOptions } from './drivers/libvirt/libvirt.driver';

/*
 * The libvirt modules (ssh2, xmlbuilder2: ~120 ms of loading) are required only when the
 * libvirt driver is configured, so fake-driver processes (and the all-in-one) start faster.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const libvirtModules = () => ({
  driver: require('./drivers/libvirt/libvirt.driver') as typeof import('./drivers/libvirt/libvirt.driver'),
  local: require('./drivers/libvirt/local-shell') as typeof import('./drivers/libvirt/local-shell'),
  logged: require('./drivers/libvirt/logged-shell') as typeof import('./drivers/libvirt/logged-shell'),
  ssh: require('./drivers/libvirt/ssh-shell') as typeof import('./drivers/libvirt/ssh-shell'),
});
/* eslint-enable @typescript-eslint/no-require-imports */

export const COMPUTE_DRIVER = Symbol('COMPUTE_DRIVER');

/** `[DEFAULT] compute_driver` → a driver instance. */
export function createComputeDriver(conf: NovaConf): ComputeDriver {
  switch (conf.DEFAULT.compute_driver) {
    case 'fake.FakeDriver':
      return new FakeDriver({
        vcpus: conf.fake_driver.vcpus,
        memoryMb: conf.fake_driver.memory_mb,
        localGb: conf.fake_driver.local_gb,
        nodes: conf.fake_driver.nodes,
        actionDelayMs: conf.fake_driver.action_delay_ms,
        spawnDelayMs: conf.fake_driver.spawn_delay_ms,
        failSpawnOnHosts: conf.fake_driver.fail_spawn_on_hosts,
        failSpawnImages: conf.fake_driver.fail_spawn_images,
        failOperations: conf.fake_driver.fail_operations,
        vncConsole: conf.fake_driver.vnc_console,
      });
    case 'libvirt.LibvirtDriver':
      return createLibvirtDriver(conf);
    default:
      throw new ConfigError([`[DEFAULT] compute_driver: unknown driver '${conf.DEFAULT.compute_driver}' (valid: fake.FakeDriver, libvirt.LibvirtDriver)`]);
  }
}

/**
 * The hypervisor host is reached over SSH (`[libvirt] ssh_host`, by default $my_ip: this host via
 * its sshd); `ssh_host = local` (or empty) runs the commands in this process's own host instead.
 * With `[DEFAULT] debug = true` every command and file transfer is logged with its duration.
 */
export function libvirtShell(conf: NovaConf): HostShell {
  const host = conf.libvirt.ssh_host.trim();
  const m = libvirtModules();
  const shell = host === '' || host === 'local' ? new m.local.LocalShell() : new m.ssh.SshShell(m.ssh.sshOptionsFromConf(conf.libvirt));
  if (!conf.DEFAULT.debug) return shell;
  const logger = new Logger('compute.libvirt.host');
  return new m.logged.LoggedShell(shell, (line) => logger.debug(line));
}

function createLibvirtDriver(conf: NovaConf): LibvirtDriver {
  const lv = conf.libvirt;
  const instancesPath = conf.DEFAULT.instances_path.replace(/\/+$/, '');
  if (!instancesPath.startsWith('/')) throw new ConfigError([`[DEFAULT] instances_path must be an absolute path on the hypervisor host, got '${instancesPath}'`]);
  const cacheName = lv.image_cache_subdirectory_name;
  if (!/^[A-Za-z0-9._-]+$/.test(cacheName) || cacheName === '.' || cacheName === '..') {
    throw new ConfigError([`[libvirt] image_cache_subdirectory_name must be a plain directory name, got '${cacheName}'`]);
  }
  return new (libvirtModules().driver.LibvirtDriver)({
    shell: libvirtShell(conf),
    uri: lv.connection_uri || 'qemu:///system',
    virtType: lv.virt_type,
    instancesPath,
    imageCacheDir: `${instancesPath}/${cacheName}`,
    vncListen: conf.vnc.enabled ? conf.vnc.server_listen : null,
    vncProxyclientAddress: conf.vnc.server_proxyclient_address,
    shutdownTimeoutSec: conf.DEFAULT.shutdown_timeout,
    // Images the compute did not download itself (GuestSpec.image_path unset) come from the image
    // service, as the instance's owner (noauth2; with keystone the call fails with a clear message).
    fetchImage: (imageId, owner) => glanceFor(conf, owner).download(imageId),
    migration: libvirtMigrationOptions(conf),
  });
}

/**
 * How other hosts reach this compute's hypervisor host (its sshd: ssh_host/ssh_port, or my_ip:22
 * when the compute runs the commands locally) and how this compute reaches theirs (the same SSH
 * client settings as for its own host).
 */
function libvirtMigrationOptions(conf: NovaConf): LibvirtMigrationOptions {
  const lv = conf.libvirt;
  const local = lv.ssh_host.trim() === '' || lv.ssh_host.trim() === 'local';
  const ssh = local ? { host: conf.DEFAULT.my_ip, port: 22, user: lv.ssh_user } : { host: lv.ssh_host.trim(), port: lv.ssh_port, user: lv.ssh_user };
  const { host: _h, port: _p, username: _u, ...peerSsh } = libvirtModules().ssh.sshOptionsFromConf(lv);
  return { ssh, inboundAddr: lv.live_migration_inbound_addr?.trim() || ssh.host, liveMigrationUri: lv.live_migration_uri?.trim() || undefined, peerSsh };
}
