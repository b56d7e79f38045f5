import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { CallerContext } from '../objects/build.object';
import type { MessageBus } from '../rpc/message-bus';

/** Nova's console protocols and the compute RPC method each one is asked through. */
export const CONSOLE_METHODS = {
  vnc: 'get_vnc_console',
  spice: 'get_spice_console',
  serial: 'get_serial_console',
  mks: 'get_mks_console',
} as const;

export type ConsoleProtocol = keyof typeof CONSOLE_METHODS;

export interface GetConsoleArgs {
  ctx: CallerContext;
  instance_uuid: string;
  /** `novnc`, `spice-html5`, `serial`, `webmks`, ... as the client asked. */
  console_type: string;
  /** The instance's vm_state: a guest the hypervisor does not know yet is "not ready" while building. */
  vm_state?: string;
}

/** Nova's console connect info without the token (the API adds that): where the proxy connects, and the base of the URL. */
export interface ComputeConsoleInfo {
  console_type: string;
  host: string;
  port: number;
  internal_access_path: string | null;
  /** `[vnc] novncproxy_base_url` of that compute (Nova reads it on the compute). */
  access_url_base: string;
  /** Set when the proxy must reach host:port through the hypervisor host's sshd (`[vnc] server_proxyclient_ssh_host`). */
  ssh_tunnel?: ConsoleSshTunnel | null;
}

/** The sshd of a hypervisor host through which the console proxy reaches a console (nova-ts). */
export interface ConsoleSshTunnel {
  host: string;
  port: number;
}

export interface ValidateConsolePortArgs {
  ctx: CallerContext;
  instance_uuid: string;
  /** A string, as Nova sends it. */
  port: string;
  console_type: string;
  /** nova-ts also compares the console host and access path when given (a moved guest no longer matches). */
  host?: string;
  internal_access_path?: string | null;
}

/** Typed client of the compute's console RPC (calls to `compute.<instance.host>`). */
@Injectable()
export class ComputeConsoleRpcClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  get_console(host: string, protocol: ConsoleProtocol, args: GetConsoleArgs, timeoutMs?: number): Promise<ComputeConsoleInfo> {
    return this.bus.call<ComputeConsoleInfo>(this.target(host), CONSOLE_METHODS[protocol], { ...args }, { timeoutMs });
  }

  validate_console_port(host: string, args: ValidateConsolePortArgs, timeoutMs?: number): Promise<boolean> {
    return this.bus.call<boolean>(this.target(host), 'validate_console_port', { ...args }, { timeoutMs });
  }

  private target(host: string) {
    return { topic: 'compute', server: host, version: '6.0' };
  }
}
