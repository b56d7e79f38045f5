/**
 * Server boot benchmarks against the real binary (fake driver, unlimited quotas):
 *  (a) one POST /servers → ACTIVE, 50 sequential boots on SQLite + in-process bus, all-in-one;
 *      the client polls GET /servers/{id} every BENCH_POLL_MS (2 ms); the compute's view is the
 *      server's launched_at (ms precision; instance action events only have seconds);
 *  (b) BENCH_SERVERS (200) servers, BENCH_CONCURRENCY (20) boots in flight (each worker POSTs one
 *      server and polls it every BENCH_BULK_POLL_MS (20 ms) until ACTIVE), on SQLite + in-process
 *      (all-in-one), MariaDB + RabbitMQ all-in-one, and MariaDB + RabbitMQ one process per role;
 *  (d) RSS/PSS of `nova --role=all` idle (5 s after start) and after (b).
 *
 * How to reproduce (needs MariaDB and RabbitMQ like the tests for the mysql rows):
 *   npm run build
 *   BENCH_ENGINES=sqlite node dist/bench/boot.bench.js
 *   flock /tmp/nova-mysql.lock env BENCH_ENGINES=mysql node dist/bench/boot.bench.js
 * or `npm run bench:boot` for both in one go.
 */
import { Engine } from '../test/utils/databases';
import { backendName, BenchCloud, benchEngines, Layout, memoryMb, percentile, sleep, startBenchCloud } from './bench-cloud';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 50);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 2);
const SERVERS = Number(process.env.BENCH_SERVERS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const BULK_POLL_MS = Number(process.env.BENCH_BULK_POLL_MS ?? 20);
const IDLE_MS = 5000;
const TOKEN = 'bench:bench';

/** Parses Nova's microsecond timestamps (UTC, no zone). */
const ts = (s: string) => Date.parse(s.endsWith('Z') ? s : `${s}Z`);

/**
 * Boots one server and waits for ACTIVE. `ms`: client time from sending the POST until a GET shows
 * ACTIVE; `launchedMs`: from sending the POST until the compute's `launched_at` (same clock, ms
 * precision), i.e. the boot as the compute saw it finish, without the polling delay.
 */
async function bootOne(b: BenchCloud, name: string, pollMs: number): Promise<{ ms: number; launchedMs: number; polls: number }> {
  const wall0 = Date.now();
  const t0 = performance.now();
  const r = await b.cloud.request('POST', '/v2.1/servers', { token: TOKEN, body: { server: { name, imageRef: b.image, flavorRef: b.flavor } } });
  if (r.status !== 202) throw new Error(`POST /servers: ${r.status} ${r.text}`);
  const id = r.body.server.id as string;
  let polls = 0;
  for (;;) {
    const s = await b.cloud.request('GET', `/v2.1/servers/${id}`, { token: TOKEN });
    polls++;
    const server = s.body?.server;
    if (server?.status === 'ACTIVE') {
      const ms = performance.now() - t0;
      return { ms, launchedMs: ts(server['OS-SRV-USG:launched_at']) - wall0, polls };
    }
    if (server?.status === 'ERROR') throw new Error(`server ${name} went to ERROR: ${JSON.stringify(server.fault)}`);
    if (pollMs > 0) await sleep(pollMs);
  }
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(1) : ms.toFixed(0));

async function sequential(): Promise<string[]> {
  const b = await startBenchCloud('sqlite');
  try {
    for (let i = 0; i < 3; i++) await bootOne(b, `warm-${i}`, POLL_MS); // warm-up, discarded
    const runs = [];
    for (let i = 0; i < SEQUENTIAL; i++) runs.push(await bootOne(b, `seq-${i}`, POLL_MS));
    const row = (label: string, xs: number[]) => `| ${label} | ${fmt(percentile(xs, 50))} | ${fmt(percentile(xs, 90))} | ${fmt(Math.min(...xs))} | ${fmt(Math.max(...xs))} |`;
    const rows = [
      row('client: POST sent → a GET shows ACTIVE', runs.map((r) => r.ms)),
      row('compute: POST sent → launched_at', runs.map((r) => r.launchedMs)),
    ];
    const polls = runs.map((r) => r.polls);
    rows.push(`\n(${SEQUENTIAL} sequential boots after 3 warm-up boots; GET every ${POLL_MS} ms, median ${percentile(polls, 50)} GETs per boot)`);
    return rows;
  } finally {
    await b.stop();
  }
}

interface BulkResult {
  label: string;
  seconds: number;
  perSec: number;
  p50: number;
  p90: number;
  memory: Array<{ roles: string; idle: { rss: number; pss: number }; after: { rss: number; pss: number } }>;
}

async function bulk(engine: Engine, layout: Layout): Promise<BulkResult> {
  const b = await startBenchCloud(engine, layout);
  try {
    await sleep(IDLE_MS);
    const idle = b.procs.map((p) => ({ roles: p.roles, m: memoryMb(p.proc.pid) }));
    await bootOne(b, 'warm', BULK_POLL_MS);
    let next = 0;
    const times: number[] = [];
    const t0 = performance.now();
    const worker = async () => {
      while (next < SERVERS) {
        const i = next++;
        times.push((await bootOne(b, `bulk-${i}`, BULK_POLL_MS)).ms);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - t0) / 1000;
    const after = b.procs.map((p) => memoryMb(p.proc.pid));
    return {
      label: `${backendName(engine)}, ${layout === 'all-in-one' ? 'nova --role=all' : 'one process per role'}`,
      seconds,
      perSec: SERVERS / seconds,
      p50: percentile(times, 50),
      p90: percentile(times, 90),
      memory: idle.map((x, i) => ({ roles: x.roles, idle: x.m, after: after[i] })),
    };
  } finally {
    await b.stop();
  }
}

async function main(): Promise<void> {
  const engines = benchEngines();
  const out: string[] = [];
  if (engines.includes('sqlite')) {
    out.push('\n(a) one server POST → ACTIVE, SQLite + in-process bus, nova --role=all (ms)\n');
    out.push('| measure | median | p90 | min | max |', '|---|---:|---:|---:|---:|');
    out.push(...(await sequential()));
  }
  const bulks: BulkResult[] = [];
  if (engines.includes('sqlite')) bulks.push(await bulk('sqlite', 'all-in-one'));
  if (engines.includes('mysql')) {
    bulks.push(await bulk('mysql', 'all-in-one'));
    bulks.push(await bulk('mysql', 'per-role'));
  }
  out.push(`\n(b) ${SERVERS} servers, ${CONCURRENCY} boots in flight (each polled every ${BULK_POLL_MS} ms), until all ACTIVE\n`);
  out.push('| backend | wall time | servers/s | per-server median | per-server p90 |', '|---|---:|---:|---:|---:|');
  for (const r of bulks) out.push(`| ${r.label} | ${r.seconds.toFixed(1)} s | ${r.perSec.toFixed(1)} | ${fmt(r.p50)} ms | ${fmt(r.p90)} ms |`);
  out.push(`\n(d) memory (MB): idle ${IDLE_MS / 1000} s after start, and after (b)\n`);
  out.push('| backend | process | RSS idle | PSS idle | RSS after | PSS after |', '|---|---|---:|---:|---:|---:|');
  for (const r of bulks) {
    for (const m of r.memory) out.push(`| ${r.label} | ${m.roles} | ${m.idle.rss.toFixed(0)} | ${m.idle.pss.toFixed(0)} | ${m.after.rss.toFixed(0)} | ${m.after.pss.toFixed(0)} |`);
  }
  console.log(`\nServer boot benchmark (node ${process.version})`);
  console.log(out.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
