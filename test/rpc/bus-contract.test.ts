/**
 * The MessageBus contract, run against the in-process transport and a real RabbitMQ.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NotFound, NovaError } from '../../src/common/errors';
import type { RpcRequest } from '../../src/rpc/message-bus';
import {
  MessageDeliveryFailure,
  MessagingTimeout,
  NoSuchMethod,
  registerRemoteErrorClass,
  RemoteError,
} from '../../src/rpc/rpc-errors';
import { dispatchTable, forEachBus, sleep, waitUntil } from '../utils/buses';

class InstanceNotFound extends NotFound {}
registerRemoteErrorClass(InstanceNotFound);
class UnregisteredProblem extends NovaError {}

forEachBus('bus contract', (h) => {
  it('call: round trip with args, context, namespace and version', async () => {
    const topic = h.topic('conductor');
    const server = await h.makeBus();
    const seen: RpcRequest[] = [];
    await server.serve(topic, 'host1', async (req) => {
      seen.push(req);
      return { echoed: req.args, user: req.context.user_id };
    });
    const client = await h.makeBus();
    const result = await client.call<{ echoed: unknown; user: string }>(
      { topic, namespace: 'compute_task', version: '1.17' },
      'service_update',
      { service: { id: 7, host: 'h', tags: ['a', 'b'], nested: { ok: true, n: null } } },
      { context: { user_id: 'u1', project_id: 'p1', roles: ['admin'], is_admin: true, request_id: 'req-1' } },
    );
    assert.deepEqual(result, { echoed: { service: { id: 7, host: 'h', tags: ['a', 'b'], nested: { ok: true, n: null } } }, user: 'u1' });
    assert.equal(seen.length, 1);
    const req = seen[0];
    assert.equal(req.kind, 'call');
    assert.equal(req.topic, topic);
    assert.equal(req.server, undefined);
    assert.equal(req.namespace, 'compute_task');
    assert.equal(req.version, '1.17');
    assert.equal(req.method, 'service_update');
    assert.deepEqual(req.context, { user_id: 'u1', project_id: 'p1', roles: ['admin'], is_admin: true, request_id: 'req-1' });
  });

  it('call: a handler returning nothing answers null', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    await server.serve(topic, 'host1', async () => undefined);
    const client = await h.makeBus();
    assert.equal(await client.call({ topic }, 'noop', {}), null);
  });

  it('call: a registered NovaError subclass is raised again with its class and message', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    await server.serve(topic, 'host1', dispatchTable({
      get: () => {
        throw new NotFound('x');
      },
      get_instance: () => {
        throw new InstanceNotFound('Instance 42 could not be found.');
      },
    }));
    const client = await h.makeBus();
    await assert.rejects(client.call({ topic }, 'get', {}), (err: unknown) => {
      assert.ok(err instanceof NotFound, String(err));
      assert.equal(err.message, 'x');
      assert.equal(err.code, 404);
      assert.equal(err.name, 'NotFound');
      return true;
    });
    await assert.rejects(client.call({ topic }, 'get_instance', {}), (err: unknown) => {
      assert.ok(err instanceof InstanceNotFound);
      assert.equal(err.message, 'Instance 42 could not be found.');
      return true;
    });
  });

  it('call: an unknown class arrives as RemoteError with class name and message', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    await server.serve(topic, 'host1', dispatchTable({
      boom: () => {
        throw new UnregisteredProblem('it broke');
      },
      type_error: () => {
        throw new TypeError('cannot read properties of undefined');
      },
    }));
    const client = await h.makeBus();
    await assert.rejects(client.call({ topic }, 'boom', {}), (err: unknown) => {
      assert.ok(err instanceof RemoteError, String(err));
      assert.equal(err.excType, 'UnregisteredProblem');
      assert.equal(err.value, 'it broke');
      assert.match(err.message, /UnregisteredProblem it broke/);
      assert.doesNotMatch(err.message, /at .*\.js/); // no stack trace crossed the wire
      return true;
    });
    await assert.rejects(client.call({ topic }, 'type_error', {}), (err: unknown) => err instanceof RemoteError && err.excType === 'TypeError');
  });

  it('call: an unknown method fails with NoSuchMethod', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    await server.serve(topic, 'host1', dispatchTable({ known: () => 1 }));
    const client = await h.makeBus();
    await assert.rejects(client.call({ topic }, 'unknown_method', {}), (err: unknown) => {
      assert.ok(err instanceof NoSuchMethod, String(err));
      assert.match(err.message, /unknown_method/);
      return true;
    });
  });

  it('call: MessagingTimeout when no server answers', async () => {
    const topic = h.topic('scheduler');
    const client = await h.makeBus();
    const started = Date.now();
    await assert.rejects(client.call({ topic }, 'select_destinations', {}, { timeoutMs: 300 }), (err: unknown) => {
      assert.ok(err instanceof MessagingTimeout, String(err));
      assert.match(err.message, new RegExp(`timed out after 0.3 s waiting for a reply to ${topic}.select_destinations`));
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 2_000, `elapsed ${elapsed}`);
  });

  it('call: the default timeout is rpc_response_timeout', async () => {
    const client = await h.makeBus({ rpcResponseTimeoutMs: 200 });
    await assert.rejects(client.call({ topic: h.topic() }, 'm', {}), MessagingTimeout);
  });

  it('cast: each cast reaches exactly one server of the topic (round-robin)', async () => {
    const topic = h.topic('compute');
    const got: Record<string, number[]> = { a: [], b: [] };
    const a = await h.makeBus();
    const b = await h.makeBus();
    await a.serve(topic, 'hostA', async (req) => void got.a.push(req.args.n as number));
    await b.serve(topic, 'hostB', async (req) => void got.b.push(req.args.n as number));
    const client = await h.makeBus();
    for (let n = 0; n < 40; n++) await client.cast({ topic }, 'work', { n });
    await waitUntil(() => got.a.length + got.b.length >= 40, 5_000, 'all casts');
    await sleep(100);
    const all = [...got.a, ...got.b].sort((x, y) => x - y);
    assert.deepEqual(all, Array.from({ length: 40 }, (_, i) => i));
    assert.ok(got.a.length > 0 && got.b.length > 0, `both servers got work: ${got.a.length}/${got.b.length}`);
  });

  it('cast and call to topic.server reach that host only', async () => {
    const topic = h.topic('compute');
    const hits: string[] = [];
    const a = await h.makeBus();
    const b = await h.makeBus();
    await a.serve(topic, 'hostA', async (req) => {
      hits.push(`A:${req.method}:${req.server ?? '-'}:${req.kind}`);
      return 'A';
    });
    await b.serve(topic, 'hostB', async (req) => {
      hits.push(`B:${req.method}:${req.server ?? '-'}:${req.kind}`);
      return 'B';
    });
    const client = await h.makeBus();
    for (let i = 0; i < 10; i++) await client.cast({ topic, server: 'hostB' }, 'start_instance', { i });
    for (let i = 0; i < 5; i++) assert.equal(await client.call({ topic, server: 'hostB' }, 'get_console', {}), 'B');
    await waitUntil(() => hits.length >= 15, 5_000, 'casts to hostB');
    await sleep(100);
    assert.equal(hits.length, 15);
    assert.deepEqual(new Set(hits), new Set(['B:start_instance:hostB:cast', 'B:get_console:hostB:call']));
  });

  it('fanoutCast reaches every server of the topic, and only them', async () => {
    const topic = h.topic('scheduler');
    const other = h.topic('other');
    const got: string[] = [];
    const buses = [await h.makeBus(), await h.makeBus(), await h.makeBus()];
    await buses[0].serve(topic, 'h0', async (req) => void got.push(`h0:${req.kind}:${req.args.agg as string}`));
    await buses[1].serve(topic, 'h1', async (req) => void got.push(`h1:${req.kind}:${req.args.agg as string}`));
    await buses[2].serve(other, 'h2', async () => void got.push('other'));
    const client = await h.makeBus();
    await client.fanoutCast(topic, 'update_aggregates', { agg: 'x' });
    await waitUntil(() => got.length >= 2, 5_000, 'fanout to both servers');
    await sleep(150);
    assert.deepEqual(got.sort(), ['h0:fanout:x', 'h1:fanout:x']);
  });

  it('fanoutCast with no server is not an error', async () => {
    const client = await h.makeBus();
    await client.fanoutCast(h.topic(), 'update_aggregates', {});
  });

  it('messages sent before a server starts are delivered once it serves', async () => {
    const topic = h.topic('conductor');
    const client = await h.makeBus();
    await client.cast({ topic }, 'early', { n: 1 });
    await client.cast({ topic, server: 'late-host' }, 'early_to_host', { n: 2 });
    const pendingCall = client.call<string>({ topic }, 'early_call', {}, { timeoutMs: 10_000 });
    await sleep(200);
    const got: string[] = [];
    const server = await h.makeBus();
    await server.serve(topic, 'late-host', async (req) => {
      got.push(req.method);
      return 'served late';
    });
    assert.equal(await pendingCall, 'served late');
    await waitUntil(() => got.length >= 3, 5_000, 'held messages');
    assert.deepEqual(got.sort(), ['early', 'early_call', 'early_to_host']);
  });

  it('a call request that expired before any server came up is not handled', async () => {
    const topic = h.topic();
    const client = await h.makeBus();
    await assert.rejects(client.call({ topic }, 'stale', {}, { timeoutMs: 100 }), MessagingTimeout);
    await sleep(100);
    const got: string[] = [];
    const server = await h.makeBus();
    await server.serve(topic, 'h', async (req) => void got.push(req.method));
    await client.cast({ topic }, 'fresh', {});
    await waitUntil(() => got.includes('fresh'), 5_000, 'fresh cast');
    assert.deepEqual(got, ['fresh']);
  });

  it('close() lets an in-flight handler finish and its reply reach the caller', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    let finished = false;
    let started = false;
    await server.serve(topic, 'h', async () => {
      started = true;
      await sleep(400);
      finished = true;
      return 'done';
    });
    const client = await h.makeBus();
    const call = client.call({ topic }, 'slow', {});
    await waitUntil(() => started, 5_000, 'handler start');
    await server.close(5_000);
    assert.equal(finished, true, 'close() waited for the handler');
    assert.equal(await call, 'done');
    // A stopped server takes no new work: the message waits in the queue for the next server.
    const later: string[] = [];
    await client.cast({ topic }, 'after_close', {});
    await sleep(200);
    const next = await h.makeBus();
    await next.serve(topic, 'h2', async (req) => void later.push(req.method));
    await waitUntil(() => later.length === 1, 5_000, 'cast held for the next server');
  });

  it('a draining handler can still call other services', async () => {
    const topicA = h.topic('compute');
    const topicB = h.topic('conductor');
    const conductor = await h.makeBus();
    await conductor.serve(topicB, 'c', async () => 'saved');
    const compute = await h.makeBus();
    let started = false;
    await compute.serve(topicA, 'h', async () => {
      started = true;
      await sleep(200);
      return compute.call({ topic: topicB }, 'object_action', {});
    });
    const api = await h.makeBus();
    const call = api.call({ topic: topicA }, 'build', {});
    await waitUntil(() => started, 5_000, 'handler start');
    await compute.close(5_000);
    assert.equal(await call, 'saved');
  });

  it('close() bounds the drain and fails pending calls; a closed bus refuses to send', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    await server.serve(topic, 'h', async () => sleep(5_000));
    const client = await h.makeBus();
    const pending = client.call({ topic: h.topic('nobody') }, 'never', {}, { timeoutMs: 30_000 }).then(() => null, (e: unknown) => e);
    const t0 = Date.now();
    void client.call({ topic }, 'slow', {}, { timeoutMs: 30_000 }).catch(() => undefined);
    await sleep(100);
    await server.close(200);
    assert.ok(Date.now() - t0 < 3_000, 'drain was bounded');
    await client.close(100);
    const err = await pending;
    assert.ok(err instanceof MessageDeliveryFailure && /closed while waiting for a reply/.test(err.message), String(err));
    await assert.rejects(client.cast({ topic }, 'm', {}), MessageDeliveryFailure);
    await assert.rejects(client.call({ topic }, 'm', {}), MessageDeliveryFailure);
  });

  it('arguments and results go through JSON: dates become strings, undefined fields vanish', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    let received: Record<string, unknown> = {};
    await server.serve(topic, 'h', async (req) => {
      received = req.args;
      return { at: new Date('2024-01-02T03:04:05.000Z'), gone: undefined, list: [1, undefined] };
    });
    const client = await h.makeBus();
    const when = new Date('2024-05-06T07:08:09.010Z');
    const result = await client.call({ topic }, 'm', { when, missing: undefined, kept: null, big: 2 ** 40 });
    assert.deepEqual(received, { when: '2024-05-06T07:08:09.010Z', kept: null, big: 2 ** 40 });
    assert.ok(!('missing' in received));
    assert.deepEqual(result, { at: '2024-01-02T03:04:05.000Z', list: [1, null] });
  });

  it('arguments that cannot be serialized fail the send with a clear error', async () => {
    const client = await h.makeBus();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(client.cast({ topic: h.topic() }, 'm', { cyclic }), (err: unknown) =>
      err instanceof MessageDeliveryFailure && /cannot serialize the arguments/.test(err.message));
    await assert.rejects(client.call({ topic: h.topic() }, 'm', { n: 1n }), MessageDeliveryFailure);
  });

  it('a result that cannot be serialized comes back as a remote error', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    await server.serve(topic, 'h', async () => ({ n: 1n }));
    const client = await h.makeBus();
    await assert.rejects(client.call({ topic }, 'm', {}), (err: unknown) => err instanceof RemoteError && err.excType === 'TypeError');
  });

  it('a failing cast handler does not stop the server', async () => {
    const topic = h.topic();
    const server = await h.makeBus();
    const got: number[] = [];
    await server.serve(topic, 'h', async (req) => {
      if (req.args.n === 1) throw new Error('bad one');
      got.push(req.args.n as number);
    });
    const client = await h.makeBus();
    for (const n of [1, 2, 3]) await client.cast({ topic }, 'm', { n });
    await waitUntil(() => got.length === 2, 5_000, 'casts after the failure');
    assert.ok(h.logs.some((l) => /bad one/.test(l)), 'the failure was logged');
  });
});
