import { ConfigError } from '../common/errors';
import type { NovaConf } from '../config/options';
import type { ComputeDriver } from './driver/compute-driver';
import { FakeDriver } from './drivers/fake/fake.driver';

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
      });
    case 'libvirt.LibvirtDriver':
      throw new ConfigError(['[DEFAULT] compute_driver: libvirt.LibvirtDriver is not in this build yet (it comes with the libvirt driver issue); use fake.FakeDriver']);
    default:
      throw new ConfigError([`[DEFAULT] compute_driver: unknown driver '${conf.DEFAULT.compute_driver}' (valid: fake.FakeDriver, libvirt.LibvirtDriver)`]);
  }
}
