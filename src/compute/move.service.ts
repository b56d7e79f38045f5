import { Inject, Injectable, Logger } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import { MoveTaskRpcClient } from '../conductor/move-task.rpc-client';
import { InstanceRecord, PowerState, TaskState, VmState } from '../objects/instance.object';
import type { EvacuateAtDestArgs, MoveArgs, PrepResizeArgs, ResizeArgs } from '../objects/migration.object';
import { ComputeMoveRpcClient } from './compute-move.rpc-client';
import type { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { guestFlavor, guestSpec } from './guest-spec';
import { InstanceRunner } from './instance-runner';

/**
 * The compute side of resize, cold migration and evacuation (Nova's `prep_resize`,
 * `resize_instance`, `finish_resize`, `confirm_resize`, `revert_resize`,
 * `finish_revert_resize`, `rebuild_instance` with recreate). Every step is a guarded instance
 * save through the conductor, so states follow the reference's sequences exactly. A step that
 * fails before the guest left the source puts the allocations back and the instance in its
 * previous vm_state with a fault; later failures leave it in ERROR. The migration ends `error`
 * (`failed` for an evacuation).
 */
@Injectable()
export class MoveService {
  private readonly logger = new Logger('compute.move');

  constructor(
    private readonly runner: InstanceRunner,
    private readonly conductor: ConductorRpcClient,
    private readonly moves: MoveTaskRpcClient,
    private readonly computes: ComputeMoveRpcClient,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  private get template(): string {
    return this.conf.DEFAULT.instance_name_template;
  }

  /** Destination: records the flavors and the vm_state to come back to, then hands over to the source. */
  prepResize(args: PrepResizeArgs): Promise<void> {
    const { ctx, instance_uuid: uuid, migration } = args;
    return this.runner.run(ctx, uuid, 'compute_prep_resize', async (inst) => {
      await this.undoOnError(args, async () => {
        await this.conductor.instance_update(uuid, { new_flavor: args.flavor, old_flavor: inst.flavor, progress: 0 }, { expected_task_state: [TaskState.RESIZE_PREP] });
        await this.moves.instance_system_metadata_update(uuid, { old_vm_state: inst.vm_state });
        const placed = await this.moves.migration_update(migration.uuid, { dest_compute: this.runner.host, dest_node: args.node, dest_host: this.runner.host });
        const destTarget = this.driver.getMigrationTarget?.() ?? null;
        await this.computes.resize_instance(migration.source_compute as string, { ctx, instance_uuid: uuid, migration: placed, image: args.image, flavor: args.flavor, dest_target: destTarget });
      });
    });
  }

  /** Source: powers the guest off and hands its disks to the destination; the instance now points there. */
  resizeInstance(args: ResizeArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    return this.runner.run(ctx, uuid, 'compute_resize_instance', async () => {
      let migration = args.migration;
      await this.undoOnError(args, async () => {
        migration = await this.moves.migration_update(migration.uuid, { status: 'migrating' });
        await this.conductor.instance_update(uuid, { task_state: TaskState.RESIZE_MIGRATING }, { expected_task_state: [TaskState.RESIZE_PREP] });
        await this.driver.migrateDiskAndPowerOff(uuid, migration.dest_compute as string, guestFlavor(args.flavor), args.dest_target ?? null);
      });
      await this.errorVmOnFailure(uuid, migration.uuid, async () => {
        migration = await this.moves.migration_update(migration.uuid, { status: 'post-migrating' });
        await this.conductor.instance_update(
        uuid,
          { task_state: TaskState.RESIZE_MIGRATED, host: migration.dest_compute, node: migration.dest_node, power_state: PowerState.SHUTDOWN },
          { expected_task_state: [TaskState.RESIZE_MIGRATING] },
        );
        await this.computes.finish_resize(migration.dest_compute as string, { ctx, instance_uuid: uuid, migration, image: args.image });
      });
    });
  }

  /** Destination: the guest created with the new flavor → RESIZED (VERIFY_RESIZE), migration `finished`. */
  finishResize(args: MoveArgs): Promise<void> {
    const { ctx, instance_uuid: uuid, migration } = args;
    return this.runner.run(ctx, uuid, 'compute_finish_resize', async () => {
      await this.errorOutMigration(migration.uuid, 'error', async () => {
        const inst = await this.conductor.instance_update(uuid, { task_state: TaskState.RESIZE_FINISH }, { expected_task_state: [TaskState.RESIZE_MIGRATED] });
        const flavor = inst.new_flavor ?? inst.flavor;
        const powerOn = inst.system_metadata.old_vm_state !== VmState.STOPPED;
        await this.driver.finishMigration(guestSpec(inst, args.image, this.template, null, flavor), powerOn);
        const info = await this.driver.getInfo(uuid);
        await this.conductor.instance_update(uuid, { vm_state: VmState.RESIZED, task_state: null, flavor, power_state: info.power_state }, { expected_task_state: [TaskState.RESIZE_FINISH] });
        await this.moves.migration_update(migration.uuid, { status: 'finished' });
      });
    }, { errorVmState: VmState.ERROR });
  }

  /** Source, after the confirm: the old guest removed, the migration's allocation dropped → ACTIVE or STOPPED. */
  confirmResize(args: MoveArgs): Promise<void> {
    const { ctx, instance_uuid: uuid, migration } = args;
    return this.runner.run(ctx, uuid, 'compute_confirm_resize', async (inst) => {
      await this.errorOutMigration(migration.uuid, 'error', async () => {
        await this.driver.confirmMigration(uuid);
        await this.moves.migration_update(migration.uuid, { status: 'confirmed' });
        await this.moves.move_allocations_confirm(migration.uuid);
        const vmState = inst.power_state === PowerState.SHUTDOWN ? VmState.STOPPED : VmState.ACTIVE;
        await this.conductor.instance_update(uuid, { vm_state: vmState, task_state: null, old_flavor: null, new_flavor: null }, { expected_vm_state: [VmState.RESIZED] });
        await this.moves.instance_system_metadata_update(uuid, { old_vm_state: null });
      });
    }, { errorVmState: VmState.ERROR });
  }

  /** Destination, on revert: its copy destroyed and its claim dropped (the source gets the allocation back), then the source. */
  revertResize(args: MoveArgs): Promise<void> {
    const { ctx, instance_uuid: uuid, migration } = args;
    return this.runner.run(ctx, uuid, 'compute_revert_resize', async () => {
      await this.errorOutMigration(migration.uuid, 'error', async () => {
        if (migration.source_compute !== this.runner.host) await this.driver.destroy(uuid);
        await this.moves.move_allocations_revert(migration.uuid, uuid);
        await this.computes.finish_revert_resize(migration.source_compute as string, args);
      });
    }, { errorVmState: VmState.ERROR });
  }

  /** Source: the instance back here with its old flavor, in the vm_state it had before the resize. */
  finishRevertResize(args: MoveArgs): Promise<void> {
    const { ctx, instance_uuid: uuid, migration } = args;
    return this.runner.run(ctx, uuid, 'compute_finish_revert_resize', async (current) => {
      await this.errorOutMigration(migration.uuid, 'error', async () => {
        const oldVmState = current.system_metadata.old_vm_state ?? VmState.ACTIVE;
        const flavor = current.old_flavor ?? current.flavor;
        const inst = await this.conductor.instance_update(uuid, { host: migration.source_compute, node: migration.source_node, flavor, old_flavor: null, new_flavor: null }, { expected_task_state: [TaskState.RESIZE_REVERTING] });
        const powerOn = oldVmState !== VmState.STOPPED;
        await this.driver.finishRevertMigration(guestSpec(inst, args.image, this.template, null, flavor), powerOn);
        const info = await this.driver.getInfo(uuid);
        await this.conductor.instance_update(uuid, { vm_state: powerOn ? VmState.ACTIVE : VmState.STOPPED, task_state: null, power_state: info.power_state }, { expected_task_state: [TaskState.RESIZE_REVERTING] });
        await this.moves.instance_system_metadata_update(uuid, { old_vm_state: null });
        await this.moves.migration_update(migration.uuid, { status: 'reverted' });
      });
    }, { errorVmState: VmState.ERROR });
  }

  /** Evacuation destination: the instance rebuilt here from its image (Nova's rebuild with recreate). */
  evacuate(args: EvacuateAtDestArgs): Promise<void> {
    const { ctx, instance_uuid: uuid, migration } = args;
    return this.runner.run(ctx, uuid, 'compute_rebuild_instance', async (inst) => {
      await this.errorOutMigration(migration.uuid, 'failed', async () => {
        const wasStopped = inst.vm_state === VmState.STOPPED;
        await this.conductor.instance_update(uuid, { task_state: TaskState.REBUILD_BLOCK_DEVICE_MAPPING, host: this.runner.host, node: args.node }, { expected_task_state: [TaskState.REBUILDING] });
        const moved: InstanceRecord = await this.conductor.instance_update(uuid, { task_state: TaskState.REBUILD_SPAWNING }, { expected_task_state: [TaskState.REBUILD_BLOCK_DEVICE_MAPPING] });
        await this.driver.destroy(uuid);
        await this.driver.spawn(guestSpec(moved, args.image, this.template, args.admin_password));
        if (wasStopped) await this.driver.powerOff(uuid);
        const info = await this.driver.getInfo(uuid);
        await this.conductor.instance_update(
          uuid,
          { vm_state: wasStopped ? VmState.STOPPED : VmState.ACTIVE, task_state: null, power_state: info.power_state, launched_at: new Date().toISOString() },
          { expected_task_state: [TaskState.REBUILD_SPAWNING] },
        );
        await this.moves.migration_update(migration.uuid, { status: 'done' });
        this.logger.log(`instance ${uuid} evacuated from ${migration.source_compute ?? '?'} to ${this.runner.host}`);
      });
    }, { errorVmState: VmState.ERROR });
  }

  /**
   * At start-up (Nova's `_destroy_evacuated_instances`): guests of instances evacuated away from
   * this host while its compute was down are destroyed here with their local disks (the
   * instance runs on the evacuation's destination now), then the evacuation is completed and this
   * host's allocations for it dropped. Returns the instance uuids cleaned up.
   */
  async destroyEvacuated(): Promise<string[]> {
    const done: string[] = [];
    for (const e of await this.moves.evacuations_from_host(this.runner.host)) {
      try {
        await this.driver.destroy(e.instance_uuid);
      } catch (err) {
        // Left for the next start: the evacuation stays open, so nothing is forgotten.
        this.logger.error(`cannot destroy the local copy of evacuated instance ${e.instance_uuid}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      await this.moves.evacuation_cleaned_up(this.runner.host, e);
      done.push(e.instance_uuid);
    }
    return done;
  }

  /** Before the guest left the source: allocations back to the source, migration `error`; the runner then resets the task state. */
  private async undoOnError(args: MoveArgs, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      await this.moves.move_allocations_revert(args.migration.uuid, args.instance_uuid).catch((e: unknown) => this.logger.warn(`allocation revert failed: ${String(e)}`));
      await this.moves.migration_update(args.migration.uuid, { status: 'error' }).catch(() => undefined);
      throw err;
    }
  }

  /** After the guest left the source: ERROR (the runner adds the fault and clears the task state). */
  private async errorVmOnFailure(uuid: string, migrationUuid: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      await this.moves.migration_update(migrationUuid, { status: 'error' }).catch(() => undefined);
      await this.conductor.instance_update(uuid, { vm_state: VmState.ERROR }).catch(() => undefined);
      throw err;
    }
  }

  /** Nova's `errors_out_migration`: the migration marked `status` when the step fails. */
  private async errorOutMigration(migrationUuid: string, status: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      await this.moves.migration_update(migrationUuid, { status }).catch(() => undefined);
      throw err;
    }
  }
}
