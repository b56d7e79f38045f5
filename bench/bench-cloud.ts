/**
 * Shared helpers of the server benchmarks (boot.bench.ts, servers-detail.bench.ts): the real binary
 * with a fake hypervisor large enough for thousands of servers and unlimited quotas, either all
 * roles in one process (`all-in-one`) or one process per role (`per-role`: api, conductor,
 * scheduler, compute; MariaDB + RabbitMQ only, since the in-process bus cannot cross processes).
 * Not a benchmark itself: run boot.bench.ts or servers-detail.bench.ts.
 */
import { readFileSync } from 'node:fs';
import { Cloud, cloudConfLines } from '../test/utils/cloud';
import { createTestDatabases, Engine } from '../test/utils/databases';
import { NovaProcess, runNova, writeConf } from '../test/utils/nova-process';

export type Layout = 'all-in-one' | 'per-role';

export const HOST = 'bench';

export interface BenchCloud {
  cloud: Cloud;
  /** Every nova process, by role list. */
  procs: Array<{ roles: string; proc: NovaProcess }>;
  image: string;
  flavor: string;
  stop(): Promise<void>;
}

/** Engines from BENCH_ENGINES (comma-separated `sqlite,mysql`), default both. */
export function benchEngines(): Engine[] {
  const list = (process.env.BENCH_ENGINES ?? 'sqlite,mysql').split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of list) if (e !== 'sqlite' && e !== 'mysql') throw new Error(`BENCH_ENGINES: unknown engine ${e}`);
  return list as Engine[];
}

export const backendName = (e: Engine) => (e === 'sqlite' ? 'SQLite + in-process bus' : 'MariaDB + RabbitMQ');

export async function startBenchCloud(engine: Engine, layout: Layout = 'all-in-one'): Promise<BenchCloud> {
  if (layout === 'per-role' && engine === 'sqlite') throw new Error('per-role needs RabbitMQ (mysql)');
  const dbs = await createTestDatabases(engine);
  const lines = cloudConfLines(engine, dbs, 'nova_bench');
  lines.push('[quota]', 'instances = -1', 'cores = -1', 'ram = -1');
  lines.push('[fake_driver]', 'vcpus = 100000', 'memory_mb = 100000000', 'local_gb = 10000000');
  const conf = writeConf(dbs.statePath, 'nova.conf', lines.join('\n') + '\n');
  const sync = runNova(['db', 'sync', '--config-file', conf]);
  if (sync.code !== 0) throw new Error(`db sync failed: ${sync.stderr}`);

  // per-role: BENCH_COMPUTES (1) compute processes, hosts `bench`, `bench-2`, ... (one compute
  // service per process, as Nova runs them; the scheduler spreads the boots over them).
  const computes = layout === 'all-in-one' ? 0 : Math.max(1, Number(process.env.BENCH_COMPUTES ?? 1));
  const groups: Array<[string, string]> = layout === 'all-in-one'
    ? [['all', HOST]]
    : [['conductor', HOST], ['scheduler', HOST], ...Array.from({ length: computes }, (_, i): [string, string] => ['compute', i === 0 ? HOST : `${HOST}-${i + 1}`]), ['api', HOST]];
  const procs = groups.map(([roles, host]) => ({ roles, proc: new NovaProcess([`--role=${roles}`, '--config-file', conf, '--host', host]) }));
  const api = procs.find((p) => p.roles === 'all' || p.roles === 'api')!.proc;
  const stopAll = async () => {
    for (const p of [...procs].reverse()) await p.proc.stop('SIGTERM').catch(() => p.proc.stop('SIGKILL').catch(() => undefined));
  };
  try {
    const listenRe = /Compute API listening on http:\/\/127\.0\.0\.1:(\d+)\//;
    const imageRe = /built-in image service listening on 127\.0\.0\.1:(\d+)/;
    await api.waitForOutput(listenRe, 60_000);
    await api.waitForOutput(imageRe, 30_000);
    const cloud = new Cloud(`http://127.0.0.1:${listenRe.exec(api.output)![1]}`, conf, api, dbs, `http://127.0.0.1:${imageRe.exec(api.output)![1]}`);
    await cloud.waitForCompute(HOST);
    await waitForHypervisor(cloud);
    const image = await cloud.createImage('cirros');
    const flavor = await cloud.createFlavor('m1.tiny', 512, 1, 1);
    return {
      cloud,
      procs,
      image,
      flavor,
      stop: async () => {
        await stopAll();
        await cloud.stop();
      },
    };
  } catch (e) {
    await stopAll();
    await dbs.drop();
    throw e;
  }
}

/** Waits until the scheduler can see the fake node (the resource tracker reported it). */
async function waitForHypervisor(cloud: Cloud): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const r = await cloud.request('GET', '/v2.1/os-hypervisors/detail');
    if (r.status === 200 && r.body.hypervisors.some((h: { state: string; status: string }) => h.state === 'up' && h.status === 'enabled')) return;
    await sleep(100);
  }
  throw new Error(`no hypervisor came up:\n${cloud.output.split('\n').slice(-30).join('\n')}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Memory of a process in MB: resident (RSS) and proportional (PSS, from smaps_rollup). */
export function memoryMb(pid: number): { rss: number; pss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  let pss = 0;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    pss = 0;
  }
  return { rss: rss / 1024, pss: pss / 1024 };
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * Boots servers with POST /servers, `count` at a time (min_count = max_count), `parallel` requests
 * in flight, until `total` exist; then waits until none is building. Throws if any went to ERROR.
 */
export async function bootMany(b: BenchCloud, total: number, opts: { token?: string; count?: number; parallel?: number; prefix?: string } = {}): Promise<void> {
  const count = opts.count ?? 50;
  const parallel = opts.parallel ?? 4;
  const token = opts.token ?? 'admin:admin';
  let left = total;
  let n = 0;
  const worker = async () => {
    while (left > 0) {
      const k = Math.min(count, left);
      left -= k;
      const name = `${opts.prefix ?? 'vm'}-${n++}`;
      const r = await b.cloud.request('POST', '/v2.1/servers', { token, body: { server: { name, imageRef: b.image, flavorRef: b.flavor, min_count: k, max_count: k } } });
      if (r.status !== 202) throw new Error(`POST /servers: ${r.status} ${r.text}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  for (let i = 0; ; i++) {
    const r = await b.cloud.request('GET', '/v2.1/servers/detail?status=BUILD&limit=1', { token });
    if (r.status !== 200) throw new Error(`GET /servers/detail: ${r.status} ${r.text}`);
    if (r.body.servers.length === 0) break;
    if (i > 6000) throw new Error('servers still building after 10 minutes');
    await sleep(100);
  }
  const errors = await b.cloud.request('GET', '/v2.1/servers/detail?status=ERROR&limit=1', { token });
  if (errors.body.servers.length > 0) throw new Error(`a server went to ERROR: ${JSON.stringify(errors.body.servers[0].fault)}`);
}
