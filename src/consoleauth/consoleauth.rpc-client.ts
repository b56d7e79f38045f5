import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { MessageBus } from '../rpc/message-bus';
import type { ConsoleSshTunnel } from '../compute/compute-console.rpc-client';
import type { ConsoleAuthRecord } from './console-auth-token.store';

export const CONSOLEAUTH_TOPIC = 'consoleauth';

/**
 * What `check_token` answers for a good token: where the proxy connects (never the token itself);
 * with `ssh_tunnel`, host:port are as that hypervisor host sees them and the proxy goes through its sshd.
 */
export type ConsoleConnection = ConsoleAuthRecord & { ssh_tunnel?: ConsoleSshTunnel | null };

/**
 * Typed client of the consoleauth role (Nova's old `ConsoleAuthAPI`, topic `consoleauth`): the
 * console proxy validates tokens through it and so needs no database.
 */
@Injectable()
export class ConsoleAuthRpcClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  /** The connection a token grants, or null (unknown, expired, already used, instance gone or moved). Consumes the token. */
  check_token(token: string, timeoutMs?: number): Promise<ConsoleConnection | null> {
    return this.bus.call<ConsoleConnection | null>({ topic: CONSOLEAUTH_TOPIC }, 'check_token', { token }, { timeoutMs });
  }

  /** Drops every token of an instance (delete, move). */
  delete_tokens_for_instance(instanceUuid: string): Promise<number> {
    return this.bus.call<number>({ topic: CONSOLEAUTH_TOPIC }, 'delete_tokens_for_instance', { instance_uuid: instanceUuid });
  }
}
