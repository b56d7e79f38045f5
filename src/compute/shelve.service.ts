import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import { ImageTaskRpcClient } from '../conductor/image-task.rpc-client';
import { glanceImageMeta, ImageNotFound } from '../image/glance-client';
import type { CallerContext, ImageMeta } from '../objects/build.object';
import { InstanceRecord, PowerState, TaskState, VmState } from '../objects/instance.object';
import type { ImageOpArgs, ShelveArgs, UnshelveArgs } from './compute-image.rpc-client';
import { ComputeDriver, GuestNotFound } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { guestSpec, imageFromInstance } from './guest-spec';
import { InstanceRunner } from './instance-runner';
import { SnapshotService } from './snapshot.service';

/** System metadata a shelve leaves and an unshelve removes. */
export const SHELVED_KEYS = ['shelved_at', 'shelved_image_id', 'shelved_host'] as const;

/**
 * Shelve, offload and unshelve on the compute (Nova's `shelve_instance`,
 * `shelve_offload_instance`, `unshelve_instance`):
 * - shelve: power off, snapshot into the `<name>-shelved` image (shelving_image_pending_upload →
 *   shelving_image_uploading), system metadata shelved_at/shelved_image_id/shelved_host, vm_state
 *   shelved; with `shelved_offload_time` 0 the offload follows at once.
 * - offload: guest destroyed; the conductor clears host and node and releases the claim.
 * - unshelve: a shelved guest is powered on; an offloaded one (already placed and claimed by the
 *   conductor) is spawned from the shelved image. Either way the image is deleted afterwards.
 * With `shelved_offload_time` > 0 a periodic task offloads servers shelved for longer.
 */
@Injectable()
export class ShelveService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('compute.shelve');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runner: InstanceRunner,
    private readonly conductor: ConductorRpcClient,
    private readonly tasks: ImageTaskRpcClient,
    private readonly snapshots: SnapshotService,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  onApplicationBootstrap(): void {
    const { shelved_offload_time: offload, shelved_poll_interval: poll } = this.conf.DEFAULT;
    if (offload > 0 && poll > 0) {
      this.timer = setInterval(() => void this.offloadExpired().catch((e: unknown) => this.logger.warn(`shelved offload check: ${String(e)}`)), poll * 1000);
      this.timer.unref();
    }
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  shelve(args: ShelveArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    return this.runner.run(ctx, uuid, 'compute_shelve_instance', async (inst) => {
      const glance = this.snapshots.glance(ctx, args.auth_token);
      const before = await this.powerState(uuid);
      await this.driver.powerOff(uuid, args.clean_shutdown ? 60 : 0);
      try {
        await this.snapshots.withImageCleanup(glance, args.image_id, () =>
          this.snapshots.upload(glance, uuid, args.image_id, { from: TaskState.SHELVING, pending: TaskState.SHELVING_IMAGE_PENDING_UPLOAD, uploading: TaskState.SHELVING_IMAGE_UPLOADING }));
      } catch (err) {
        // Leave the guest as it was; the runner records the fault and reverts the task state.
        if (before === PowerState.RUNNING) await this.driver.powerOn(uuid).catch(() => undefined);
        throw err;
      }
      await this.tasks.instance_system_metadata_update(uuid, { shelved_at: new Date().toISOString(), shelved_image_id: args.image_id, shelved_host: this.runner.host });
      const offloadNow = this.conf.DEFAULT.shelved_offload_time === 0;
      await this.conductor.instance_update(uuid, {
        vm_state: VmState.SHELVED, task_state: offloadNow ? TaskState.SHELVING_OFFLOADING : null, power_state: await this.powerState(uuid),
      }, { expected_task_state: [TaskState.SHELVING, TaskState.SHELVING_IMAGE_UPLOADING] });
      if (offloadNow) await this.offload(inst);
    });
  }

  shelveOffload(args: ImageOpArgs): Promise<void> {
    return this.runner.run(args.ctx, args.instance_uuid, 'compute_shelve_offload_instance', (inst) => this.offload(inst));
  }

  unshelve(args: UnshelveArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    return this.runner.run(ctx, uuid, 'compute_unshelve_instance', async (inst) => {
      // As Nova's _unshelve_instance: the shelved snapshot goes before the server shows ACTIVE.
      const dropImage = () => this.deleteShelvedImage(ctx, inst, args.auth_token);
      if (inst.vm_state === VmState.SHELVED) await this.powerOnShelved(inst, dropImage);
      else await this.spawnOffloaded(ctx, inst, args, dropImage);
    });
  }

  /** Guest destroyed, then host and node cleared and the claim released by the conductor. */
  private async offload(inst: InstanceRecord): Promise<void> {
    const uuid = inst.uuid;
    await this.driver.powerOff(uuid).catch((err: unknown) => {
      if (!(err instanceof GuestNotFound)) throw err;
    });
    await this.driver.destroy(uuid);
    await this.tasks.instance_offloaded(uuid, PowerState.SHUTDOWN, { expected_task_state: [TaskState.SHELVING_OFFLOADING, TaskState.SHELVING] });
  }

  private async powerOnShelved(inst: InstanceRecord, beforeActive: () => Promise<void>): Promise<void> {
    const uuid = inst.uuid;
    try {
      await this.driver.getInfo(uuid);
    } catch (err) {
      if (!(err instanceof GuestNotFound)) throw err;
      await this.driver.spawn(guestSpec(inst, imageFromInstance(inst), this.conf.DEFAULT.instance_name_template));
    }
    await this.driver.powerOn(uuid);
    await beforeActive();
    await this.tasks.instance_system_metadata_update(uuid, Object.fromEntries(SHELVED_KEYS.map((k) => [k, null])));
    await this.conductor.instance_update(uuid, { vm_state: VmState.ACTIVE, task_state: null, power_state: await this.powerState(uuid) }, {
      expected_task_state: [TaskState.POWERING_ON, TaskState.UNSHELVING],
    });
  }

  /** Spawns from the shelved image on the node the conductor chose; on failure back to shelved_offloaded. */
  private async spawnOffloaded(ctx: CallerContext, inst: InstanceRecord, args: UnshelveArgs, beforeActive: () => Promise<void>): Promise<void> {
    const uuid = inst.uuid;
    let spawned = false;
    try {
      const current = await this.conductor.instance_update(uuid, { task_state: TaskState.SPAWNING, launched_on: this.runner.host }, { expected_task_state: [TaskState.UNSHELVING] });
      const image = await this.shelvedImage(ctx, current, args.auth_token);
      await this.driver.spawn(guestSpec({ ...current, node: args.node ?? current.node }, image, this.conf.DEFAULT.instance_name_template));
      spawned = true;
      await beforeActive();
      await this.tasks.instance_system_metadata_update(uuid, Object.fromEntries(SHELVED_KEYS.map((k) => [k, null])));
      await this.conductor.instance_update(uuid, {
        vm_state: VmState.ACTIVE, task_state: null, power_state: await this.powerState(uuid), launched_at: new Date().toISOString(),
      }, { expected_task_state: [TaskState.SPAWNING] });
    } catch (err) {
      if (spawned) await this.driver.destroy(uuid).catch(() => undefined);
      await this.tasks.instance_offloaded(uuid, PowerState.SHUTDOWN).catch((e: unknown) => this.logger.warn(`cannot put ${uuid} back to shelved_offloaded: ${String(e)}`));
      throw err;
    }
  }

  /** The image to spawn from: the shelved snapshot (or the boot image when there is none). */
  private async shelvedImage(ctx: CallerContext, inst: InstanceRecord, authToken?: string | null): Promise<ImageMeta | null> {
    const id = inst.system_metadata.shelved_image_id;
    if (!id) return imageFromInstance(inst);
    try {
      return glanceImageMeta(await this.snapshots.glance(ctx, authToken).get(id));
    } catch (err) {
      if (err instanceof ImageNotFound) throw new ImageNotFound(`Unshelve attempted but the image ${id} cannot be found.`);
      throw err;
    }
  }

  private async deleteShelvedImage(ctx: CallerContext, inst: InstanceRecord, authToken?: string | null): Promise<void> {
    const id = inst.system_metadata.shelved_image_id;
    if (!id) return;
    await this.snapshots.glance(ctx, authToken).delete(id).catch((e: unknown) => this.logger.warn(`cannot delete shelved image ${id} of ${inst.uuid}: ${String(e)}`));
  }

  private async powerState(uuid: string): Promise<number> {
    try {
      return (await this.driver.getInfo(uuid)).power_state;
    } catch (err) {
      if (err instanceof GuestNotFound) return PowerState.NOSTATE;
      throw err;
    }
  }

  /** The periodic `_poll_shelved_instances`: offloads what has been shelved longer than shelved_offload_time. */
  private async offloadExpired(): Promise<void> {
    const limit = Date.now() - this.conf.DEFAULT.shelved_offload_time * 1000;
    for (const inst of await this.conductor.instances_on_host(this.runner.host)) {
      const at = Date.parse(inst.system_metadata.shelved_at ?? '');
      if (inst.vm_state !== VmState.SHELVED || inst.task_state !== null || !(at <= limit)) continue;
      try {
        await this.conductor.instance_update(inst.uuid, { task_state: TaskState.SHELVING_OFFLOADING }, { expected_task_state: [null], expected_vm_state: [VmState.SHELVED] });
      } catch {
        continue;
      }
      const ctx: CallerContext = { request_id: `req-periodic-${inst.uuid}`, user_id: inst.user_id, project_id: inst.project_id, is_admin: true };
      await this.runner.run(ctx, inst.uuid, 'compute_shelve_offload_instance', (current) => this.offload(current));
    }
  }
}
