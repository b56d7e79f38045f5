/**
 * RPC bus benchmark: `call` round-trip latency and `cast` throughput on both transports.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/rpc.bench.js [--calls 2000] [--casts 10000]
 *
 * Calls are sequential (one in flight) after a warm-up; casts keep a window of 256 in flight and
 * are counted when the server has received them. RabbitMQ at NOVA_BENCH_RABBIT_URL (default
 * rabbit://guest:guest@127.0.0.1:5672/), with a throw-away control exchange and topic.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { MessageBus } from '../src/rpc/message-bus';
import type { BusLogger } from '../src/rpc/envelope';
import { InProcessBroker, InProcessBus } from '../src/rpc/inproc.bus';
import { AmqpBus } from '../src/rpc/amqp.bus';
import { deleteFromBroker } from '../test/utils/buses';

const RABBIT_URL = process.env.NOVA_BENCH_RABBIT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';
const quiet: BusLogger = { log: () => undefined, warn: (m) => console.error(`warn: ${m}`), error: (m) => console.error(`error: ${m}`) };

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Result {
  transport: string;
  calls: number;
  median: number;
  p99: number;
  callsPerSec: number;
  casts: number;
  castsPerSec: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function run(transport: string, server: MessageBus, client: MessageBus, topic: string, calls: number, casts: number): Promise<Result> {
  let received = 0;
  let onAllReceived: () => void = () => undefined;
  await server.serve(topic, 'bench-host', async (req) => {
    if (req.method === 'cast') {
      if (++received === casts) onAllReceived();
      return null;
    }
    return req.args;
  });
  const payload = { instance: { uuid: randomBytes(16).toString('hex'), vm_state: 'active', flavor: { vcpus: 2, memory_mb: 2048 } } };

  for (let i = 0; i < 200; i++) await client.call({ topic }, 'echo', payload);
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const s = performance.now();
    await client.call({ topic }, 'echo', payload);
    latencies.push(performance.now() - s);
  }
  const callSeconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);

  const allReceived = new Promise<void>((resolve) => (onAllReceived = resolve));
  const c0 = performance.now();
  const window = new Set<Promise<void>>();
  for (let n = 0; n < casts; n++) {
    const p: Promise<void> = client.cast({ topic }, 'cast', { n, ...payload }).finally(() => window.delete(p));
    window.add(p);
    if (window.size >= 256) await Promise.race(window);
  }
  await Promise.all(window);
  await allReceived;
  const castSeconds = (performance.now() - c0) / 1000;

  return {
    transport,
    calls,
    median: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    callsPerSec: calls / callSeconds,
    casts,
    castsPerSec: casts / castSeconds,
  };
}

async function main(): Promise<void> {
  const calls = arg('calls', 2_000);
  const casts = arg('casts', 10_000);
  const id = randomBytes(4).toString('hex');
  const results: Result[] = [];

  const broker = new InProcessBroker();
  const a = new InProcessBus(broker, { logger: quiet });
  const b = new InProcessBus(broker, { logger: quiet });
  results.push(await run('in-process', a, b, `bench_${id}`, calls, casts));
  await Promise.all([a.close(), b.close()]);

  const controlExchange = `nova_bench_${id}`;
  const topic = `bench_${id}`;
  let server: AmqpBus | undefined;
  let client: AmqpBus | undefined;
  try {
    server = await AmqpBus.connect({ transportUrl: RABBIT_URL, controlExchange, logger: quiet });
    client = await AmqpBus.connect({ transportUrl: RABBIT_URL, controlExchange, logger: quiet });
    results.push(await run('RabbitMQ (durable, persistent, confirms)', server, client, topic, calls, casts));
  } catch (err) {
    console.error(`RabbitMQ skipped: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await Promise.all([server?.close(2_000), client?.close(2_000)]);
    await deleteFromBroker([topic, `${topic}.bench-host`], [controlExchange, `${topic}_fanout`], RABBIT_URL);
  }

  const f = (x: number, d = 3): string => x.toFixed(d);
  console.log(`\nRPC bus benchmark (node ${process.version}; ${calls} sequential calls after 200 warm-up; ${casts} casts, 256 in flight)\n`);
  console.log('| transport | call median (ms) | call p99 (ms) | sequential calls/s | casts/s (received) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.transport} | ${f(r.median)} | ${f(r.p99)} | ${f(r.callsPerSec, 0)} | ${f(r.castsPerSec, 0)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
