import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AllocationRepository } from '../db/repositories/allocation.repository';
import { InstanceActionRepository } from '../db/repositories/instance-action.repository';
import { InstanceRepository } from '../db/repositories/instance.repository';
import type { InstanceRecord, InstanceUpdates, StateGuard } from '../objects/instance.object';
import { RpcMethod } from '../rpc/rpc-method.decorator';

/**
 * The conductor's instance object calls (Nova's `object_action` for `Instance.save()`,
 * `Instance.destroy()`, faults and action events): nova-compute never opens the database.
 */
@Controller()
export class InstanceObjectsManager {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly allocations: AllocationRepository,
  ) {}

  @RpcMethod('conductor', 'instance_get')
  instance_get(@Payload() args: { uuid: string; read_deleted?: boolean }): Promise<InstanceRecord> {
    return this.instances.get(args.uuid, { readDeleted: args.read_deleted });
  }

  @RpcMethod('conductor', 'instance_update')
  instance_update(@Payload() args: { uuid: string; updates: InstanceUpdates; guard?: StateGuard }): Promise<InstanceRecord> {
    return this.instances.update(args.uuid, args.updates, args.guard ?? {});
  }

  @RpcMethod('conductor', 'instance_destroy')
  async instance_destroy(@Payload() args: { uuid: string }): Promise<InstanceRecord> {
    const record = await this.instances.destroy(args.uuid);
    await this.allocations.release(args.uuid);
    return record;
  }

  @RpcMethod('conductor', 'instance_fault_create')
  instance_fault_create(@Payload() args: { uuid: string; fault: { code: number; message: string; details?: string | null; host?: string | null } }): Promise<void> {
    return this.instances.addFault(args.uuid, args.fault);
  }

  @RpcMethod('conductor', 'instances_on_host')
  instances_on_host(@Payload() args: { host: string }): Promise<InstanceRecord[]> {
    return this.instances.listByHost(args.host);
  }

  @RpcMethod('conductor', 'action_event_start')
  action_event_start(@Payload() args: { uuid: string; request_id: string; event: string; host: string | null }): Promise<void> {
    return this.actions.eventStart(args.uuid, args.request_id, args.event, args.host);
  }

  @RpcMethod('conductor', 'action_event_finish')
  action_event_finish(@Payload() args: { uuid: string; request_id: string; event: string; error: string | null }): Promise<void> {
    return this.actions.eventFinish(args.uuid, args.request_id, args.event, args.error);
  }
}
