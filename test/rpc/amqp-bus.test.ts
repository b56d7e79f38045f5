/**
 * AMQP-only behaviour: Nova's topology on the broker, the exact wire format (checked with a raw
 * AMQP peer playing an oslo.messaging service), duplicate detection, the call monitor and
 * start-up errors.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AsyncMessage, Connection } from 'rabbitmq-client';
import { ServiceUnavailable } from '../../src/common/errors';
import { AmqpBus } from '../../src/rpc/amqp.bus';
import { createBus } from '../../src/rpc/bus-factory';
import { decodeReply, deserializeMessage } from '../../src/rpc/envelope';
import type { RpcRequest } from '../../src/rpc/message-bus';
import { dispatchTable, forEachBus, RABBIT_URL, rabbitList, sleep, waitUntil } from '../utils/buses';

interface QueueRow { name: string; durable: boolean; auto_delete: boolean; arguments: Array<[string, string, unknown]> }
interface ExchangeRow { name: string; type: string; durable: boolean; auto_delete: boolean }
interface BindingRow { source_name: string; destination_name: string; routing_key: string }
interface ConsumerRow { queue_name: string; prefetch_count: number; ack_required: boolean }

function rawConnection(): Connection {
  const conn = new Connection({ url: RABBIT_URL.replace(/^rabbit:/, 'amqp:') });
  conn.on('error', () => undefined);
  return conn;
}

const HEX32 = '[0-9a-f]{32}';

forEachBus('AMQP bus', (h) => {
  it("declares Nova's topology: exchanges, queues, bindings, durability, x-expires, prefetch", async () => {
    const topic = h.topic('compute');
    const server = (await h.makeBus({ prefetch: 16 })) as AmqpBus;
    await server.serve(topic, 'host1', async () => null);
    const [queues, exchanges, bindings, consumers] = await Promise.all([
      rabbitList<QueueRow>('queues', ['name', 'durable', 'auto_delete', 'arguments']),
      rabbitList<ExchangeRow>('exchanges', ['name', 'type', 'durable', 'auto_delete']),
      rabbitList<BindingRow>('bindings', ['source_name', 'destination_name', 'routing_key']),
      rabbitList<ConsumerRow>('consumers', ['queue_name', 'prefetch_count', 'ack_required']),
    ]);
    const q = (name: string) => queues.find((r) => r.name === name);
    const xExpires = (row?: QueueRow) => row?.arguments.find((a) => a[0] === 'x-expires')?.[2];

    assert.deepEqual(exchanges.find((e) => e.name === h.controlExchange), { name: h.controlExchange, type: 'topic', durable: true, auto_delete: false });
    assert.deepEqual(exchanges.find((e) => e.name === `${topic}_fanout`), { name: `${topic}_fanout`, type: 'fanout', durable: false, auto_delete: true });

    assert.deepEqual({ ...q(topic), arguments: undefined }, { name: topic, durable: true, auto_delete: false, arguments: undefined });
    assert.equal(xExpires(q(topic)), undefined);
    assert.equal(q(`${topic}.host1`)?.durable, true);
    const fanoutQueues = queues.filter((r) => new RegExp(`^${topic}_fanout_${HEX32}$`).test(r.name));
    assert.equal(fanoutQueues.length, 1);
    assert.equal(fanoutQueues[0].durable, false);
    assert.equal(fanoutQueues[0].auto_delete, false);
    assert.equal(xExpires(fanoutQueues[0]), 600_000);
    assert.match(server.replyQueue, new RegExp(`^reply_${HEX32}$`));
    assert.equal(q(server.replyQueue)?.durable, false);
    assert.equal(xExpires(q(server.replyQueue)), 600_000);

    const bound = bindings.filter((b) => b.source_name !== '').map((b) => `${b.source_name} -> ${b.destination_name} [${b.routing_key}]`);
    assert.ok(bound.includes(`${h.controlExchange} -> ${topic} [${topic}]`), bound.join('\n'));
    assert.ok(bound.includes(`${h.controlExchange} -> ${topic}.host1 [${topic}.host1]`));
    assert.ok(bound.includes(`${topic}_fanout -> ${fanoutQueues[0].name} []`));

    const prefetch = consumers.filter((c) => c.queue_name.startsWith(topic)).map((c) => c.prefetch_count);
    assert.deepEqual(prefetch, [16, 16, 16]);
    assert.equal(consumers.find((c) => c.queue_name === server.replyQueue)?.ack_required, false);

    await server.close(1_000);
    const after = await rabbitList<QueueRow>('queues', ['name']);
    assert.ok(!after.some((r) => r.name === fanoutQueues[0].name || r.name === server.replyQueue), 'a clean close deletes its own transient queues');
    assert.ok(after.some((r) => r.name === topic), 'the durable topic queue stays');
  });

  it('puts oslo-compatible messages on the wire (checked by a raw AMQP peer that answers like oslo)', async () => {
    const topic = h.topic('conductor');
    const client = (await h.makeBus()) as AmqpBus;
    // Let the client declare the queue, then read it raw.
    await client.cast({ topic }, 'warm_up', {});
    const raw = rawConnection();
    const seen: AsyncMessage[] = [];
    const publisher = raw.createPublisher({ confirm: true });
    const sub = raw.createConsumer({ queue: topic, queueOptions: { durable: true } }, async (msg) => {
      seen.push(msg);
      const inner = deserializeMessage(msg.body);
      if (typeof inner._reply_q === 'string') {
        // Answer exactly as oslo.messaging does: envelope, default exchange, routing key = _reply_q.
        const reply = { result: { pong: inner.args }, failure: null, ending: true, _msg_id: inner._msg_id, _unique_id: 'r1' };
        await publisher.send(
          { exchange: '', routingKey: inner._reply_q, contentType: 'application/json', contentEncoding: 'utf-8' },
          Buffer.from(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': JSON.stringify(reply) })),
        );
      }
    });
    try {
      await client.cast({ topic, version: '3.0' }, 'object_action', { objmethod: 'save' }, { context: { user_id: 'u1', request_id: 'req-x' } });
      const result = await client.call({ topic, namespace: 'compute_task', version: '1.17' }, 'ping', { arg: 5 }, { timeoutMs: 5_000 });
      assert.deepEqual(result, { pong: { arg: 5 } });
      await waitUntil(() => seen.length >= 3, 5_000, 'raw messages');
      const [, cast, call] = seen;
      for (const m of [cast, call]) {
        assert.equal(m.exchange, h.controlExchange);
        assert.equal(m.routingKey, topic);
        assert.equal(m.contentType, 'application/json');
        assert.equal(m.contentEncoding, 'utf-8');
        assert.equal(m.durable, true, 'delivery_mode 2');
        assert.equal(m.priority, 0);
        const outer = JSON.parse((m.body as Buffer).toString('utf8')) as Record<string, unknown>;
        assert.deepEqual(Object.keys(outer).sort(), ['oslo.message', 'oslo.version']);
        assert.equal(outer['oslo.version'], '2.0');
      }
      assert.equal(cast.expiration, undefined);
      assert.equal(call.expiration, '5000');
      const castInner = deserializeMessage(cast.body);
      assert.deepEqual(Object.keys(castInner).sort(), ['_context_request_id', '_context_user_id', '_unique_id', 'args', 'method', 'version']);
      assert.match(castInner._unique_id as string, new RegExp(`^${HEX32}$`));
      assert.equal(castInner.version, '3.0');
      const callInner = deserializeMessage(call.body);
      assert.equal(callInner.namespace, 'compute_task');
      assert.equal(callInner._reply_q, client.replyQueue);
      assert.match(callInner._msg_id as string, new RegExp(`^${HEX32}$`));
      assert.equal(callInner._timeout, null);
    } finally {
      await sub.close();
      await publisher.close();
      await raw.close();
    }
  });

  it('serves an oslo-style peer: raw dicts and 2.0 envelopes in, oslo replies out', async () => {
    const topic = h.topic('scheduler');
    const server = await h.makeBus();
    await server.serve(topic, 'host1', dispatchTable({
      select_destinations: (args) => [{ host: 'h1', args }],
      fail: () => {
        throw new ServiceUnavailable('no hosts');
      },
    }));
    const raw = rawConnection();
    const replyQueue = `reply_${'0'.repeat(24)}${h.topic('r').slice(1, 9)}`;
    const replies: Array<{ msg: AsyncMessage; inner: Record<string, unknown> }> = [];
    const sub = raw.createConsumer({ queue: replyQueue, queueOptions: { exclusive: true } }, (msg) => {
      replies.push({ msg, inner: deserializeMessage(msg.body) });
    });
    await new Promise((r) => sub.once('ready', r));
    const publisher = raw.createPublisher({ confirm: true });
    try {
      // A raw dict without the envelope (accepted like oslo does), then a proper envelope.
      await publisher.send({ exchange: h.controlExchange, routingKey: topic }, {
        method: 'select_destinations', args: { spec: 1 }, _msg_id: 'm1', _reply_q: replyQueue, _unique_id: 'u1', _context_user_id: 'x',
      });
      const env = { 'oslo.version': '2.0', 'oslo.message': JSON.stringify({ method: 'fail', args: {}, _msg_id: 'm2', _reply_q: replyQueue, _unique_id: 'u2' }) };
      await publisher.send({ exchange: h.controlExchange, routingKey: `${topic}.host1`, contentType: 'application/json', contentEncoding: 'utf-8' }, Buffer.from(JSON.stringify(env)));
      await waitUntil(() => replies.length >= 2, 5_000, 'replies');
      const byId = Object.fromEntries(replies.map((r) => [r.inner._msg_id as string, r]));
      const ok = byId.m1;
      assert.equal(ok.msg.exchange, '');
      assert.equal(ok.msg.routingKey, replyQueue);
      assert.equal(ok.msg.contentType, 'application/json');
      assert.deepEqual(Object.keys(ok.inner).sort(), ['_msg_id', '_unique_id', 'ending', 'failure', 'result']);
      assert.deepEqual(ok.inner.result, [{ host: 'h1', args: { spec: 1 } }]);
      assert.equal(ok.inner.failure, null);
      assert.equal(ok.inner.ending, true);
      const failed = decodeReply(byId.m2.msg.body);
      assert.equal(failed.result, null);
      assert.equal(typeof failed.failure, 'string');
      assert.deepEqual(JSON.parse(failed.failure as string), {
        class: 'ServiceUnavailable', module: 'nova.exception', message: 'no hosts', tb: [], args: ['no hosts'], kwargs: {},
      });
    } finally {
      await sub.close();
      await publisher.close();
      await raw.close();
    }
  });

  it('drops duplicate deliveries of the same _unique_id', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    const got: RpcRequest[] = [];
    await server.serve(topic, 'host1', async (req) => void got.push(req));
    const raw = rawConnection();
    const publisher = raw.createPublisher({ confirm: true });
    try {
      const body = { method: 'm', args: { n: 1 }, _unique_id: 'same-id' };
      for (let i = 0; i < 3; i++) await publisher.send({ exchange: h.controlExchange, routingKey: topic }, body);
      await publisher.send({ exchange: h.controlExchange, routingKey: topic }, { ...body, _unique_id: 'other-id' });
      await waitUntil(() => got.length >= 2, 5_000, 'deliveries');
      await sleep(200);
      assert.equal(got.length, 2);
      assert.equal((server as AmqpBus).stats.duplicatesDropped, 2);
    } finally {
      await publisher.close();
      await raw.close();
    }
  });

  it('sends oslo call-monitor heartbeats while a long method runs', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    await server.serve(topic, 'host1', async () => {
      await sleep(700);
      return 'late';
    });
    const raw = rawConnection();
    const replyQueue = `reply_${h.topic('hb').replace(/[^0-9a-f]/g, '').padEnd(32, '0')}`;
    const replies: Record<string, unknown>[] = [];
    const sub = raw.createConsumer({ queue: replyQueue, queueOptions: { exclusive: true } }, (msg) => void replies.push(deserializeMessage(msg.body)));
    await new Promise((r) => sub.once('ready', r));
    const publisher = raw.createPublisher({ confirm: true });
    try {
      await publisher.send({ exchange: h.controlExchange, routingKey: topic }, { method: 'm', args: {}, _msg_id: 'mm', _reply_q: replyQueue, _unique_id: 'hb1', _timeout: 0.4 });
      await waitUntil(() => replies.some((r) => r.ending === true), 5_000, 'final reply');
      const beats = replies.filter((r) => r.ending === false);
      assert.ok(beats.length >= 2, `heartbeats: ${beats.length}`);
      assert.deepEqual({ ...beats[0], _unique_id: undefined }, { result: null, failure: null, ending: false, _msg_id: 'mm', _unique_id: undefined });
      assert.equal(replies[replies.length - 1].result, 'late');
    } finally {
      await sub.close();
      await publisher.close();
      await raw.close();
    }
  });

  it('connects through the first reachable host of a multi-host transport_url', async () => {
    const url = 'rabbit://guest:guest@127.0.0.1:5673,guest:guest@127.0.0.1:5672/';
    const bus = h.adopt(await AmqpBus.connect(h.amqpOptions({ transportUrl: url })));
    try {
      assert.equal(bus.where, 'rabbit://guest:****@127.0.0.1:5673,guest:****@127.0.0.1:5672/');
      const topic = h.topic();
      await bus.serve(topic, 'h', async () => 'via second host');
      assert.equal(await bus.call({ topic }, 'm', {}), 'via second host');
    } finally {
      await bus.close(500);
    }
  });

  it('an unreachable broker fails fast with one clear line and no password', async () => {
    const t0 = Date.now();
    await assert.rejects(
      createBus({
        transportUrl: 'rabbit://guest:s3cret@127.0.0.1:5673/', controlExchange: 'nova', rpcResponseTimeoutSec: 60,
        durableQueues: true, transientQueuesTtlSec: 1800, prefetch: 64,
      }),
      (err: unknown) => {
        assert.ok(err instanceof ServiceUnavailable, String(err));
        assert.equal(err.message, 'cannot connect to the message broker at rabbit://guest:****@127.0.0.1:5673/: ECONNREFUSED');
        return true;
      },
    );
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 7_000, `took ${elapsed} ms`);
  });

  it('bad credentials and unknown vhosts fail at once with the broker reason', async () => {
    const t0 = Date.now();
    await assert.rejects(AmqpBus.connect(h.amqpOptions({ transportUrl: 'rabbit://guest:wrong@127.0.0.1:5672/' })), (err: unknown) => {
      assert.ok(err instanceof ServiceUnavailable);
      assert.match(err.message, /^cannot connect to the message broker at rabbit:\/\/guest:\*\*\*\*@127\.0\.0\.1:5672\/: ACCESS_REFUSED/);
      assert.doesNotMatch(err.message, /wrong|\n/);
      return true;
    });
    await assert.rejects(AmqpBus.connect(h.amqpOptions({ transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/no_such_vhost' })), /NOT_ALLOWED - vhost no_such_vhost not found/);
    assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
  });
}, ['rabbit']);
