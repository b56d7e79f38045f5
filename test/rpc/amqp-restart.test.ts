/**
 * A real RabbitMQ restart (`rabbitmqctl stop_app` / `start_app`) in the middle of traffic.
 * Semantics under test (see amqp.bus.ts): a cast that resolved is handled exactly once; a cast
 * that rejected did so with MessageDeliveryFailure; a call waiting for its reply when the
 * connection drops fails at once with a clear error; consumers resume after the restart.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import type { AmqpBus } from '../../src/rpc/amqp.bus';
import { MessageDeliveryFailure } from '../../src/rpc/rpc-errors';
import { forEachBus, rabbitmqctl, sleep, waitUntil } from '../utils/buses';

async function brokerUp(): Promise<void> {
  await rabbitmqctl(['start_app']);
  await rabbitmqctl(['await_startup']);
}

forEachBus('AMQP broker restart', (h) => {
  after(brokerUp); // whatever happens, leave the broker running

  it('casts across a restart: resolved ones are handled exactly once, the others reject clearly; consumers resume', async (t) => {
    const topic = h.topic('compute');
    const server = await h.makeBus();
    const counts = new Map<number, number>();
    await server.serve(topic, 'host1', async (req) => {
      const n = req.args.n as number;
      counts.set(n, (counts.get(n) ?? 0) + 1);
      return n;
    });
    const client = await h.makeBus({ sendRetryMs: 2_000 });
    const N = 400;
    const outcomes: Array<'ok' | unknown> = new Array(N);
    const sender = (async () => {
      const inflight = new Set<Promise<void>>();
      for (let n = 0; n < N; n++) {
        const p: Promise<void> = client.cast({ topic, server: n % 2 ? 'host1' : undefined }, 'work', { n }).then(
          () => void (outcomes[n] = 'ok'),
          (err: unknown) => void (outcomes[n] = err),
        );
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= 8) await Promise.race(inflight);
        await sleep(10);
      }
      await Promise.all(inflight);
    })();
    await waitUntil(() => counts.size >= 80, 15_000, 'traffic before the restart');
    try {
      await rabbitmqctl(['stop_app']);
      await sleep(500);
    } finally {
      await brokerUp();
    }
    await sender;

    const resolved = outcomes.map((o, n) => (o === 'ok' ? n : -1)).filter((n) => n >= 0);
    const rejected = outcomes.filter((o) => o !== 'ok');
    const { republished } = (client as AmqpBus).stats;
    t.diagnostic(`${resolved.length} casts resolved, ${rejected.length} rejected, ${republished} re-published`);
    assert.equal(resolved.length + rejected.length, N, 'every cast settled');
    for (const err of rejected) {
      assert.ok(err instanceof MessageDeliveryFailure, `rejected with ${String(err)}`);
      assert.match(err.message, /message broker/);
    }
    await waitUntil(() => resolved.every((n) => counts.has(n)), 30_000, 'every resolved cast to arrive');
    await sleep(500);
    t.diagnostic(`${(server as AmqpBus).stats.duplicatesDropped} duplicate deliveries dropped`);
    const duplicates = [...counts].filter(([, c]) => c > 1);
    assert.deepEqual(duplicates, [], 'no cast was handled twice');
    assert.ok(resolved.length > N / 2, `most casts went through: ${resolved.length} resolved, ${rejected.length} rejected`);

    // The connection, the publisher and every consumer came back.
    await waitUntil(() => (client as AmqpBus).connected, 20_000, 'the client to reconnect');
    assert.equal(await client.call({ topic }, 'work', { n: 10_000 }, { timeoutMs: 15_000 }), 10_000);
    assert.equal(await client.call({ topic, server: 'host1' }, 'work', { n: 10_001 }, { timeoutMs: 15_000 }), 10_001);
    assert.ok(h.logs.some((l) => /lost the connection to the message broker/.test(l)), 'the outage was logged');
    assert.ok(h.logs.some((l) => /reconnected to the message broker/.test(l)), 'the reconnect was logged');
    assert.ok(!h.logs.some((l) => /guest:guest/.test(l)), 'no password in the logs');
  });

  it('connections dropped during a burst of casts: re-published and redelivered messages are handled once', async (t) => {
    const topic = h.topic('scheduler');
    const server = await h.makeBus();
    const counts = new Map<number, number>();
    await server.serve(topic, 'host1', async (req) => {
      const n = req.args.n as number;
      counts.set(n, (counts.get(n) ?? 0) + 1);
    });
    const client = await h.makeBus({ sendRetryMs: 5_000 });
    const [clientConn, serverConn] = [await h.brokerConnection(client), await h.brokerConnection(server)];
    const N = 6_000;
    const outcomes: Array<'ok' | unknown> = new Array(N);
    const sender = (async () => {
      const inflight = new Set<Promise<void>>();
      for (let n = 0; n < N; n++) {
        const p: Promise<void> = client.cast({ topic }, 'update_instance_info', { n }).then(
          () => void (outcomes[n] = 'ok'),
          (err: unknown) => void (outcomes[n] = err),
        );
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= 256) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    })();
    await waitUntil(() => counts.size >= 300, 15_000, 'traffic');
    await rabbitmqctl(['close_connection', clientConn, 'test: drop the sender']);
    await waitUntil(() => counts.size >= N / 2, 30_000, 'more traffic');
    await rabbitmqctl(['close_connection', serverConn, 'test: drop the receiver']);
    await sender;
    const resolved = outcomes.map((o, n) => (o === 'ok' ? n : -1)).filter((n) => n >= 0);
    for (const o of outcomes) if (o !== 'ok') assert.ok(o instanceof MessageDeliveryFailure, String(o));
    await waitUntil(() => resolved.every((n) => counts.has(n)), 30_000, 'every resolved cast to arrive');
    await sleep(500);
    t.diagnostic(`${resolved.length}/${N} resolved, ${(client as AmqpBus).stats.republished} re-published, ` +
      `${(server as AmqpBus).stats.duplicatesDropped} duplicates dropped`);
    assert.deepEqual([...counts].filter(([, c]) => c > 1), [], 'no cast was handled twice');
  });

  it('a call waiting for its reply fails at once when the broker goes away; casts give up after sendRetryMs', async () => {
    const topic = h.topic('conductor');
    const server = await h.makeBus();
    let started = false;
    await server.serve(topic, 'host1', async (req) => {
      started = true;
      await sleep(req.args.ms as number); // longer than stop_app takes to drop the connections
      return 'too late';
    });
    const client = await h.makeBus({ sendRetryMs: 1_000 });
    const call = client.call({ topic }, 'service_update', { ms: 20_000 }, { timeoutMs: 60_000 }).then((r) => `resolved: ${String(r)}`, (e: unknown) => e);
    await waitUntil(() => started, 5_000, 'handler start');
    const t0 = Date.now();
    const stopping = rabbitmqctl(['stop_app']);
    try {
      const err = await call;
      const elapsed = Date.now() - t0;
      assert.ok(err instanceof MessageDeliveryFailure, String(err));
      assert.equal(err.message, `connection to the message broker was lost while waiting for a reply to ${topic}.service_update`);
      assert.ok(elapsed < 10_000, `failed after ${elapsed} ms`);
      await stopping;
      const c0 = Date.now();
      await assert.rejects(client.cast({ topic }, 'later', {}), (e: unknown) => {
        assert.ok(e instanceof MessageDeliveryFailure);
        assert.equal(e.message, `the message broker at rabbit://guest:****@127.0.0.1:5672/ is unreachable; gave up sending ${topic}.later after 1 s`);
        return true;
      });
      assert.ok(Date.now() - c0 < 3_000);
      await assert.rejects(client.call({ topic }, 'later', {}, { timeoutMs: 500 }), (e: unknown) =>
        e instanceof MessageDeliveryFailure && /is unreachable; gave up sending .*later after 0.5 s/.test(e.message));
    } finally {
      await stopping.catch(() => undefined);
      await brokerUp();
    }
    await waitUntil(() => (client as AmqpBus).connected, 20_000, 'the client to reconnect');
    assert.equal(await client.call({ topic }, 'service_update', { ms: 0 }, { timeoutMs: 20_000 }), 'too late');
  });
}, ['rabbit']);
