/**
 * The scheduler's view of one compute node (Nova's `nova/scheduler/host_manager.py HostState`),
 * as plain data with Nova's snake_case attribute names, plus the pure helpers the filters and
 * weighers share (aggregate metadata lookups, per-aggregate multipliers) and `consumeFromRequest`.
 *
 * Resources are kept two ways, as in Nova:
 *  - placement's inventory view (total, reserved, allocation_ratio, used by instances), which
 *    `ResourceFitFilter` checks the way placement does;
 *  - the compute node's `free_ram_mb` / `free_disk_mb` / `vcpus_used`, which the weighers read.
 * `makeHostState` derives the second from the first; `consumeFromRequest` updates both.
 */
import type { RequestSpec } from './request-spec';
import { resourceRequest } from './request-spec';

/** A host aggregate the host belongs to (only what the scheduler reads). */
export interface HostAggregate {
  id?: number;
  name?: string;
  metadata: Record<string, string>;
}

/** One entry of the hypervisor's `supported_instances`: [architecture, hypervisor type, vm mode]. */
export type SupportedInstance = readonly [string, string, string];

/** What the scheduler keeps about an instance on a host (filters only read the uuid). */
export interface HostInstance {
  uuid: string;
}

export interface HostState {
  host: string;
  nodename: string;
  /** Compute node uuid (= resource provider uuid). */
  uuid: string;
  cell_uuid: string | null;
  aggregates: HostAggregate[];

  vcpus_total: number;
  /** vCPUs allocated to instances. */
  vcpus_used: number;
  reserved_host_cpus: number;
  cpu_allocation_ratio: number;

  memory_mb: number;
  /** RAM MB allocated to instances (placement usage; excludes the reserved amount). */
  memory_mb_used: number;
  reserved_host_memory_mb: number;
  ram_allocation_ratio: number;

  local_gb: number;
  /** Disk GB allocated to instances (placement usage; excludes the reserved amount). */
  local_gb_used: number;
  reserved_host_disk_mb: number;
  disk_allocation_ratio: number;

  /** Nova's compute-node free RAM: memory_mb - reserved - used (not scaled by the ratio). */
  free_ram_mb: number;
  /** Nova's compute-node free disk in MB: (local_gb - used) * 1024 - reserved_host_disk_mb. */
  free_disk_mb: number;

  num_instances: number;
  num_io_ops: number;
  instances: Map<string, HostInstance>;

  service_up: boolean;
  service_disabled: boolean;

  hypervisor_type: string | null;
  /** Nova's integer version (e.g. 6002000 for 6.2.0). */
  hypervisor_version: number | null;
  hypervisor_hostname: string | null;
  supported_instances: SupportedInstance[];
  /** JSON string or object, as the compute reports it. */
  cpu_info: string | Record<string, unknown> | null;
  stats: Record<string, string>;
  failed_builds: number;
  /** ISO timestamp of the last compute node update, or null. */
  updated: string | null;
}

/** Input of `makeHostState`: host and nodename are required, the rest has Nova-like defaults. */
export type HostStateInit = Partial<Omit<HostState, 'free_ram_mb' | 'free_disk_mb' | 'instances'>> & {
  host: string;
  nodename?: string;
  instances?: Iterable<string> | Map<string, HostInstance>;
};

/** Builds a host state, deriving free_ram_mb/free_disk_mb (and counts) from the inventory. */
export function makeHostState(init: HostStateInit): HostState {
  const instances = init.instances instanceof Map
    ? new Map(init.instances)
    : new Map([...(init.instances ?? [])].map((u) => [u, { uuid: u }] as const));
  const h: HostState = {
    host: init.host,
    nodename: init.nodename ?? init.host,
    uuid: init.uuid ?? `${init.host}-uuid`,
    cell_uuid: init.cell_uuid ?? null,
    aggregates: init.aggregates ?? [],
    vcpus_total: init.vcpus_total ?? 0,
    vcpus_used: init.vcpus_used ?? 0,
    reserved_host_cpus: init.reserved_host_cpus ?? 0,
    cpu_allocation_ratio: init.cpu_allocation_ratio ?? 4.0,
    memory_mb: init.memory_mb ?? 0,
    memory_mb_used: init.memory_mb_used ?? 0,
    reserved_host_memory_mb: init.reserved_host_memory_mb ?? 512,
    ram_allocation_ratio: init.ram_allocation_ratio ?? 1.0,
    local_gb: init.local_gb ?? 0,
    local_gb_used: init.local_gb_used ?? 0,
    reserved_host_disk_mb: init.reserved_host_disk_mb ?? 0,
    disk_allocation_ratio: init.disk_allocation_ratio ?? 1.0,
    free_ram_mb: 0,
    free_disk_mb: 0,
    num_instances: init.num_instances ?? instances.size,
    num_io_ops: init.num_io_ops ?? 0,
    instances,
    service_up: init.service_up ?? true,
    service_disabled: init.service_disabled ?? false,
    hypervisor_type: init.hypervisor_type ?? null,
    hypervisor_version: init.hypervisor_version ?? null,
    hypervisor_hostname: init.hypervisor_hostname ?? init.nodename ?? init.host,
    supported_instances: init.supported_instances ?? [],
    cpu_info: init.cpu_info ?? null,
    stats: init.stats ?? {},
    failed_builds: init.failed_builds ?? 0,
    updated: init.updated ?? null,
  };
  h.free_ram_mb = h.memory_mb - h.reserved_host_memory_mb - h.memory_mb_used;
  h.free_disk_mb = (h.local_gb - h.local_gb_used) * 1024 - h.reserved_host_disk_mb;
  return h;
}

/** A copy that can be consumed without touching the original (instances map copied). */
export function cloneHostState(h: HostState): HostState {
  return { ...h, instances: new Map(h.instances) };
}

/**
 * Nova's `HostState.consume_from_request` plus placement's allocation: takes the request's
 * resources from the host's local view so the next instance of the same request sees them used.
 * Mutates `h`.
 */
export function consumeFromRequest(h: HostState, spec: RequestSpec): void {
  const req = resourceRequest(spec);
  h.vcpus_used += req.VCPU;
  h.memory_mb_used += req.MEMORY_MB;
  h.local_gb_used += req.DISK_GB;
  h.free_ram_mb -= spec.flavor.memory_mb;
  h.free_disk_mb -= (spec.flavor.root_gb + spec.flavor.ephemeral_gb) * 1024;
  h.num_instances += 1;
  // Nova counts every scheduled build/move as an I/O-heavy task.
  h.num_io_ops += 1;
}

/** Nova's `aggregate_values_from_key`: the values of one metadata key over the host's aggregates. */
export function aggregateValuesFromKey(h: HostState, key: string): Set<string> {
  const out = new Set<string>();
  for (const a of h.aggregates) {
    const v = a.metadata[key];
    if (v !== undefined) out.add(v);
  }
  return out;
}

/** Nova's `aggregate_metadata_get_by_host`: key -> set of values over the host's aggregates. */
export function aggregateMetadataByHost(h: HostState, key?: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const a of h.aggregates) {
    for (const [k, v] of Object.entries(a.metadata)) {
      if (key !== undefined && k !== key) continue;
      let s = out.get(k);
      if (!s) out.set(k, (s = new Set()));
      s.add(v);
    }
  }
  return out;
}

/**
 * Nova's `validate_num_values`: the minimum of the aggregate values, or the default when there
 * are none; a value that does not parse gives the default (Nova logs a warning and does so).
 */
export function minAggregateNumber(h: HostState, key: string, fallback: number, integer = false): number {
  if (h.aggregates.length === 0) return fallback;
  let best: number | undefined;
  for (const a of h.aggregates) {
    const raw = a.metadata[key];
    if (raw === undefined) continue;
    const n = integer ? pyInt(raw) : pyFloat(raw);
    if (Number.isNaN(n)) return fallback;
    best = best === undefined ? n : Math.min(best, n);
  }
  return best ?? fallback;
}

/** Python's `float(str)`: NaN where Python raises ValueError. */
export function pyFloat(s: string): number {
  const t = s.trim().replace(/_/g, '').toLowerCase();
  if (t === '') return Number.NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  if (t === 'nan' || t === '+nan' || t === '-nan') return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) return Number.NaN;
  return Number(t);
}

/** Python's `int(str)`: NaN where Python raises ValueError. */
export function pyInt(s: string): number {
  const t = s.trim().replace(/_/g, '');
  return /^[+-]?\d+$/.test(t) ? Number(t) : Number.NaN;
}
