import { Controller, Type } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RpcMethod } from '../rpc/rpc-method.decorator';

/**
 * Nova's `baseapi` namespace, served on every RPC topic: `ping` answers with what it was sent,
 * so a caller can wait until a service is reachable (as nova-compute waits for the conductor).
 */
export function baseApiController(topic: string): Type<unknown> {
  @Controller()
  class BaseApiController {
    @RpcMethod(topic, 'ping', 'baseapi')
    ping(@Payload() args: { arg?: unknown }): { service: string; arg: unknown } {
      return { service: topic, arg: args.arg ?? null };
    }
  }
  Object.defineProperty(BaseApiController, 'name', { value: `BaseApi_${topic}_Controller` });
  return BaseApiController;
}
