import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Invalid, NovaError } from '../common/errors';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ComputeMoveRpcClient } from '../compute/compute-move.rpc-client';
import { imageFromInstance } from '../compute/guest-spec';
import { AllocationRepository, ClaimFailed } from '../db/repositories/allocation.repository';
import { ComputeNodeRepository } from '../db/repositories/compute-node.repository';
import { InstanceActionRepository } from '../db/repositories/instance-action.repository';
import { InstanceRepository } from '../db/repositories/instance.repository';
import { MigrationRepository } from '../db/repositories/migration.repository';
import { ServiceRepository } from '../db/repositories/service.repository';
import type { CallerContext } from '../objects/build.object';
import { InstanceRecord, TaskState } from '../objects/instance.object';
import { EvacuateArgs, LiveMigrateArgs, MigrateServerArgs, MigrationRecord, MigrationType } from '../objects/migration.object';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import type { Selection } from '../scheduler/filter-scheduler';
import { RequestSpec, resourceRequest } from '../scheduler/request-spec';
import { SchedulerRpcClient } from '../scheduler/scheduler.rpc-client';
import { isServiceUp } from '../servicegroup/liveness';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The conductor's move tasks (namespace `compute_task`; Nova's `MigrationTask`,
 * `LiveMigrationTask` and the evacuate branch of `rebuild_instance`): a migration record, the
 * source allocation handed to the migration, a destination from the scheduler (claimed for the
 * instance), then the cast to the compute that starts the move. A move that cannot start puts
 * everything back: allocations, the instance's task state (vm_state unchanged) with a fault, and
 * the migration in `error`.
 */
@Controller()
export class MoveTaskManager {
  private readonly logger = new Logger('conductor.move');

  constructor(
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly allocations: AllocationRepository,
    private readonly migrations: MigrationRepository,
    private readonly services: ServiceRepository,
    private readonly nodes: ComputeNodeRepository,
    private readonly scheduler: SchedulerRpcClient,
    private readonly compute: ComputeMoveRpcClient,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  /** Resize and cold migration. */
  @RpcMethod('conductor', 'migrate_server', 'compute_task')
  async migrate_server(@Payload() args: MigrateServerArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    const event = 'conductor_migrate_server';
    await this.actions.eventStart(uuid, ctx.request_id, event, null);
    const inst = await this.instances.get(uuid);
    const resize = args.flavor.id !== inst.flavor.id;
    const migration = await this.migrations.create({
      instance_uuid: uuid, status: 'pre-migrating', migration_type: resize ? MigrationType.RESIZE : MigrationType.MIGRATION,
      source_compute: inst.host, source_node: inst.node, old_instance_type_id: inst.flavor.id, new_instance_type_id: args.flavor.id,
      user_id: ctx.user_id, project_id: ctx.project_id,
    });
    await this.holdSourceWithMigration(uuid, migration.uuid);
    let chosen: Selection;
    let alternates: Selection[];
    try {
      // 2.56: a given host is a requested destination, which the filters still check.
      const spec: RequestSpec = { ...args.request_spec, ...(args.host ? { requested_destination: { host: args.host } } : {}) };
      [chosen, ...alternates] = await this.select(uuid, spec);
    } catch (err) {
      await this.moveFailed(ctx, inst, migration, event, err, [TaskState.RESIZE_PREP]);
      return;
    }
    const placed = await this.migrations.update(migration.uuid, { dest_compute: chosen.service_host, dest_node: chosen.nodename, dest_host: chosen.service_host });
    await this.actions.eventFinish(uuid, ctx.request_id, event, null);
    this.logger.log(`${resize ? 'resizing' : 'migrating'} ${uuid} from ${inst.host ?? '?'} to ${chosen.service_host}/${chosen.nodename}`);
    await this.compute.prep_resize(chosen.service_host, {
      ctx, instance_uuid: uuid, migration: placed, image: imageFromInstance(inst), flavor: args.flavor, node: chosen.nodename,
      request_spec: args.request_spec, host_list: alternates,
    });
  }

  /**
   * Live migration: pre-checks here (destination up and not the source, a destination from the
   * scheduler unless forced, the destination's own check), then `live_migration` to the source.
   * A pre-check failure is raised to the caller (the API answers 400 before 2.34).
   */
  @RpcMethod('conductor', 'live_migrate_instance', 'compute_task')
  async live_migrate_instance(@Payload() args: LiveMigrateArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    const event = 'conductor_live_migrate_instance';
    await this.actions.eventStart(uuid, ctx.request_id, event, null);
    const inst = await this.instances.get(uuid);
    const migration = await this.migrations.create({
      instance_uuid: uuid, status: 'accepted', migration_type: MigrationType.LIVE, source_compute: inst.host, source_node: inst.node,
      old_instance_type_id: inst.flavor.id, new_instance_type_id: inst.flavor.id, user_id: ctx.user_id, project_id: ctx.project_id,
    });
    await this.holdSourceWithMigration(uuid, migration.uuid);
    let dest: Selection;
    try {
      if (!(await this.hostIsUp(inst.host ?? ''))) throw new Invalid(`Compute service of ${inst.host ?? 'None'} is unavailable at this time.`);
      dest = await this.destination(inst, args.host, args.force, args.request_spec);
      await this.compute.check_can_live_migrate_destination(dest.service_host, { ctx, instance_uuid: uuid, migration, image: imageFromInstance(inst) }, this.conf.DEFAULT.long_rpc_timeout * 1000);
    } catch (err) {
      await this.moveFailed(ctx, inst, migration, event, err, [TaskState.MIGRATING]);
      throw err;
    }
    const placed = await this.migrations.update(migration.uuid, { dest_compute: dest.service_host, dest_node: dest.nodename, dest_host: dest.service_host });
    await this.actions.eventFinish(uuid, ctx.request_id, event, null);
    await this.compute.live_migration(inst.host as string, {
      ctx, instance_uuid: uuid, migration: placed, image: imageFromInstance(inst), dest: dest.service_host, dest_node: dest.nodename, block_migration: args.block_migration,
    });
  }

  /** Evacuate (Nova's `rebuild_instance` with `recreate`): a new host for an instance whose compute is down. */
  @RpcMethod('conductor', 'evacuate_instance', 'compute_task')
  async evacuate_instance(@Payload() args: EvacuateArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    const event = 'conductor_rebuild_instance';
    await this.actions.eventStart(uuid, ctx.request_id, event, null);
    const inst = await this.instances.get(uuid);
    const migration = await this.migrations.getByUuid(args.migration_uuid);
    let dest: Selection;
    try {
      // The instance keeps its (dead) source allocation until that compute comes back.
      dest = await this.destination(inst, args.host, args.force, args.request_spec);
    } catch (err) {
      await this.moveFailed(ctx, inst, migration, event, err, [TaskState.REBUILDING], false);
      return;
    }
    const placed = await this.migrations.update(migration.uuid, { dest_compute: dest.service_host, dest_node: dest.nodename, dest_host: dest.service_host });
    await this.actions.eventFinish(uuid, ctx.request_id, event, null);
    await this.compute.evacuate_instance(dest.service_host, {
      ctx, instance_uuid: uuid, migration: placed, image: imageFromInstance(inst), node: dest.nodename, admin_password: args.admin_password,
    });
  }

  /**
   * A forced host is claimed directly (no filters); otherwise the scheduler picks (the source
   * excluded) and claims, among the given host only when there is one (Nova's
   * `requested_destination`: the filters still run, 2.29/2.30 without force, always from 2.68).
   */
  private async destination(inst: InstanceRecord, host: string | null, force: boolean, spec: RequestSpec): Promise<Selection> {
    if (host) {
      if (host === inst.host) throw new Invalid(`Unable to migrate instance (${inst.uuid}) to current host (${host}).`);
      const [svc] = await this.services.list({ host, binary: 'nova-compute' });
      if (!svc) throw new Invalid(`Compute host ${host} could not be found.`);
      if (!isServiceUp(svc, this.conf.DEFAULT.service_down_time)) throw new Invalid(`Compute service of ${host} is unavailable at this time.`);
    }
    if (host && force) {
      const [node] = await this.nodes.listByHost(host);
      if (!node) throw new Invalid(`Compute host ${host} could not be found.`);
      const amounts = resourceRequest(spec);
      try {
        await this.allocations.claim(inst.uuid, node.uuid, { vcpus: amounts.VCPU, memory_mb: amounts.MEMORY_MB, disk_gb: amounts.DISK_GB }, this.reserved());
      } catch (err) {
        if (err instanceof ClaimFailed) throw new Invalid(`Migration pre-check error: Unable to migrate ${inst.uuid} to ${host}: ${err.message}`);
        throw err;
      }
      return { service_host: host, nodename: node.hypervisor_hostname, compute_node_uuid: node.uuid, cell_uuid: null, availability_zone: null, limits: null, weight: 0 };
    }
    const ignore = [...new Set([...(spec.ignore_hosts ?? []), ...(inst.host ? [inst.host] : [])])];
    const [chosen] = await this.select(inst.uuid, { ...spec, ignore_hosts: ignore, ...(host ? { requested_destination: { host } } : {}) });
    return chosen;
  }

  private async select(uuid: string, spec: RequestSpec): Promise<Selection[]> {
    const group = spec.instance_group;
    const withHosts = group ? { ...spec, instance_group: { ...group, hosts: await this.instances.hostsOf(group.members.filter((m) => m !== uuid)) } } : spec;
    const selections = await this.scheduler.select_destinations(
      { spec_obj: { ...withHosts, num_instances: 1, instance_uuid: uuid }, instance_uuids: [uuid], return_alternates: true },
      this.conf.DEFAULT.long_rpc_timeout * 1000,
    );
    return selections[0];
  }

  /** Nova's `replace_allocation_with_migration`: the source node's resources held by the migration. */
  private async holdSourceWithMigration(instanceUuid: string, migrationUuid: string): Promise<void> {
    for (const a of await this.allocations.forConsumer(instanceUuid)) await this.allocations.moveConsumer(instanceUuid, migrationUuid, a.node_uuid);
  }

  /** The move could not start: allocations back, task state cleared (vm_state kept), fault, migration `error`. */
  private async moveFailed(ctx: CallerContext, inst: InstanceRecord, migration: MigrationRecord, event: string, err: unknown, tasks: string[], revertAllocations = true): Promise<void> {
    const message = messageOf(err);
    this.logger.warn(`move of ${inst.uuid} (${migration.migration_type}) failed: ${message}`);
    if (revertAllocations) {
      const held = await this.allocations.forConsumer(migration.uuid);
      if (held.length > 0) {
        await this.allocations.release(inst.uuid);
        for (const a of held) await this.allocations.moveConsumer(migration.uuid, inst.uuid, a.node_uuid);
      }
    } else if (migration.source_node) {
      // Evacuation: drop only what was claimed on a destination, keep the source allocation.
      const src = await this.nodes.getByHostAndNode(migration.source_compute ?? '', migration.source_node).catch(() => null);
      for (const a of await this.allocations.forConsumer(inst.uuid)) if (a.node_uuid !== src?.uuid) await this.allocations.release(inst.uuid, a.node_uuid);
    }
    await this.migrations.update(migration.uuid, { status: 'error' }).catch(() => undefined);
    try {
      await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: tasks });
      await this.instances.addFault(inst.uuid, { code: err instanceof NovaError ? err.code : 500, message, details: null });
    } catch (e) {
      this.logger.warn(`cannot reset ${inst.uuid} after the failed move: ${messageOf(e)}`);
    }
    await this.actions.eventFinish(inst.uuid, ctx.request_id, event, message);
  }

  private async hostIsUp(host: string): Promise<boolean> {
    const [svc] = await this.services.list({ host, binary: 'nova-compute' });
    return svc !== undefined && isServiceUp(svc, this.conf.DEFAULT.service_down_time);
  }

  private reserved() {
    const d = this.conf.DEFAULT;
    return { cpus: d.reserved_host_cpus, memory_mb: d.reserved_host_memory_mb, disk_mb: d.reserved_host_disk_mb };
  }
}
