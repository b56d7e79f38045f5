import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { NotFound } from '../common/errors';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ComputeImageRpcClient } from '../compute/compute-image.rpc-client';
import { AllocationRepository } from '../db/repositories/allocation.repository';
import { InstanceActionRepository } from '../db/repositories/instance-action.repository';
import { InstanceRepository, UnexpectedState } from '../db/repositories/instance.repository';
import { InstanceRecord, StateGuard, TaskState, VmState } from '../objects/instance.object';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import type { Selection } from '../scheduler/filter-scheduler';
import type { RequestSpec } from '../scheduler/request-spec';
import { SchedulerRpcClient } from '../scheduler/scheduler.rpc-client';
import type { CacheImagesTaskArgs, UnshelveTaskArgs } from './image-task.rpc-client';
import { ServiceRepository } from '../db/repositories/service.repository';
import { ServerGroupRepository } from '../db/repositories/server-group.repository';
import { moveRequestSpec } from './instance-request-spec';
import { isServiceUp } from '../servicegroup/liveness';

const UNSHELVE_EVENT = 'conductor_unshelve_instance';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The scheduling request of an instance that exists already (flavor and image properties from its record). */
/**
 * Where an offloaded instance may go on unshelve: its own request spec (flavor, image properties,
 * server group with the hosts its other members run on, so affinity rules still hold), in `zone`,
 * on `host` when given (2.91: checked by the filters, Nova's requested_destination).
 */
export async function unshelveRequestSpec(
  inst: InstanceRecord, zone: string | null, host: string | null, groups: ServerGroupRepository, instances: InstanceRepository,
): Promise<RequestSpec> {
  const spec = await moveRequestSpec(inst, inst.flavor, groups, []);
  const group = spec.instance_group
    ? { ...spec.instance_group, hosts: await instances.hostsOf(spec.instance_group.members.filter((m) => m !== inst.uuid)) }
    : null;
  return { ...spec, instance_group: group, availability_zone: zone, force_hosts: null, force_nodes: null, requested_destination: host ? { host } : null };
}

/**
 * Conductor endpoints of the image operations: unshelve (a shelved server is powered on where it
 * is; an offloaded one is scheduled, claimed and spawned on the chosen host), the offload
 * bookkeeping (host cleared, claim released) and system metadata updates for computes, which
 * never open the database.
 */
@Controller()
export class ImageTaskManager {
  private readonly logger = new Logger('conductor');

  constructor(
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly allocations: AllocationRepository,
    private readonly scheduler: SchedulerRpcClient,
    private readonly compute: ComputeImageRpcClient,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
    private readonly services: ServiceRepository,
    private readonly groups: ServerGroupRepository,
  ) {}

  @RpcMethod('conductor', 'instance_system_metadata_update')
  instance_system_metadata_update(@Payload() args: { uuid: string; meta: Record<string, string | null> }): Promise<void> {
    return this.instances.setSystemMetadata(args.uuid, args.meta);
  }

  @RpcMethod('conductor', 'instance_offloaded')
  async instance_offloaded(@Payload() args: { uuid: string; power_state: number; guard?: StateGuard }): Promise<InstanceRecord> {
    const record = await this.instances.update(args.uuid, {
      vm_state: VmState.SHELVED_OFFLOADED, task_state: null, host: null, node: null, power_state: args.power_state,
    }, args.guard ?? {});
    await this.allocations.release(args.uuid);
    return record;
  }

  /**
   * 2.81 (Nova's `ComputeTaskManager.cache_images`): each compute of the aggregate that is up is
   * asked to cache the images (a call each, in parallel); a down one is skipped. Only logged.
   */
  @RpcMethod('conductor', 'cache_images', 'compute_task')
  async cache_images(@Payload() args: CacheImagesTaskArgs): Promise<void> {
    const ids = args.images.map((i) => i.id).join(',');
    this.logger.log(`Preparing to request pre-caching of image(s) ${ids} on ${args.hosts.length} hosts.`);
    const totals = { cached: 0, existing: 0, error: 0, unsupported: 0, skipped: 0 };
    await Promise.all(args.hosts.map(async (host) => {
      const [svc] = await this.services.list({ host, binary: 'nova-compute' });
      if (!svc || !isServiceUp(svc, this.conf.DEFAULT.service_down_time)) {
        this.logger.log(`Skipping image pre-cache request to compute '${host}' because it is not up`);
        totals.skipped++;
        return;
      }
      try {
        const result = await this.compute.cache_images(host, { ctx: args.ctx, images: args.images }, this.conf.DEFAULT.long_rpc_timeout * 1000);
        for (const status of Object.values(result)) totals[status]++;
      } catch (err) {
        this.logger.warn(`Image pre-cache request to compute '${host}' failed: ${messageOf(err)}`);
        totals.error += args.images.length;
      }
    }));
    this.logger.log(`Image pre-cache operation for image(s) ${ids} completed; ${totals.cached} cached, ${totals.existing} existing, ${totals.error} errors, ${totals.unsupported} unsupported, ${totals.skipped} skipped (down) hosts`);
  }

  @RpcMethod('conductor', 'unshelve_instance', 'compute_task')
  async unshelve_instance(@Payload() args: UnshelveTaskArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    await this.actions.eventStart(uuid, ctx.request_id, UNSHELVE_EVENT, null);
    try {
      const inst = await this.instances.get(uuid);
      const passOn = { ctx, instance_uuid: uuid, auth_token: args.auth_token ?? null };
      if (inst.vm_state === VmState.SHELVED) {
        // Still on its host: power it on there (Nova casts start_instance).
        await this.instances.update(uuid, { task_state: TaskState.POWERING_ON }, { expected_task_state: [TaskState.UNSHELVING] });
        await this.actions.eventFinish(uuid, ctx.request_id, UNSHELVE_EVENT, null);
        await this.compute.unshelve_instance(inst.host as string, { ...passOn, node: inst.node });
        return;
      }
      const zone = args.availability_zone === undefined ? inst.availability_zone : args.availability_zone;
      let chosen: Selection;
      try {
        [[chosen]] = await this.scheduler.select_destinations(
          { spec_obj: await unshelveRequestSpec(inst, zone, args.host ?? null, this.groups, this.instances), instance_uuids: [uuid], return_alternates: false },
          this.conf.DEFAULT.long_rpc_timeout * 1000,
        );
      } catch (err) {
        this.logger.warn(`no valid host found for unshelving ${uuid}: ${messageOf(err)}`);
        await this.instances.update(uuid, { task_state: null }, { expected_task_state: [TaskState.UNSHELVING] }).catch(() => undefined);
        await this.instances.addFault(uuid, { code: 500, message: messageOf(err), details: null });
        await this.actions.eventFinish(uuid, ctx.request_id, UNSHELVE_EVENT, messageOf(err));
        return;
      }
      try {
        await this.instances.update(uuid, {
          host: chosen.service_host, node: chosen.nodename, scheduled_at: new Date().toISOString(),
          availability_zone: args.availability_zone === undefined ? (inst.availability_zone ?? chosen.availability_zone) : (args.availability_zone ?? chosen.availability_zone),
        }, { expected_task_state: [TaskState.UNSHELVING], expected_vm_state: [VmState.SHELVED_OFFLOADED] });
      } catch (err) {
        await this.allocations.release(uuid);
        throw err;
      }
      await this.actions.eventFinish(uuid, ctx.request_id, UNSHELVE_EVENT, null);
      await this.compute.unshelve_instance(chosen.service_host, { ...passOn, node: chosen.nodename });
    } catch (err) {
      if (err instanceof NotFound || err instanceof UnexpectedState) {
        this.logger.log(`unshelve of ${uuid} stopped: ${messageOf(err)}`);
        await this.actions.eventFinish(uuid, ctx.request_id, UNSHELVE_EVENT, messageOf(err)).catch(() => undefined);
        return;
      }
      await this.instances.update(uuid, { task_state: null }).catch(() => undefined);
      await this.instances.addFault(uuid, { code: 500, message: messageOf(err), details: null }).catch(() => undefined);
      await this.actions.eventFinish(uuid, ctx.request_id, UNSHELVE_EVENT, messageOf(err)).catch(() => undefined);
    }
  }
}
