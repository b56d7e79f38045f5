import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ComputeNodeRepository } from '../db/repositories/compute-node.repository';
import { ServiceRepository, ServiceRegistration } from '../db/repositories/service.repository';
import type { ComputeNodeRecord, ComputeNodeReport } from '../objects/compute-node.object';
import { ServiceRecord } from '../objects/service.object';
import { RpcMethod } from '../rpc/rpc-method.decorator';

/** The conductor's RPC endpoints. Thin: each one hands over to a repository or a task. */
@Controller()
export class ConductorManager {
  constructor(private readonly services: ServiceRepository, private readonly nodes: ComputeNodeRepository) {}

  @RpcMethod('conductor', 'service_register')
  service_register(@Payload() args: { registration: ServiceRegistration }): Promise<ServiceRecord> {
    return this.services.register(args.registration);
  }

  @RpcMethod('conductor', 'compute_node_update')
  async compute_node_update(@Payload() args: { report: ComputeNodeReport }): Promise<ComputeNodeRecord> {
    const [service] = await this.services.list({ host: args.report.host, binary: 'nova-compute' });
    return this.nodes.upsert({ ...args.report, service_id: service?.id ?? null });
  }

  @RpcMethod('conductor', 'service_report')
  service_report(@Payload() args: { service_id: number }): Promise<ServiceRecord> {
    return this.services.reportAlive(args.service_id);
  }
}
