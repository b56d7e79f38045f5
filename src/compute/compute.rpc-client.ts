import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { MessageBus } from '../rpc/message-bus';

/** Typed client of the compute service's RPC API (Nova's ComputeAPI, version 6.x). */
@Injectable()
export class ComputeRpcClient {
  static readonly TOPIC = 'compute';
  static readonly VERSION = '6.0';

  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  get_host_uptime(host: string, timeoutMs?: number): Promise<string> {
    return this.bus.call<string>({ topic: ComputeRpcClient.TOPIC, server: host, version: ComputeRpcClient.VERSION }, 'get_host_uptime', {}, { timeoutMs });
  }
}
