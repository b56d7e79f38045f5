import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { MessageBus } from '../rpc/message-bus';
import type { ComputeNodeRecord, ComputeNodeReport } from '../objects/compute-node.object';
import { ServiceRecord } from '../objects/service.object';
import { ServiceRegistration } from '../db/repositories/service.repository';
import type { InstanceRecord, InstanceUpdates, StateGuard } from '../objects/instance.object';
import type { RescheduleArgs, ScheduleAndBuildArgs } from '../objects/build.object';

/**
 * Typed client of the conductor's RPC API. Services without database access (nova-compute, the
 * console proxy) keep their service records through it, as Nova's do.
 */
@Injectable()
export class ConductorRpcClient {
  static readonly TOPIC = 'conductor';
  static readonly VERSION = '3.0';

  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  service_register(registration: ServiceRegistration, timeoutMs?: number): Promise<ServiceRecord> {
    return this.bus.call<ServiceRecord>(this.target(), 'service_register', { registration }, { timeoutMs });
  }

  service_report(serviceId: number, timeoutMs?: number): Promise<ServiceRecord> {
    return this.bus.call<ServiceRecord>(this.target(), 'service_report', { service_id: serviceId }, { timeoutMs });
  }

  /** Creates or updates a compute node from the resource tracker's report; links it to its compute service. */
  compute_node_update(report: ComputeNodeReport, timeoutMs?: number): Promise<ComputeNodeRecord> {
    return this.bus.call<ComputeNodeRecord>(this.target(), 'compute_node_update', { report }, { timeoutMs });
  }

  // --- Instance object calls: nova-compute saves instances only through these. ---

  instance_get(uuid: string, readDeleted = false): Promise<InstanceRecord> {
    return this.bus.call<InstanceRecord>(this.target(), 'instance_get', { uuid, read_deleted: readDeleted });
  }

  instance_update(uuid: string, updates: InstanceUpdates, guard: StateGuard = {}): Promise<InstanceRecord> {
    return this.bus.call<InstanceRecord>(this.target(), 'instance_update', { uuid, updates, guard });
  }

  /** Deletes the row and releases what the instance holds on its hosts. */
  instance_destroy(uuid: string): Promise<InstanceRecord> {
    return this.bus.call<InstanceRecord>(this.target(), 'instance_destroy', { uuid });
  }

  instance_fault_create(uuid: string, fault: { code: number; message: string; details?: string | null; host?: string | null }): Promise<void> {
    return this.bus.call<void>(this.target(), 'instance_fault_create', { uuid, fault });
  }

  instances_on_host(host: string, timeoutMs?: number): Promise<InstanceRecord[]> {
    return this.bus.call<InstanceRecord[]>(this.target(), 'instances_on_host', { host }, { timeoutMs });
  }

  action_event_start(uuid: string, requestId: string, event: string, host: string | null): Promise<void> {
    return this.bus.call<void>(this.target(), 'action_event_start', { uuid, request_id: requestId, event, host });
  }

  action_event_finish(uuid: string, requestId: string, event: string, error: string | null): Promise<void> {
    return this.bus.call<void>(this.target(), 'action_event_finish', { uuid, request_id: requestId, event, error });
  }

  // --- Compute task API (namespace compute_task): casts. ---

  schedule_and_build_instances(args: ScheduleAndBuildArgs): Promise<void> {
    return this.bus.cast(this.taskTarget(), 'schedule_and_build_instances', { ...args });
  }

  /** A failed build asks for a reschedule on an alternate host. */
  build_instances(args: RescheduleArgs): Promise<void> {
    return this.bus.cast(this.taskTarget(), 'build_instances', { ...args });
  }

  private target() {
    return { topic: ConductorRpcClient.TOPIC, version: ConductorRpcClient.VERSION };
  }

  private taskTarget() {
    return { topic: ConductorRpcClient.TOPIC, namespace: 'compute_task', version: '1.25' };
  }
}
