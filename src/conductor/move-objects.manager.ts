import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AllocationRepository } from '../db/repositories/allocation.repository';
import { ComputeNodeRepository } from '../db/repositories/compute-node.repository';
import { InstanceRepository } from '../db/repositories/instance.repository';
import { MigrationRepository } from '../db/repositories/migration.repository';
import { TaskState, VmState, type InstanceRecord } from '../objects/instance.object';
import { MigrationType, type MigrationRecord, type MigrationUpdates, type MoveUsage, type EvacuatedInstance } from '../objects/migration.object';
import { RpcMethod } from '../rpc/rpc-method.decorator';

/**
 * The conductor's object calls for moves (Nova's `Migration.save()`, the placement calls a
 * compute makes during a move): nova-compute never opens the database.
 */
@Controller()
export class MoveObjectsManager {
  constructor(
    private readonly migrations: MigrationRepository,
    private readonly allocations: AllocationRepository,
    private readonly instances: InstanceRepository,
    private readonly nodes: ComputeNodeRepository,
  ) {}

  @RpcMethod('conductor', 'migration_get')
  migration_get(@Payload() args: { uuid: string }): Promise<MigrationRecord> {
    return this.migrations.getByUuid(args.uuid);
  }

  @RpcMethod('conductor', 'migration_update')
  migration_update(@Payload() args: { uuid: string; updates: MigrationUpdates; expected_status?: string[] }): Promise<MigrationRecord> {
    return this.migrations.update(args.uuid, args.updates, args.expected_status);
  }

  @RpcMethod('conductor', 'move_instance_sysmeta_update')
  move_instance_sysmeta_update(@Payload() args: { uuid: string; meta: Record<string, string | null> }): Promise<void> {
    return this.instances.setSystemMetadata(args.uuid, args.meta);
  }

  /**
   * Nova's resource tracker counting in-progress migrations: what `host` holds for instances that
   * are moving to or from it but whose `host` is elsewhere. The destination holds the new flavor
   * until the instance lands; the source keeps the old one until the resize is confirmed or
   * reverted (a RESIZED server can still go back). Live migrations are not counted (as Nova).
   */
  @RpcMethod('conductor', 'move_usage_on_host')
  async move_usage_on_host(@Payload() args: { host: string }): Promise<MoveUsage[]> {
    const moving = (await this.migrations.list({ host: args.host }))
      .filter((m) => !MIGRATION_DONE.has(m.status ?? '') && m.migration_type !== MigrationType.LIVE);
    const byUuid = new Map((await this.instances.getMany([...new Set(moving.map((m) => m.instance_uuid))])).map((i) => [i.uuid, i]));
    const out: MoveUsage[] = [];
    for (const m of moving) {
      const inst = byUuid.get(m.instance_uuid);
      if (!inst || inst.deleted || inst.host === args.host || !inMoveState(inst)) continue;
      if (m.dest_compute === args.host) out.push({ instance_uuid: inst.uuid, node: m.dest_node, flavor: inst.new_flavor ?? inst.flavor });
      else if (m.source_compute === args.host) out.push({ instance_uuid: inst.uuid, node: m.source_node, flavor: inst.old_flavor ?? inst.flavor });
    }
    return out;
  }

  /** Confirm: the source node's resources, held by the migration, are freed. */
  @RpcMethod('conductor', 'move_allocations_confirm')
  move_allocations_confirm(@Payload() args: { migration_uuid: string }): Promise<void> {
    return this.allocations.release(args.migration_uuid);
  }

  /** Revert / failed move: the destination's claim dropped, the source given back to the instance. */
  @RpcMethod('conductor', 'move_allocations_revert')
  async move_allocations_revert(@Payload() args: { migration_uuid: string; instance_uuid: string }): Promise<void> {
    const held = await this.allocations.forConsumer(args.migration_uuid);
    if (held.length === 0) return;
    await this.allocations.release(args.instance_uuid);
    for (const a of held) await this.allocations.moveConsumer(args.migration_uuid, args.instance_uuid, a.node_uuid);
  }

  /**
   * A compute that starts again after its instances were evacuated (Nova's
   * `_destroy_evacuated_instances`): the evacuations away from `host` it has not cleaned up yet.
   * The compute destroys its local copy of each guest, then calls `evacuation_cleaned_up`.
   */
  @RpcMethod('conductor', 'evacuations_from_host')
  async evacuations_from_host(@Payload() args: { host: string }): Promise<EvacuatedInstance[]> {
    const found = await this.migrations.list({ source_compute: args.host, migration_type: MigrationType.EVACUATION, status: ['accepted', 'pre-migrating', 'done'] });
    return found.map((m) => ({ migration_uuid: m.uuid, instance_uuid: m.instance_uuid }));
  }

  /** The evacuated instance's allocations on `host`'s nodes dropped, the evacuation `completed`. */
  @RpcMethod('conductor', 'evacuation_cleaned_up')
  async evacuation_cleaned_up(@Payload() args: { host: string } & EvacuatedInstance): Promise<void> {
    for (const n of await this.nodes.listByHost(args.host)) await this.allocations.release(args.instance_uuid, n.uuid);
    await this.migrations.update(args.migration_uuid, { status: 'completed' });
  }
}

/** Statuses of a migration that holds nothing any more (Nova's `migration_get_in_progress_by_host_and_node`). */
const MIGRATION_DONE = new Set(['confirmed', 'reverted', 'error', 'failed', 'completed', 'cancelled', 'done']);

/** Nova's `_instance_in_resize_state`: RESIZED, or a resize / evacuation rebuild under way. */
const MOVE_TASKS = new Set<string>([
  TaskState.RESIZE_PREP, TaskState.RESIZE_MIGRATING, TaskState.RESIZE_MIGRATED, TaskState.RESIZE_FINISH, TaskState.RESIZE_REVERTING,
  TaskState.REBUILDING, TaskState.REBUILD_BLOCK_DEVICE_MAPPING, TaskState.REBUILD_SPAWNING,
]);
function inMoveState(inst: InstanceRecord): boolean {
  return inst.vm_state === VmState.RESIZED || MOVE_TASKS.has(inst.task_state ?? '');
}
