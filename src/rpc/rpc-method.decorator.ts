/**
 * `@RpcMethod('conductor', 'service_update')` marks a Nest handler for an RPC method of a topic
 * (optionally in an oslo namespace such as `compute_task` or `baseapi`). Sugar for
 * `@MessagePattern({ topic, method, namespace })` plus BusExceptionFilter, so that the error a
 * handler throws reaches the caller with its class.
 */
import { applyDecorators, UseFilters } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { BusExceptionFilter, BusPattern } from './nest-transport';

export function RpcMethod(topic: string, method: string, namespace?: string): MethodDecorator {
  const pattern: BusPattern = namespace ? { topic, method, namespace } : { topic, method };
  return applyDecorators(MessagePattern(pattern), UseFilters(new BusExceptionFilter()));
}
