/**
 * Runs bus tests against both transports (house rule 11: in-process and RabbitMQ, never a mock).
 *
 *   forEachBus('conductor RPC', (h) => {
 *     it('answers', async () => {
 *       const server = await h.makeBus();
 *       const topic = h.topic('conductor');          // unique per run: no interference
 *       await server.serve(topic, 'host1', dispatchTable({ ping: (a) => a }));
 *       const client = await h.makeBus();
 *       assert.deepEqual(await client.call({ topic }, 'ping', { x: 1 }), { x: 1 });
 *     });
 *   });
 *
 * Each `forEachBus` block is a `describe` per transport. Buses made by one harness share the
 * in-process broker (inproc) or a control exchange `nova_test_<random>` (rabbit), like processes
 * of one deployment. After the block, every bus is closed and (rabbit) every queue and exchange
 * the block used is deleted. Set NOVA_TEST_RABBIT to use another broker, NOVA_TEST_VERBOSE=1
 * to see the buses' logs.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, describe } from 'node:test';
import { Connection } from 'rabbitmq-client';
import type { MessageBus, RpcDispatcher, RpcRequest } from '../../src/rpc/message-bus';
import type { BusLogger } from '../../src/rpc/envelope';
import { InProcessBroker, InProcessBus } from '../../src/rpc/inproc.bus';
import { AmqpBus, AmqpBusOptions } from '../../src/rpc/amqp.bus';
import { NoSuchMethod } from '../../src/rpc/rpc-errors';

export const RABBIT_URL = process.env.NOVA_TEST_RABBIT ?? 'rabbit://guest:guest@127.0.0.1:5672/';
export type BusName = 'inproc' | 'rabbit';
export const BUS_NAMES: readonly BusName[] = ['inproc', 'rabbit'];

export interface MakeBusOptions {
  rpcResponseTimeoutMs?: number;
  /** rabbit only */
  prefetch?: number;
  /** rabbit only */
  sendRetryMs?: number;
}

export interface BusHarness {
  readonly name: BusName;
  /** rabbit: `nova_test_<random>`; inproc: unused. */
  readonly controlExchange: string;
  /** A new bus: one "process" of the deployment. Closed by the harness afterwards. */
  makeBus(options?: MakeBusOptions): Promise<MessageBus>;
  /** A topic name unique to this run, e.g. `t1a2b3c4_conductor_5`. */
  topic(base?: string): string;
  /** What the buses logged (warnings included). */
  readonly logs: string[];
  /** rabbit: the AMQP options a bus of this harness gets (for transport-specific tests). */
  amqpOptions(extra?: Partial<AmqpBusOptions>): AmqpBusOptions;
  /** Has a bus made elsewhere closed (and its queues deleted) by cleanup. */
  adopt<T extends MessageBus>(bus: T): T;
  /** rabbit: the broker's id of the bus's current connection (for `rabbitmqctl close_connection`). */
  brokerConnection(bus: MessageBus): Promise<string>;
  cleanup(): Promise<void>;
}

/** Defines `describe(`${title} [${name}]`)` for each transport, with cleanup. */
export function forEachBus(title: string, body: (h: BusHarness) => void, only: readonly BusName[] = BUS_NAMES): void {
  for (const name of only) {
    describe(`${title} [${name}]`, () => {
      const h = createHarness(name);
      after(() => h.cleanup());
      body(h);
    });
  }
}

export function createHarness(name: BusName): BusHarness {
  const id = randomBytes(4).toString('hex');
  const controlExchange = `nova_test_${id}`;
  const prefix = `t${id}_`;
  const broker = new InProcessBroker();
  const buses: MessageBus[] = [];
  const logs: string[] = [];
  const queues = new Set<string>();
  const exchanges = new Set<string>([controlExchange]);
  let n = 0;
  const logger: BusLogger = {
    log: (m) => record('log', m),
    warn: (m) => record('warn', m),
    error: (m) => record('error', m),
  };
  function record(level: string, message: string): void {
    logs.push(`${level}: ${message}`);
    if (process.env.NOVA_TEST_VERBOSE) console.log(`[bus ${name}] ${level}: ${message}`);
  }
  const connectionNames = new Map<MessageBus, string>();
  const amqpOptions = (extra: Partial<AmqpBusOptions> = {}): AmqpBusOptions => ({
    transportUrl: RABBIT_URL,
    controlExchange,
    durableQueues: true,
    transientQueuesTtlSec: 600,
    connectionName: `nova-test-${id}-${++n}`,
    logger,
    ...extra,
  });
  const track = (bus: MessageBus): MessageBus => {
    // Remember every queue the bus touches so cleanup can delete it (rabbit queues are durable).
    const note = (topic: string, server?: string): void => {
      queues.add(topic);
      if (server) queues.add(`${topic}.${server}`);
      exchanges.add(`${topic}_fanout`);
    };
    const { serve, call, cast, fanoutCast } = bus;
    bus.serve = (topic, server, dispatch) => (note(topic, server), serve.call(bus, topic, server, dispatch));
    bus.call = (target, method, args, options) => (note(target.topic, target.server), call.call(bus, target, method, args, options)) as never;
    bus.cast = (target, method, args, options) => (note(target.topic, target.server), cast.call(bus, target, method, args, options));
    bus.fanoutCast = (topic, method, args, options) => (note(topic), fanoutCast.call(bus, topic, method, args, options));
    buses.push(bus);
    return bus;
  };
  return {
    name,
    controlExchange,
    logs,
    amqpOptions,
    topic(base = 'topic') {
      const t = `${prefix}${base}_${++n}`;
      queues.add(t);
      return t;
    },
    async makeBus(options = {}) {
      if (name === 'inproc') {
        return track(new InProcessBus(broker, { rpcResponseTimeoutMs: options.rpcResponseTimeoutMs, logger }));
      }
      const amqp = amqpOptions({
        rpcResponseTimeoutMs: options.rpcResponseTimeoutMs,
        prefetch: options.prefetch,
        sendRetryMs: options.sendRetryMs,
      });
      const bus = track(await AmqpBus.connect(amqp));
      connectionNames.set(bus, amqp.connectionName as string);
      return bus;
    },
    adopt(bus) {
      track(bus);
      return bus;
    },
    async brokerConnection(bus) {
      const wanted = connectionNames.get(bus);
      if (!wanted) throw new Error('not a rabbit bus made by this harness');
      const out = await rabbitmqctl(['list_connections', '-q', '--no-table-headers', 'pid', 'client_properties']);
      const line = out.split('\n').find((l) => l.includes(`"${wanted}"`));
      if (!line) throw new Error(`no broker connection named ${wanted}`);
      return line.split('\t')[0];
    },
    async cleanup() {
      await Promise.all(buses.splice(0).map((b) => b.close(1_000).catch(() => undefined)));
      if (name === 'rabbit') await deleteFromBroker([...queues], [...exchanges]);
    },
  };
}

/** Deletes queues and exchanges (missing ones are fine). */
export async function deleteFromBroker(queues: string[], exchanges: string[], url: string = RABBIT_URL): Promise<void> {
  const conn = new Connection({ url: url.replace(/^rabbit:/, 'amqp:'), connectionTimeout: 3_000 });
  conn.on('error', () => undefined);
  try {
    await conn.onConnect(5_000);
    for (const queue of queues) await conn.queueDelete({ queue }).catch(() => undefined);
    for (const exchange of exchanges) await conn.exchangeDelete({ exchange }).catch(() => undefined);
  } catch {
    // broker down: nothing to clean
  } finally {
    await conn.close().catch(() => undefined);
  }
}

export type Handler = (args: Record<string, unknown>, request: RpcRequest) => unknown;

/** A dispatcher from a method table; unknown methods reject with NoSuchMethod. */
export function dispatchTable(handlers: Record<string, Handler>): RpcDispatcher {
  return async (request) => {
    const handler = Object.prototype.hasOwnProperty.call(handlers, request.method) ? handlers[request.method] : undefined;
    if (!handler) throw NoSuchMethod.forMethod(request.method, request.namespace);
    return handler(request.args, request);
  };
}

/** Polls until `check()` holds; throws with `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Runs rabbitmqctl (the broker's CLI) and returns stdout. */
export function rabbitmqctl(args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`rabbitmqctl ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** `rabbitmqctl list_<what> <columns> --formatter json`, parsed. */
export async function rabbitList<T = Record<string, unknown>>(what: 'queues' | 'exchanges' | 'bindings' | 'consumers', columns: string[]): Promise<T[]> {
  const out = await rabbitmqctl([`list_${what}`, '-q', '--formatter', 'json', ...columns]);
  return JSON.parse(out) as T[];
}
