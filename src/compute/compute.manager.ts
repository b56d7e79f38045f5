import { Controller, Inject } from '@nestjs/common';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import type { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';

/** The compute service's RPC endpoints (topic `compute.<host>`). Thin: each hands over to the driver or a task. */
@Controller()
export class ComputeManager {
  constructor(@Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver) {}

  @RpcMethod('compute', 'get_host_uptime')
  get_host_uptime(): Promise<string> {
    return this.driver.getHostUptime();
  }
}
