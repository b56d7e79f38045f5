import { createHash } from 'node:crypto';
import { Controller, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { NotFound } from '../common/errors';
import { ConsoleTypeUnavailable } from './console-errors';
import { ComputeConsoleRpcClient, type ComputeConsoleInfo } from '../compute/compute-console.rpc-client';
import { InstanceRepository } from '../db/repositories/instance.repository';
import type { InstanceRecord } from '../objects/instance.object';
import { TaskState } from '../objects/instance.object';
import { RemoteError } from '../rpc/rpc-errors';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import { ConsoleAuthTokenStore } from './console-auth-token.store';
import { CONSOLEAUTH_TOPIC, type ConsoleConnection } from './consoleauth.rpc-client';

/** How long check_token waits for the instance's compute to confirm the console (the proxy's client is waiting). */
const VALIDATE_TIMEOUT_MS = 10_000;

const SYSTEM_CTX = { request_id: 'req-consoleauth', user_id: 'nova', project_id: 'nova', is_admin: true };

/** The compute no longer has the guest (or its console): the token points nowhere. */
function isGone(err: unknown): boolean {
  return err instanceof NotFound || err instanceof ConsoleTypeUnavailable || (err instanceof RemoteError && /NotFound$/.test(err.excType));
}

/** A short, non-reversible tag for logs: never the token. */
function tokenTag(token: string): string {
  return createHash('sha256').update(`log:${token}`).digest('hex').slice(0, 8);
}

/**
 * The consoleauth role (topic `consoleauth`): validates console tokens for the proxy, which has
 * no database. A token is good when its row exists and has not expired (Nova's
 * `console_auth_token_get_valid`), its instance still exists and is not being deleted, and the
 * instance's compute confirms the console is still where the token points (Nova's
 * `validate_console_port`, which the proxy calls in Nova; the pre-Rocky nova-consoleauth did it
 * here, as this does). It asks the compute for the console (`get_vnc_console`) and compares host,
 * port and access path; the compute's answer also carries the SSH tunnel the proxy must use
 * (`[vnc] server_proxyclient_ssh_host`), so that is always current and never stored.
 *
 * Deviation from Nova: tokens are single use. Nova lets a token be reused until it expires;
 * here the first `check_token` deletes it, so a second connection with the same token is refused
 * (a reloaded noVNC page needs a new URL). Tokens of a deleted instance are dropped when one of
 * them is checked (Nova drops them in the compute's delete path) and expired rows whenever a token
 * is issued.
 */
@Controller()
export class ConsoleAuthManager {
  private readonly logger = new Logger('consoleauth');

  constructor(
    private readonly tokens: ConsoleAuthTokenStore,
    private readonly instances: InstanceRepository,
    private readonly compute: ComputeConsoleRpcClient,
  ) {}

  @RpcMethod(CONSOLEAUTH_TOPIC, 'check_token')
  async check_token(@Payload() args: { token?: unknown }): Promise<ConsoleConnection | null> {
    if (typeof args.token !== 'string' || args.token.length === 0 || args.token.length > 255) {
      this.logger.log('console token refused: malformed');
      return null;
    }
    const tag = tokenTag(args.token);
    const record = await this.tokens.consume(args.token);
    if (!record) {
      this.logger.log(`console token ${tag} refused: unknown, expired or already used`);
      return null;
    }
    const inst = await this.liveInstance(record.instance_uuid);
    if (!inst) {
      const dropped = await this.tokens.deleteForInstance(record.instance_uuid);
      this.logger.log(`console token ${tag} refused: instance ${record.instance_uuid} is deleted, being deleted or has no host (${dropped} other token(s) dropped)`);
      return null;
    }
    // Nova's validate_console_port, done here: the compute says where the console is now, and it
    // must be where the token points. The answer also says how the proxy reaches it (SSH tunnel).
    let current: ComputeConsoleInfo;
    try {
      current = await this.compute.get_console(inst.host as string, 'vnc', {
        ctx: SYSTEM_CTX, instance_uuid: inst.uuid, console_type: record.console_type,
      }, VALIDATE_TIMEOUT_MS);
    } catch (err) {
      if (isGone(err)) {
        const dropped = await this.tokens.deleteForInstance(inst.uuid);
        this.logger.log(`console token ${tag} refused: the console of ${inst.uuid} is gone (${dropped} other token(s) dropped)`);
      } else {
        this.logger.warn(`console token ${tag} refused: compute ${inst.host} could not confirm the console of ${inst.uuid}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return null;
    }
    if (String(current.port) !== String(record.port) || current.host !== record.host
      || (current.internal_access_path ?? null) !== (record.internal_access_path ?? null)) {
      const dropped = await this.tokens.deleteForInstance(inst.uuid);
      this.logger.log(`console token ${tag} refused: the console of ${inst.uuid} moved (${dropped} other token(s) dropped)`);
      return null;
    }
    const tunnel = current.ssh_tunnel ? { host: current.ssh_tunnel.host, port: Number(current.ssh_tunnel.port) } : null;
    this.logger.log(`console token ${tag} accepted for ${record.console_type} console of ${inst.uuid}${tunnel ? ' (through SSH)' : ''}`);
    return { ...record, ssh_tunnel: tunnel };
  }

  @RpcMethod(CONSOLEAUTH_TOPIC, 'delete_tokens_for_instance')
  delete_tokens_for_instance(@Payload() args: { instance_uuid: string }): Promise<number> {
    return this.tokens.deleteForInstance(args.instance_uuid);
  }

  /** The instance, unless it is gone, being deleted, or has no host. */
  private async liveInstance(uuid: string): Promise<InstanceRecord | null> {
    try {
      const inst = await this.instances.get(uuid);
      if (!inst.host || inst.task_state === TaskState.DELETING) return null;
      return inst;
    } catch (err) {
      if (err instanceof NotFound) return null;
      throw err;
    }
  }
}
