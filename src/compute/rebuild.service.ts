import { Inject, Injectable } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import { TaskState, VmState } from '../objects/instance.object';
import type { RebuildServerArgs } from './compute-image.rpc-client';
import type { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { guestSpec } from './guest-spec';
import { InstanceRunner } from './instance-runner';

/**
 * A user's rebuild on the instance's own host (Nova's `rebuild_instance` without recreate,
 * `_rebuild_default_impl`): the guest destroyed, rebuilding → rebuild_block_device_mapping →
 * rebuild_spawning, spawned from the new image → active; a server that was stopped is powered
 * off again (active / powering-off → stopped). A failure leaves the server in ERROR with a fault.
 * (Evacuation's `rebuild_instance` lives in compute-move.manager.ts.)
 */
@Injectable()
export class RebuildService {
  constructor(
    private readonly runner: InstanceRunner,
    private readonly conductor: ConductorRpcClient,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  rebuild(args: RebuildServerArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    return this.runner.run(ctx, uuid, 'compute_rebuild_instance', async (inst) => {
      const wasStopped = inst.vm_state === VmState.STOPPED;
      await this.driver.destroy(uuid);
      await this.conductor.instance_update(uuid, { task_state: TaskState.REBUILD_BLOCK_DEVICE_MAPPING }, { expected_task_state: [TaskState.REBUILDING] });
      const current = await this.conductor.instance_update(uuid, { task_state: TaskState.REBUILD_SPAWNING }, { expected_task_state: [TaskState.REBUILD_BLOCK_DEVICE_MAPPING] });
      await this.driver.spawn(guestSpec(current, args.image, this.conf.DEFAULT.instance_name_template, args.admin_password));
      const info = await this.driver.getInfo(uuid);
      await this.conductor.instance_update(uuid, {
        vm_state: VmState.ACTIVE, task_state: null, power_state: info.power_state, launched_at: new Date().toISOString(),
      }, { expected_task_state: [TaskState.REBUILD_SPAWNING] });
      if (!wasStopped) return;
      await this.conductor.instance_update(uuid, { task_state: TaskState.POWERING_OFF }, { expected_task_state: [null] });
      await this.driver.powerOff(uuid);
      const off = await this.driver.getInfo(uuid);
      await this.conductor.instance_update(uuid, { vm_state: VmState.STOPPED, task_state: null, power_state: off.power_state }, { expected_task_state: [TaskState.POWERING_OFF] });
    }, { errorVmState: VmState.ERROR });
  }
}
