import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { MessageBus } from '../rpc/message-bus';
import type { BuildAndRunArgs, CallerContext } from '../objects/build.object';

/** Instance operations a compute takes as casts, with their extra arguments. */
export interface InstanceCasts {
  terminate_instance: Record<string, never>;
  start_instance: Record<string, never>;
  stop_instance: { clean_shutdown?: boolean };
  reboot_instance: { reboot_type: 'SOFT' | 'HARD' };
  pause_instance: Record<string, never>;
  unpause_instance: Record<string, never>;
  suspend_instance: Record<string, never>;
  resume_instance: Record<string, never>;
  rescue_instance: { rescue_password: string | null; rescue_image_ref: string | null };
  unrescue_instance: Record<string, never>;
  soft_delete_instance: Record<string, never>;
  restore_instance: Record<string, never>;
  trigger_crash_dump: Record<string, never>;
  inject_network_info: Record<string, never>;
}

/** Typed client of the compute service's RPC API (Nova's ComputeAPI, version 6.x). */
@Injectable()
export class ComputeRpcClient {
  static readonly TOPIC = 'compute';
  static readonly VERSION = '6.0';

  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  get_host_uptime(host: string, timeoutMs?: number): Promise<string> {
    return this.bus.call<string>(this.target(host), 'get_host_uptime', {}, { timeoutMs });
  }

  build_and_run_instance(host: string, args: BuildAndRunArgs): Promise<void> {
    return this.bus.cast(this.target(host), 'build_and_run_instance', { ...args });
  }

  /** One of the instance casts (`terminate_instance`, `stop_instance`, ...) to the instance's host. */
  castInstance<M extends keyof InstanceCasts>(host: string, method: M, ctx: CallerContext, instanceUuid: string, extra: InstanceCasts[M]): Promise<void> {
    return this.bus.cast(this.target(host), method, { ctx, instance_uuid: instanceUuid, ...extra });
  }

  get_console_output(host: string, ctx: CallerContext, instanceUuid: string, tailLength: number | null): Promise<string> {
    return this.bus.call<string>(this.target(host), 'get_console_output', { ctx, instance_uuid: instanceUuid, tail_length: tailLength });
  }

  set_admin_password(host: string, ctx: CallerContext, instanceUuid: string, newPass: string): Promise<void> {
    return this.bus.call<void>(this.target(host), 'set_admin_password', { ctx, instance_uuid: instanceUuid, new_pass: newPass });
  }

  private target(host: string) {
    return { topic: ComputeRpcClient.TOPIC, server: host, version: ComputeRpcClient.VERSION };
  }
}
