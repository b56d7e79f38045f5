/**
 * Scheduler benchmark: `select_destinations` latency for one instance with the default filters
 * (ResourceFitFilter + Nova's five) and all weighers, over synthetic host sets.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/scheduler.bench.js [--runs 200] [--hosts 1000,10000]
 *
 * Hosts vary in size, usage, io ops, failed builds and aggregates so every weigher normalises over
 * a real range. Target: under 10 ms at 10,000 hosts.
 */
import { performance } from 'node:perf_hooks';
import { FilterScheduler, seededRandom } from '../src/scheduler/filter-scheduler';
import { HostState, makeHostState } from '../src/scheduler/host-state';
import type { RequestSpec } from '../src/scheduler/request-spec';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function makeHosts(n: number, rnd: () => number): HostState[] {
  const azAgg = { id: 1, name: 'az1', metadata: { availability_zone: 'az1' } };
  return Array.from({ length: n }, (_, i) => {
    const vcpus = [16, 32, 64][i % 3];
    const ram = vcpus * 4096;
    const instances = Array.from({ length: Math.floor(rnd() * 10) }, (_, k) => `inst-${i}-${k}`);
    return makeHostState({
      host: `compute-${i}`, uuid: `uuid-${i}`, vcpus_total: vcpus, vcpus_used: instances.length * 2, memory_mb: ram,
      memory_mb_used: instances.length * 2048, local_gb: 1000, local_gb_used: instances.length * 20, instances,
      num_io_ops: Math.floor(rnd() * 4), failed_builds: rnd() < 0.01 ? 1 : 0, service_up: rnd() > 0.01,
      aggregates: i % 10 === 0 ? [azAgg] : [], supported_instances: [['x86_64', 'kvm', 'hvm']], hypervisor_type: 'QEMU',
      hypervisor_version: 8002000, cpu_allocation_ratio: 4.0,
    });
  });
}

const spec: RequestSpec = {
  flavor: { name: 'm1.small', vcpus: 2, memory_mb: 2048, root_gb: 20, ephemeral_gb: 0, swap: 0, extra_specs: { 'hw:cpu_policy': 'shared' } },
  image: { properties: { hw_architecture: 'x86_64' } },
  num_instances: 1,
  instance_uuid: 'new-instance',
};

function main(): void {
  const runs = Number(arg('runs', '200'));
  const sizes = arg('hosts', '1000,10000').split(',').map(Number);
  const scheduler = new FilterScheduler();
  const rows: string[] = [];
  for (const n of sizes) {
    const rnd = seededRandom(n);
    const hosts = makeHosts(n, rnd);
    const random = seededRandom(1);
    for (let i = 0; i < 20; i++) scheduler.selectDestinations(hosts, { spec, random });
    const times: number[] = [];
    let picked = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = scheduler.selectDestinations(hosts, { spec, random });
      times.push(performance.now() - t0);
      picked += r.selections.length;
    }
    times.sort((a, b) => a - b);
    if (picked !== runs) throw new Error('benchmark request found no valid host');
    rows.push(`| ${n.toLocaleString('en-US')} | ${runs} | ${percentile(times, 50).toFixed(2)} | ${percentile(times, 99).toFixed(2)} |`);
  }
  console.log('select_destinations, 1 instance, default filters + all weighers\n');
  console.log('| hosts | runs | median ms | p99 ms |');
  console.log('|---:|---:|---:|---:|');
  for (const r of rows) console.log(r);
}

main();
