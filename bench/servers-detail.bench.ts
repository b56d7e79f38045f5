/**
 * GET /v2.1/servers/detail throughput and latency with 0, 100 and 1,000 ACTIVE servers in the
 * caller's project (one page: [api] max_limit is 1000), on SQLite + in-process bus and on MariaDB +
 * RabbitMQ, `nova --role=all` with the fake driver. autocannon, BENCH_CONNECTIONS (10)
 * connections, BENCH_SECONDS (8) s per row after a discarded warm-up run of the same length.
 *
 * How to reproduce (the mysql rows need MariaDB and RabbitMQ like the tests):
 *   npm run build
 *   BENCH_ENGINES=sqlite node dist/bench/servers-detail.bench.js
 *   flock /tmp/nova-mysql.lock env BENCH_ENGINES=mysql node dist/bench/servers-detail.bench.js
 * or `npm run bench:servers-detail` for both in one go.
 */
import autocannon from 'autocannon';
import { backendName, benchEngines, bootMany, startBenchCloud } from './bench-cloud';

const DURATION_SEC = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SIZES = (process.env.BENCH_SIZES ?? '0,100,1000').split(',').map(Number);
const TOKEN = 'admin:admin';

interface Row {
  backend: string;
  servers: number;
  rps: number;
  p50: number;
  p99: number;
  kb: number;
  errors: number;
}

async function load(url: string): Promise<{ rps: number; p50: number; p99: number; kb: number; errors: number }> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_SEC, headers: { 'X-Auth-Token': TOKEN } });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, kb: r.throughput.total / Math.max(1, r.requests.total) / 1024, errors: r.errors + r.non2xx };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const engine of benchEngines()) {
    const b = await startBenchCloud(engine);
    try {
      let have = 0;
      for (const size of [...SIZES].sort((x, y) => x - y)) {
        if (size > have) {
          const t0 = performance.now();
          await bootMany(b, size - have, { token: TOKEN, count: 50, parallel: 4, prefix: `n${size}` });
          console.error(`${engine}: ${size - have} servers booted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
          have = size;
        }
        const check = await b.cloud.request('GET', '/v2.1/servers/detail', { token: TOKEN });
        if (check.body.servers.length !== size) throw new Error(`expected ${size} servers, GET /servers/detail returned ${check.body.servers.length}`);
        const url = `${b.cloud.url}/v2.1/servers/detail`;
        await load(url); // warm-up, discarded
        rows.push({ backend: backendName(engine), servers: size, ...(await load(url)) });
      }
    } finally {
      await b.stop();
    }
  }
  console.log(`\nGET /v2.1/servers/detail (node ${process.version}; autocannon, ${CONNECTIONS} connections, ${DURATION_SEC} s per row after a warm-up; nova --role=all)\n`);
  console.log('| backend | servers | requests/s | median (ms) | p99 (ms) | response (KB) | errors |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.backend} | ${r.servers.toLocaleString('en-US')} | ${r.rps < 10 ? r.rps.toFixed(1) : Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.kb.toFixed(0)} | ${r.errors} |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
