import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { MessageBus } from '../rpc/message-bus';
import type { ComputeNodeRecord, ComputeNodeReport } from '../objects/compute-node.object';
import { ServiceRecord } from '../objects/service.object';
import { ServiceRegistration } from '../db/repositories/service.repository';

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

  private target() {
    return { topic: ConductorRpcClient.TOPIC, version: ConductorRpcClient.VERSION };
  }
}
