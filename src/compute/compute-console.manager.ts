import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConsoleNotSupported, ConsoleTypeInvalid, ConsoleTypeUnavailable, InstanceNotReady } from '../consoleauth/console-errors';
import { VmState } from '../objects/instance.object';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import type { ComputeConsoleInfo, GetConsoleArgs, ValidateConsolePortArgs } from './compute-console.rpc-client';
import { GuestNotFound, type ComputeDriver, type ConsoleConnectInfo } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';

/**
 * The compute's console endpoints (topic `compute.<host>`, Nova's `get_*_console` and
 * `validate_console_port`). Only VNC exists here: SPICE, serial and MKS consoles are disabled,
 * which is what Nova answers with its defaults (`[spice]`, `[serial_console]`, `[mks] enabled =
 * False`): `Unavailable console type <type>.`.
 */
@Controller()
export class ComputeConsoleManager {
  private readonly logger = new Logger('compute.console');

  constructor(
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  @RpcMethod('compute', 'get_vnc_console')
  async get_vnc_console(@Payload() args: GetConsoleArgs): Promise<ComputeConsoleInfo> {
    if (!this.conf.vnc.enabled) throw ConsoleTypeUnavailable.forType(args.console_type);
    if (args.console_type !== 'novnc') throw ConsoleTypeInvalid.forType(args.console_type);
    const console = await this.vncConsole(args.instance_uuid, args.vm_state);
    this.logger.debug(`vnc console of ${args.instance_uuid} at ${console.host}:${console.port}`);
    const sshHost = this.conf.vnc.server_proxyclient_ssh_host?.trim();
    return {
      console_type: args.console_type, host: console.host, port: console.port,
      internal_access_path: console.internal_access_path ?? null, access_url_base: this.conf.vnc.novncproxy_base_url,
      ssh_tunnel: sshHost ? { host: sshHost, port: this.conf.vnc.server_proxyclient_ssh_port } : null,
    };
  }

  @RpcMethod('compute', 'get_spice_console')
  get_spice_console(@Payload() args: GetConsoleArgs): Promise<ComputeConsoleInfo> {
    return Promise.reject(ConsoleTypeUnavailable.forType(args.console_type));
  }

  @RpcMethod('compute', 'get_serial_console')
  get_serial_console(@Payload() args: GetConsoleArgs): Promise<ComputeConsoleInfo> {
    return Promise.reject(ConsoleTypeUnavailable.forType(args.console_type));
  }

  @RpcMethod('compute', 'get_mks_console')
  get_mks_console(@Payload() args: GetConsoleArgs): Promise<ComputeConsoleInfo> {
    return Promise.reject(ConsoleTypeUnavailable.forType(args.console_type));
  }

  /**
   * Is the console a token points at still this guest's? Nova compares the port only; nova-ts
   * also compares the host and access path when the caller sends them, so a token issued before
   * the guest moved (or before its VNC server changed) no longer matches.
   */
  @RpcMethod('compute', 'validate_console_port')
  async validate_console_port(@Payload() args: ValidateConsolePortArgs): Promise<boolean> {
    if (args.console_type !== 'novnc' || !this.conf.vnc.enabled) return false;
    let console: ConsoleConnectInfo;
    try {
      console = await this.vncConsole(args.instance_uuid);
    } catch (err) {
      if (err instanceof GuestNotFound || err instanceof InstanceNotReady) return false;
      throw err;
    }
    if (String(console.port) !== String(args.port)) return false;
    if (args.host !== undefined && args.host !== console.host) return false;
    if (args.internal_access_path !== undefined && (args.internal_access_path ?? null) !== (console.internal_access_path ?? null)) return false;
    return true;
  }

  private async vncConsole(uuid: string, vmState?: string): Promise<ConsoleConnectInfo> {
    if (!this.driver.getVncConsole) throw new ConsoleNotSupported();
    try {
      return await this.driver.getVncConsole(uuid);
    } catch (err) {
      if (err instanceof GuestNotFound && vmState === VmState.BUILDING) throw InstanceNotReady.forInstance(uuid);
      throw err;
    }
  }
}
