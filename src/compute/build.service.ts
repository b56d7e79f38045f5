import { Inject, Injectable, Logger } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import type { BuildAndRunArgs } from '../objects/build.object';
import { PowerState, TaskState, VmState } from '../objects/instance.object';
import type { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { guestSpec } from './guest-spec';
import { ImageDownloader } from './image-download';
import { InstanceRunner } from './instance-runner';

const BUILD_EVENT = 'compute__do_build_and_run_instance';

/** A build that ended because the instance was deleted meanwhile: not a failure. */
class BuildAborted extends Error {}

/**
 * `build_and_run_instance` (Nova's `_do_build_and_run_instance` / `_build_and_run_instance`):
 * building / networking → block_device_mapping → spawning → active, power RUNNING, launched_at
 * set; every save is a guarded conductor call, so a delete meanwhile stops the build. A spawn
 * failure cleans the guest up and asks the conductor to reschedule (it picks an alternate or
 * puts the instance in ERROR).
 */
@Injectable()
export class BuildService {
  private readonly logger = new Logger('compute.build');

  constructor(
    private readonly runner: InstanceRunner,
    private readonly conductor: ConductorRpcClient,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
    private readonly images: ImageDownloader,
  ) {}

  async buildAndRun(args: BuildAndRunArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    await this.runner.locked(uuid, async () => {
      this.runner.usageChanged();
      await this.conductor.action_event_start(uuid, ctx.request_id, BUILD_EVENT, this.runner.host).catch(() => undefined);
      let spawned = false;
      try {
        let inst = await this.conductor.instance_get(uuid);
        const step = async (from: Array<string | null>, to: string | null, extra = {}) => {
          try {
            inst = await this.conductor.instance_update(uuid, { task_state: to, ...extra }, { expected_task_state: from, expected_vm_state: [VmState.BUILDING] });
          } catch (err) {
            if (err instanceof Error && /could not be found|Unexpected state/.test(err.message)) throw new BuildAborted(err.message);
            throw err;
          }
        };
        await step([TaskState.SCHEDULING, null], null, { launched_on: this.runner.host });
        await step([null], TaskState.NETWORKING);
        await step([TaskState.NETWORKING], TaskState.BLOCK_DEVICE_MAPPING);
        await step([TaskState.BLOCK_DEVICE_MAPPING], TaskState.SPAWNING);
        const spec = guestSpec(inst, args.image, this.conf.DEFAULT.instance_name_template, args.admin_password);
        if (this.driver.needsImageFile && args.image) spec.image_path = await this.images.fetch(ctx, args.image);
        await this.driver.spawn(spec);
        spawned = true;
        const info = await this.driver.getInfo(uuid);
        await step([TaskState.SPAWNING], null, { vm_state: VmState.ACTIVE, power_state: info.power_state ?? PowerState.RUNNING, launched_at: new Date().toISOString() });
        this.runner.usageChanged();
        await this.conductor.action_event_finish(uuid, ctx.request_id, BUILD_EVENT, null).catch(() => undefined);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (spawned || err instanceof BuildAborted) await this.driver.destroy(uuid).catch(() => undefined);
        await this.conductor.action_event_finish(uuid, ctx.request_id, BUILD_EVENT, message).catch(() => undefined);
        if (err instanceof BuildAborted) {
          this.runner.usageChanged();
          this.logger.log(`build of ${uuid} stopped: ${message}`);
          return;
        }
        this.logger.warn(`build of ${uuid} failed on ${this.runner.host}: ${message}`);
        await this.reschedule(args, message);
        this.runner.usageChanged();
      }
    });
  }

  private async reschedule(args: BuildAndRunArgs, reason: string): Promise<void> {
    const uuid = args.instance_uuid;
    try {
      // Back to scheduling, off this host (Nova's _do_build_and_run_instance on RescheduledException).
      await this.conductor.instance_update(uuid, { task_state: TaskState.SCHEDULING, host: null, node: null }, { expected_vm_state: [VmState.BUILDING] });
      await this.conductor.build_instances({
        ctx: args.ctx, instance_uuid: uuid, image: args.image, request_spec: args.request_spec, admin_password: args.admin_password,
        host_list: args.host_list, attempt: args.attempt, failed_host: this.runner.host, reason,
      });
    } catch (err) {
      await this.runner.recordFailure(uuid, err, { errorVmState: VmState.ERROR });
    }
  }
}
