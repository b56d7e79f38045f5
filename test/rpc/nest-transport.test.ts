/**
 * The Nest face of the bus: a tiny microservice with @RpcMethod / @MessagePattern / @EventPattern
 * handlers served by BusTransportStrategy, called through the bus and through BusClientProxy.
 */
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Controller, INestMicroservice, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, MicroserviceOptions, Payload } from '@nestjs/microservices';
import { firstValueFrom, lastValueFrom, of } from 'rxjs';
import { Conflict, NotFound } from '../../src/common/errors';
import { BusClientProxy, BusContext, BusExceptionFilter, BusTransportStrategy, parseBusPattern } from '../../src/rpc/nest-transport';
import { RpcMethod } from '../../src/rpc/rpc-method.decorator';
import { MessagingTimeout, NoSuchMethod, RemoteError } from '../../src/rpc/rpc-errors';
import { forEachBus, sleep, waitUntil } from '../utils/buses';

function conductorModule(topic: string, events: unknown[]): Type<unknown> {
  @Controller()
  class ConductorController {
    @RpcMethod(topic, 'service_update')
    serviceUpdate(@Payload() args: { service: { id: number } }, @Ctx() ctx: BusContext): Record<string, unknown> {
      const req = ctx.getRequest();
      return { id: args.service.id, user: ctx.getRpcContext().user_id, kind: req.kind, server: req.server ?? null, version: req.version ?? null };
    }

    @RpcMethod(topic, 'fail')
    fail(): never {
      throw new NotFound('no such service');
    }

    @RpcMethod(topic, 'ping', 'baseapi')
    async ping(@Payload() args: { arg: unknown }): Promise<unknown> {
      await sleep(5);
      return { pong: args.arg };
    }

    @MessagePattern({ topic, method: 'double' })
    double(@Payload() args: { x: number }) {
      return of(args.x * 2);
    }

    @MessagePattern({ topic, method: 'plain_fail' })
    plainFail(): never {
      throw new Conflict('plain handlers need the global BusExceptionFilter');
    }

    @EventPattern({ topic, method: 'service_updated' })
    onUpdated(@Payload() args: unknown, @Ctx() ctx: BusContext): void {
      events.push({ args, kind: ctx.getRequest().kind });
    }
  }

  @Module({ controllers: [ConductorController] })
  class ConductorModule {}
  return ConductorModule;
}

forEachBus('Nest transport', (h) => {
  it('serves @RpcMethod/@MessagePattern/@EventPattern handlers; callable through the bus and BusClientProxy', async () => {
    const topic = h.topic('conductor');
    const events: unknown[] = [];
    const serverBus = await h.makeBus();
    const strategy = new BusTransportStrategy(serverBus, 'host1', { drainMs: 1_000 });
    const app: INestMicroservice = await NestFactory.createMicroservice<MicroserviceOptions>(conductorModule(topic, events), { strategy, logger: false });
    app.useGlobalFilters(new BusExceptionFilter());
    await app.listen();
    try {
      assert.deepEqual(strategy.servedTopics(), [topic]);
      const bus = await h.makeBus();

      // Plain bus calls.
      assert.deepEqual(
        await bus.call({ topic, server: 'host1', version: '3.0' }, 'service_update', { service: { id: 7 } }, { context: { user_id: 'u1' } }),
        { id: 7, user: 'u1', kind: 'call', server: 'host1', version: '3.0' },
      );
      await assert.rejects(bus.call({ topic }, 'fail', {}), (err: unknown) => err instanceof NotFound && err.message === 'no such service');
      await assert.rejects(bus.call({ topic }, 'plain_fail', {}), Conflict);
      await assert.rejects(bus.call({ topic }, 'no_such_method', {}), (err: unknown) => err instanceof NoSuchMethod && /no_such_method/.test(err.message));
      assert.deepEqual(await bus.call({ topic, namespace: 'baseapi' }, 'ping', { arg: 'x' }), { pong: 'x' });
      await assert.rejects(bus.call({ topic }, 'ping', { arg: 'x' }), NoSuchMethod, 'the namespace is part of the method name');
      assert.equal(await bus.call({ topic }, 'double', { x: 21 }), 42);
      await bus.cast({ topic }, 'service_updated', { id: 1 });
      await bus.fanoutCast(topic, 'service_updated', { id: 2 });
      await waitUntil(() => events.length >= 2, 5_000, 'events');

      // Nest-style callers.
      const client = new BusClientProxy(bus);
      assert.deepEqual(
        await firstValueFrom(client.send({ topic, method: 'service_update', server: 'host1', context: { user_id: 'u2' } }, { service: { id: 9 } })),
        { id: 9, user: 'u2', kind: 'call', server: 'host1', version: null },
      );
      assert.deepEqual(await lastValueFrom(client.send({ topic, method: 'ping', namespace: 'baseapi' }, { arg: 1 })), { pong: 1 });
      await assert.rejects(firstValueFrom(client.send({ topic, method: 'fail' }, {})), NotFound);
      await assert.rejects(firstValueFrom(client.send({ topic: h.topic('nobody'), method: 'x', timeoutMs: 200 }, {})), MessagingTimeout);
      await assert.rejects(firstValueFrom(client.send('conductor.fail', {})), /a bus pattern is an object/);
      await lastValueFrom(client.emit({ topic, method: 'service_updated' }, { id: 3 }), { defaultValue: undefined });
      await waitUntil(() => events.length >= 3, 5_000, 'emitted event');
      assert.deepEqual(events, [
        { args: { id: 1 }, kind: 'cast' },
        { args: { id: 2 }, kind: 'fanout' },
        { args: { id: 3 }, kind: 'cast' },
      ]);
    } finally {
      await app.close();
    }
    // Closing the app stopped the servers: nobody answers any more.
    const after = await h.makeBus();
    await assert.rejects(after.call({ topic }, 'double', { x: 1 }, { timeoutMs: 300 }), MessagingTimeout);
  });

  it('without BusExceptionFilter a plain @MessagePattern error arrives as a RemoteError', async () => {
    const topic = h.topic('conductor');
    const serverBus = await h.makeBus();
    const app = await NestFactory.createMicroservice<MicroserviceOptions>(conductorModule(topic, []), {
      strategy: new BusTransportStrategy(serverBus, 'host1'),
      logger: false,
    });
    await app.listen();
    try {
      const bus = await h.makeBus();
      await assert.rejects(bus.call({ topic }, 'plain_fail', {}), (err: unknown) => err instanceof RemoteError && err.value === 'Internal server error');
      await assert.rejects(bus.call({ topic }, 'fail', {}), NotFound, '@RpcMethod applies the filter itself');
    } finally {
      await app.close();
    }
  });
});

it('parseBusPattern reads back the keys Nest builds from pattern objects', () => {
  assert.deepEqual(parseBusPattern('{"method":"m","namespace":"baseapi","topic":"t"}'), { topic: 't', method: 'm', namespace: 'baseapi' });
  assert.deepEqual(parseBusPattern('{"method":"m","topic":"t"}'), { topic: 't', method: 'm' });
  assert.equal(parseBusPattern('conductor.service_update'), null);
  assert.equal(parseBusPattern('{"cmd":"sum"}'), null);
});
