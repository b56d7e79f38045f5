/**
 * Host weighers (nova/scheduler/weights), registered by Nova's class name. Each returns a raw
 * value per host; the scheduler normalises every weigher's values to 0..1 over the candidates
 * (Nova's `nova/weights.py normalize`), multiplies by the weigher's multiplier for that host
 * (aggregate metadata of the option's name overrides the option; the smallest value wins) and
 * sums. Highest total wins.
 */
import type { HostState } from '../host-state';
import type { RequestSpec } from '../request-spec';
import { cpuWeigher, diskWeigher, ramWeigher } from './resources.weigher';
import { ioOpsWeigher, numInstancesWeigher } from './load.weigher';
import { serverGroupSoftAffinityWeigher, serverGroupSoftAntiAffinityWeigher } from './server-group-soft.weigher';
import { buildFailureWeigher } from './build-failure.weigher';

export interface HostWeigher {
  /** Nova's class name. */
  readonly name: string;
  /** Clamp bounds and fixed normalisation bounds (Nova's `minval`/`maxval`); none set by default. */
  readonly minval?: number;
  readonly maxval?: number;
  /**
   * The configured multiplier, used as it is for hosts in no aggregate (fast path; must equal
   * `weightMultiplier(host)` for such hosts).
   */
  readonly multiplier: number;
  /** Optional fast path: false when every host would weigh the same for this request. */
  appliesTo?(spec: RequestSpec): boolean;
  /** The multiplier for this host (option, overridden by aggregate metadata). */
  weightMultiplier(host: HostState): number;
  /** The raw value of this host (before normalisation). */
  weighObject(host: HostState, spec: RequestSpec): number;
}

/** `[filter_scheduler] *_weight_multiplier` values. */
export interface WeigherOptions {
  ram_weight_multiplier: number;
  cpu_weight_multiplier: number;
  disk_weight_multiplier: number;
  io_ops_weight_multiplier: number;
  num_instances_weight_multiplier: number;
  soft_affinity_weight_multiplier: number;
  soft_anti_affinity_weight_multiplier: number;
  build_failure_weight_multiplier: number;
}

export const DEFAULT_WEIGHER_OPTIONS: WeigherOptions = {
  ram_weight_multiplier: 1.0,
  cpu_weight_multiplier: 1.0,
  disk_weight_multiplier: 1.0,
  io_ops_weight_multiplier: -1.0,
  num_instances_weight_multiplier: 0.0,
  soft_affinity_weight_multiplier: 1.0,
  soft_anti_affinity_weight_multiplier: 1.0,
  build_failure_weight_multiplier: 1000000.0,
};

export type HostWeigherFactory = (options: WeigherOptions) => HostWeigher;

export const HOST_WEIGHERS: Readonly<Record<string, HostWeigherFactory>> = {
  RAMWeigher: ramWeigher,
  CPUWeigher: cpuWeigher,
  DiskWeigher: diskWeigher,
  IoOpsWeigher: ioOpsWeigher,
  NumInstancesWeigher: numInstancesWeigher,
  ServerGroupSoftAffinityWeigher: serverGroupSoftAffinityWeigher,
  ServerGroupSoftAntiAffinityWeigher: serverGroupSoftAntiAffinityWeigher,
  BuildFailureWeigher: buildFailureWeigher,
};

/** `weight_classes` = all weighers (the ones implemented here). */
export const DEFAULT_WEIGHERS: readonly string[] = Object.keys(HOST_WEIGHERS);

export function createWeighers(names: readonly string[], options: Partial<WeigherOptions> = {}): HostWeigher[] {
  const opts = { ...DEFAULT_WEIGHER_OPTIONS, ...options };
  return names.map((n) => {
    const f = HOST_WEIGHERS[n];
    if (!f) throw new Error(`unknown scheduler weigher '${n}'`);
    return f(opts);
  });
}

/**
 * Nova's `normalize`: maps values to 0..1 between min and max (or the given bounds); all equal
 * gives all 0. Writes into `out` (same length) and returns it.
 */
export function normalize(values: ArrayLike<number>, out: Float64Array, minval?: number, maxval?: number): Float64Array {
  const n = values.length;
  if (n === 0) return out;
  let lo = minval ?? Infinity;
  let hi = maxval ?? -Infinity;
  if (minval === undefined || maxval === undefined) {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (minval === undefined && v < lo) lo = v;
      if (maxval === undefined && v > hi) hi = v;
    }
  }
  if (lo === hi) {
    out.fill(0, 0, n);
    return out;
  }
  const range = hi - lo;
  for (let i = 0; i < n; i++) out[i] = (values[i] - lo) / range;
  return out;
}
