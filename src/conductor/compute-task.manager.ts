import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { NotFound } from '../common/errors';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ComputeRpcClient } from '../compute/compute.rpc-client';
import { AllocationRepository, ClaimFailed, Reserved } from '../db/repositories/allocation.repository';
import { InstanceActionRepository } from '../db/repositories/instance-action.repository';
import { InstanceRepository, UnexpectedState } from '../db/repositories/instance.repository';
import type { CallerContext, RescheduleArgs, ScheduleAndBuildArgs } from '../objects/build.object';
import { TaskState, VmState } from '../objects/instance.object';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import type { Selection } from '../scheduler/filter-scheduler';
import { RequestSpec, resourceRequest } from '../scheduler/request-spec';
import { SchedulerRpcClient } from '../scheduler/scheduler.rpc-client';

const SCHEDULE_EVENT = 'conductor_schedule_and_build_instances';
const RESCHEDULE_EVENT = 'conductor_build_instances';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The conductor's task API (namespace `compute_task`): asks the scheduler for hosts, puts each
 * instance on its host and casts the build there; on a build failure, moves the instance to an
 * alternate the scheduler offered (claiming it first), or puts it in ERROR with a fault.
 */
@Controller()
export class ComputeTaskManager {
  private readonly logger = new Logger('conductor');
  private readonly reserved: Reserved;

  constructor(
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly allocations: AllocationRepository,
    private readonly scheduler: SchedulerRpcClient,
    private readonly compute: ComputeRpcClient,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {
    const d = conf.DEFAULT;
    this.reserved = { cpus: d.reserved_host_cpus, memory_mb: d.reserved_host_memory_mb, disk_mb: d.reserved_host_disk_mb };
  }

  @RpcMethod('conductor', 'schedule_and_build_instances', 'compute_task')
  async schedule_and_build_instances(@Payload() args: ScheduleAndBuildArgs): Promise<void> {
    const { ctx, instance_uuids: uuids } = args;
    await Promise.all(uuids.map((u) => this.actions.eventStart(u, ctx.request_id, SCHEDULE_EVENT, null)));
    let selections: Selection[][];
    try {
      const spec = await this.withGroupHosts(args.request_spec);
      selections = await this.scheduler.select_destinations(
        { spec_obj: spec, instance_uuids: uuids, return_alternates: true },
        this.conf.DEFAULT.long_rpc_timeout * 1000,
      );
    } catch (err) {
      this.logger.warn(`scheduling ${uuids.join(', ')} failed: ${messageOf(err)}`);
      for (const u of uuids) await this.buildFailed(u, ctx, SCHEDULE_EVENT, messageOf(err), null);
      return;
    }
    for (const [i, uuid] of uuids.entries()) {
      const [chosen, ...alternates] = selections[i];
      if (!(await this.place(uuid, chosen))) continue;
      await this.actions.eventFinish(uuid, ctx.request_id, SCHEDULE_EVENT, null);
      await this.compute.build_and_run_instance(chosen.service_host, {
        ctx, instance_uuid: uuid, node: chosen.nodename, image: args.image, request_spec: args.request_spec,
        admin_password: args.admin_password, host_list: alternates, attempt: 1,
      });
    }
  }

  /** A build failed on a host: try the alternates in order (claiming each), else ERROR. */
  @RpcMethod('conductor', 'build_instances', 'compute_task')
  async build_instances(@Payload() args: RescheduleArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    await this.actions.eventStart(uuid, ctx.request_id, RESCHEDULE_EVENT, null);
    // During a build the instance holds exactly one allocation: the failed host's.
    await this.allocations.release(uuid);
    const amounts = resourceRequest(args.request_spec);
    const claim = { vcpus: amounts.VCPU, memory_mb: amounts.MEMORY_MB, disk_gb: amounts.DISK_GB };
    const maxAttempts = this.conf.scheduler.max_attempts;
    for (const [i, alt] of args.host_list.entries()) {
      if (args.attempt + 1 > maxAttempts) break;
      try {
        await this.allocations.claim(uuid, alt.compute_node_uuid, claim, this.reserved);
      } catch (err) {
        if (err instanceof ClaimFailed) continue;
        throw err;
      }
      if (!(await this.place(uuid, alt))) return;
      await this.actions.eventFinish(uuid, ctx.request_id, RESCHEDULE_EVENT, null);
      this.logger.log(`rescheduling ${uuid} from ${args.failed_host} to ${alt.service_host} (attempt ${args.attempt + 1})`);
      await this.compute.build_and_run_instance(alt.service_host, {
        ctx, instance_uuid: uuid, node: alt.nodename, image: args.image, request_spec: args.request_spec,
        admin_password: args.admin_password, host_list: args.host_list.slice(i + 1), attempt: args.attempt + 1,
      });
      return;
    }
    const message = `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`;
    await this.buildFailed(uuid, ctx, RESCHEDULE_EVENT, message, args.reason);
  }

  /** Records the chosen host on the instance; false (and the claim released) when it was deleted meanwhile. */
  private async place(uuid: string, chosen: Selection): Promise<boolean> {
    try {
      const inst = await this.instances.get(uuid);
      await this.instances.update(
        uuid,
        {
          host: chosen.service_host, node: chosen.nodename, task_state: TaskState.SCHEDULING, scheduled_at: new Date().toISOString(),
          availability_zone: inst.availability_zone ?? chosen.availability_zone,
        },
        { expected_task_state: [TaskState.SCHEDULING, null], expected_vm_state: [VmState.BUILDING] },
      );
      return true;
    } catch (err) {
      if (!(err instanceof NotFound) && !(err instanceof UnexpectedState)) throw err;
      this.logger.log(`instance ${uuid} was deleted while it was being scheduled`);
      await this.allocations.release(uuid);
      return false;
    }
  }

  /** ERROR with a fault (Nova's `set_vm_state_and_notify`); a deleted instance stays deleted. */
  private async buildFailed(uuid: string, ctx: CallerContext, event: string, message: string, details: string | null): Promise<void> {
    await this.allocations.release(uuid);
    try {
      await this.instances.update(uuid, { vm_state: VmState.ERROR, task_state: null }, { expected_vm_state: [VmState.BUILDING] });
    } catch (err) {
      if (err instanceof NotFound || err instanceof UnexpectedState) return;
      throw err;
    }
    await this.instances.addFault(uuid, { code: 500, message, details });
    await this.actions.eventFinish(uuid, ctx.request_id, event, message);
  }

  /** Fills the group's hosts from where its members run (the affinity filters read them). */
  private async withGroupHosts(spec: RequestSpec): Promise<RequestSpec> {
    const group = spec.instance_group;
    if (!group) return spec;
    return { ...spec, instance_group: { ...group, hosts: await this.instances.hostsOf(group.members) } };
  }
}
