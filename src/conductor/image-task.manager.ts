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
import type { UnshelveTaskArgs } from './image-task.rpc-client';

const UNSHELVE_EVENT = 'conductor_unshelve_instance';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The scheduling request of an instance that exists already (flavor and image properties from its record). */
export function requestSpecOf(inst: InstanceRecord, zone: string | null, host: string | null): RequestSpec {
  const f = inst.flavor;
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(inst.system_metadata)) if (k.startsWith('image_')) props[k.slice(6)] = v;
  return {
    flavor: { name: f.name, vcpus: f.vcpus, memory_mb: f.memory_mb, root_gb: f.root_gb, ephemeral_gb: f.ephemeral_gb, swap: f.swap, extra_specs: f.extra_specs },
    image: { properties: props },
    availability_zone: zone,
    scheduler_hints: {},
    instance_group: null,
    num_instances: 1,
    instance_uuid: inst.uuid,
    project_id: inst.project_id,
    force_hosts: host ? [host] : null,
    force_nodes: null,
    is_bfv: false,
  };
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
          { spec_obj: requestSpecOf(inst, zone, args.host ?? null), instance_uuids: [uuid], return_alternates: false },
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
