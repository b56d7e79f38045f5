import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ServiceRepository, ServiceRegistration } from '../db/repositories/service.repository';
import { ServiceRecord } from '../objects/service.object';
import { RpcMethod } from '../rpc/rpc-method.decorator';

/** The conductor's RPC endpoints. Thin: each one hands over to a repository or a task. */
@Controller()
export class ConductorManager {
  constructor(private readonly services: ServiceRepository) {}

  @RpcMethod('conductor', 'service_register')
  service_register(@Payload() args: { registration: ServiceRegistration }): Promise<ServiceRecord> {
    return this.services.register(args.registration);
  }

  @RpcMethod('conductor', 'service_report')
  service_report(@Payload() args: { service_id: number }): Promise<ServiceRecord> {
    return this.services.reportAlive(args.service_id);
  }
}
