/**
 * Start-up time and resident memory of `nova --role=all` (SQLite + in-process bus, fake driver):
 * time from spawn until the Compute API answers, and RSS/PSS after it has idled.
 * Run: npm run build && node dist/bench/footprint.bench.js
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOVA_BIN, runNova } from '../test/utils/nova-process';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 5000);

function memoryKb(pid: number): { rss: number; pss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  let pss = 0;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    pss = 0;
  }
  return { rss, pss };
}

async function once(port: number): Promise<{ startMs: number; rssMb: number; pssMb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'nova-footprint-'));
  const conf = join(dir, 'nova.conf');
  writeFileSync(conf, `[DEFAULT]\nstate_path = ${dir}\nosapi_compute_listen = 127.0.0.1\nosapi_compute_listen_port = ${port}\n[api]\nauth_strategy = noauth2\n`);
  if (runNova(['db', 'sync', '--config-file', conf]).code !== 0) throw new Error('db sync failed');
  const t0 = performance.now();
  const child = spawn(process.execPath, [NOVA_BIN, '--role=all', '--config-file', conf], { stdio: 'ignore' });
  try {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`);
        if (r.status === 200) break;
      } catch {
        // not listening yet
      }
      if (performance.now() - t0 > 30_000) throw new Error('the API did not answer within 30 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    const startMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const m = memoryKb(child.pid!);
    return { startMs, rssMb: m.rss / 1024, pssMb: m.pss / 1024 };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await once(18900 + i));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`\nnova --role=all footprint (node ${process.version}; ${RUNS} runs; memory after ${IDLE_MS / 1000} s idle)\n`);
  console.log('| measure | median | min | max |');
  console.log('|---|---:|---:|---:|');
  for (const [name, key, unit] of [['start-up until the API answers', 'startMs', 'ms'], ['resident memory (RSS)', 'rssMb', 'MB'], ['proportional memory (PSS)', 'pssMb', 'MB']] as const) {
    const xs = results.map((r) => r[key]);
    console.log(`| ${name} | ${median(xs).toFixed(0)} ${unit} | ${Math.min(...xs).toFixed(0)} ${unit} | ${Math.max(...xs).toFixed(0)} ${unit} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
