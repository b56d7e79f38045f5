/**
 * Compute API throughput and latency, on SQLite (+ in-process bus) and MariaDB (+ RabbitMQ):
 * requests/s, median and p99 of read-heavy endpoints against the real binary.
 * Run: npm run build && node dist/bench/api.bench.js   (needs MariaDB and RabbitMQ like the tests)
 */
import autocannon from 'autocannon';
import { BACKENDS, startCloud } from '../test/utils/cloud';

const DURATION_SEC = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const FLAVORS = 25;

interface Row {
  backend: string;
  path: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_SEC, headers: { 'X-Auth-Token': 'admin:admin' } });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const backend of BACKENDS) {
    const cloud = await startCloud(backend);
    try {
      for (let i = 0; i < FLAVORS; i++) {
        await cloud.request('POST', '/v2.1/flavors', { body: { flavor: { name: `bench-${i}`, ram: 512 * (i + 1), vcpus: 1 + (i % 8), disk: i, id: `b${i}` } } });
      }
      for (const path of ['/v2.1/flavors/detail', '/v2.1/os-services', '/v2.1/limits']) {
        await load(cloud.url + path); // warm-up run, discarded
        rows.push({ backend, path, ...(await load(cloud.url + path)) });
      }
    } finally {
      await cloud.stop();
    }
  }
  console.log(`\nCompute API benchmark (node ${process.version}; ${CONNECTIONS} connections, ${DURATION_SEC} s per row after a warm-up; ${FLAVORS} flavors)\n`);
  console.log('| backend | request | requests/s | median (ms) | p99 (ms) | errors |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const r of rows) {
    const name = r.backend === 'sqlite' ? 'SQLite + in-process' : 'MariaDB + RabbitMQ';
    console.log(`| ${name} | GET ${r.path} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
