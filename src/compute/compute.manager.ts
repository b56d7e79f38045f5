import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import type { BuildAndRunArgs, CallerContext } from '../objects/build.object';
import { BuildService } from './build.service';
import type { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { PowerActionName, PowerActionsService } from './power-actions.service';

interface InstanceArgs {
  ctx: CallerContext;
  instance_uuid: string;
  [extra: string]: unknown;
}

/** The compute service's RPC endpoints (topic `compute.<host>`). Thin: each hands over to a service. */
@Controller()
export class ComputeManager {
  constructor(
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    private readonly builds: BuildService,
    private readonly power: PowerActionsService,
  ) {}

  @RpcMethod('compute', 'get_host_uptime')
  get_host_uptime(): Promise<string> {
    return this.driver.getHostUptime();
  }

  @RpcMethod('compute', 'build_and_run_instance')
  build_and_run_instance(@Payload() args: BuildAndRunArgs): Promise<void> {
    return this.builds.buildAndRun(args);
  }

  @RpcMethod('compute', 'terminate_instance')
  terminate_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.power.terminate(args.ctx, args.instance_uuid);
  }

  @RpcMethod('compute', 'start_instance')
  start_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('start_instance', args);
  }

  @RpcMethod('compute', 'stop_instance')
  stop_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('stop_instance', args);
  }

  @RpcMethod('compute', 'reboot_instance')
  reboot_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('reboot_instance', args);
  }

  @RpcMethod('compute', 'pause_instance')
  pause_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('pause_instance', args);
  }

  @RpcMethod('compute', 'unpause_instance')
  unpause_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('unpause_instance', args);
  }

  @RpcMethod('compute', 'suspend_instance')
  suspend_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('suspend_instance', args);
  }

  @RpcMethod('compute', 'resume_instance')
  resume_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('resume_instance', args);
  }

  @RpcMethod('compute', 'rescue_instance')
  rescue_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('rescue_instance', args);
  }

  @RpcMethod('compute', 'unrescue_instance')
  unrescue_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('unrescue_instance', args);
  }

  @RpcMethod('compute', 'soft_delete_instance')
  soft_delete_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('soft_delete_instance', args);
  }

  @RpcMethod('compute', 'restore_instance')
  restore_instance(@Payload() args: InstanceArgs): Promise<void> {
    return this.simple('restore_instance', args);
  }

  @RpcMethod('compute', 'trigger_crash_dump')
  async trigger_crash_dump(@Payload() args: InstanceArgs): Promise<void> {
    await this.driver.triggerCrashDump(args.instance_uuid);
  }

  @RpcMethod('compute', 'inject_network_info')
  async inject_network_info(@Payload() args: InstanceArgs): Promise<void> {
    await this.driver.injectNetworkInfo?.(args.instance_uuid);
  }

  @RpcMethod('compute', 'get_console_output')
  get_console_output(@Payload() args: InstanceArgs & { tail_length: number | null }): Promise<string> {
    return this.power.consoleOutput(args.instance_uuid, args.tail_length);
  }

  @RpcMethod('compute', 'set_admin_password')
  set_admin_password(@Payload() args: InstanceArgs & { new_pass: string }): Promise<void> {
    return this.power.setAdminPassword(args.ctx, args.instance_uuid, args.new_pass);
  }

  private simple(name: PowerActionName, args: InstanceArgs): Promise<void> {
    const { ctx, instance_uuid, ...extra } = args;
    return this.power.run(name, ctx, instance_uuid, extra);
  }
}
