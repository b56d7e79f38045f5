/**
 * The filter scheduler's pure core (Nova's `nova/scheduler/manager.py _schedule`,
 * `_get_sorted_hosts`, `_get_alternate_hosts`, `host_manager.get_filtered_hosts` and
 * `nova/weights.py`): given the host states and a request spec, for each instance run the
 * enabled filters in order, weigh the survivors (per-weigher min-max normalisation × multiplier,
 * summed), pick randomly among the best `host_subset_size`, consume the request's resources on
 * the chosen host in a local view, and finally add up to `max_attempts - 1` alternates per
 * instance. No I/O; the random source is injected.
 *
 * The caller's host states and spec are not modified: chosen hosts are copied before being
 * consumed (`host_states` in the result is the updated view), the group's hosts list is copied.
 *
 * Difference from Nova: weights are only fully sorted when many are needed; otherwise the best
 * `host_subset_size + instances + alternates` are kept. Ties are broken by the position in the
 * caller's host list (Nova's sort is stable too, but over the previous round's order).
 */
import type { HostState } from './host-state';
import { aggregateValuesFromKey, cloneHostState, consumeFromRequest } from './host-state';
import type { InstanceGroupSpec, RequestSpec } from './request-spec';
import type { FilterOptions, HostFilter } from './filters';
import { createFilters, DEFAULT_ENABLED_FILTERS, DEFAULT_FILTER_OPTIONS } from './filters';
import type { HostWeigher, WeigherOptions } from './weighers';
import { createWeighers, DEFAULT_WEIGHERS } from './weighers';

export interface FilterSchedulerOptions {
  /** `[filter_scheduler] enabled_filters` (default: DEFAULT_ENABLED_FILTERS). */
  enabled_filters?: readonly string[];
  /** `[filter_scheduler] weight_classes` (default: all weighers). */
  weight_classes?: readonly string[];
  /** `[filter_scheduler] host_subset_size` (1; values below 1 count as 1). */
  host_subset_size?: number;
  /** `[scheduler] max_attempts` (3): a selection holds the host plus up to max_attempts - 1 alternates. */
  max_attempts?: number;
  filter_options?: Partial<FilterOptions>;
  weigher_options?: Partial<WeigherOptions>;
}

/** Nova's `Selection` object, without the placement allocation request. */
export interface Selection {
  service_host: string;
  nodename: string;
  compute_node_uuid: string;
  cell_uuid: string | null;
  availability_zone: string | null;
  limits: null;
  /** Total weight the host had when it was ranked. */
  weight: number;
}

export interface SelectDestinationsRequest {
  spec: RequestSpec;
  /** One per instance; their count overrides `spec.num_instances`. */
  instance_uuids?: readonly string[];
  /** Builds and cold migrations ask for alternates (default true). */
  return_alternates?: boolean;
  /** Uniform in [0, 1); default Math.random. */
  random?: () => number;
}

export interface SelectDestinationsResult {
  /** One list per instance (chosen host first, then alternates); empty when no valid host. */
  selections: Selection[][];
  /** The local view after consumption, in the caller's order (unchanged hosts are the caller's objects). */
  host_states: HostState[];
}

/** Deterministic uniform [0, 1) source (mulberry32) for tests and benchmarks. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Ranked {
  /** Indices into the view, best first. */
  order: number[];
  /** Weight of each entry of `order`. */
  weights: number[];
}

export class FilterScheduler {
  readonly filters: readonly HostFilter[];
  readonly weighers: readonly HostWeigher[];
  readonly hostSubsetSize: number;
  readonly maxAttempts: number;
  private readonly defaultAz: string;

  constructor(options: FilterSchedulerOptions = {}) {
    this.filters = createFilters(options.enabled_filters ?? DEFAULT_ENABLED_FILTERS, options.filter_options);
    this.weighers = createWeighers(options.weight_classes ?? DEFAULT_WEIGHERS, options.weigher_options);
    this.hostSubsetSize = Math.max(1, Math.trunc(options.host_subset_size ?? 1));
    this.maxAttempts = Math.max(1, Math.trunc(options.max_attempts ?? 3));
    this.defaultAz = options.filter_options?.default_availability_zone ?? DEFAULT_FILTER_OPTIONS.default_availability_zone;
  }

  selectDestinations(hosts: readonly HostState[], req: SelectDestinationsRequest): SelectDestinationsResult {
    const random = req.random ?? Math.random;
    const view = hosts.slice();
    const copied = new Uint8Array(view.length);
    const group: InstanceGroupSpec | null | undefined = req.spec.instance_group
      ? { ...req.spec.instance_group, hosts: [...req.spec.instance_group.hosts], members: [...req.spec.instance_group.members] }
      : req.spec.instance_group;
    const spec: RequestSpec = { ...req.spec, instance_group: group };
    const uuids = req.instance_uuids;
    const count = uuids ? uuids.length : Math.max(1, spec.num_instances);
    const numAlts = req.return_alternates === false ? 0 : this.maxAttempts - 1;
    const keep = this.hostSubsetSize + count + numAlts;
    const none: SelectDestinationsResult = { selections: [], host_states: view };

    const { candidates: initial, skipFilters } = this.preFilter(view, spec);
    let candidates = initial;
    const chosen: number[] = [];
    const chosenWeights: number[] = [];
    let ranked: Ranked = { order: [], weights: [] };
    for (let i = 0; i < count; i++) {
      if (uuids) spec.instance_uuid = uuids[i];
      const filtered = skipFilters ? candidates : this.filterHosts(view, candidates, spec, i);
      if (filtered.length === 0) return none;
      ranked = this.sortedHosts(view, filtered, spec, keep, random);
      const pick = ranked.order[0];
      chosen.push(pick);
      chosenWeights.push(ranked.weights[0]);
      if (!copied[pick]) {
        view[pick] = cloneHostState(view[pick]);
        copied[pick] = 1;
      }
      this.consume(view[pick], spec, group);
      candidates = filtered;
    }

    if (count > 1 && numAlts > 0) {
      const filtered = skipFilters ? candidates : this.filterHosts(view, candidates, spec, count - 1);
      ranked = filtered.length > 0 ? this.sortedHosts(view, filtered, spec, keep, random) : { order: [], weights: [] };
    }
    const chosenSet = new Set(chosen);
    const selections = chosen.map((c, k) => {
      const out = [this.selection(view[c], chosenWeights[k])];
      const cell = view[c].cell_uuid;
      for (let j = 0; j < ranked.order.length && out.length < numAlts + 1; j++) {
        const idx = ranked.order[j];
        if (!chosenSet.has(idx) && view[idx].cell_uuid === cell) out.push(this.selection(view[idx], ranked.weights[j]));
      }
      return out;
    });
    return { selections, host_states: view };
  }

  /**
   * Nova's `host_manager.get_filtered_hosts` before the filters: `requested_destination` narrows
   * the candidates (exact names, filters still run), then `ignore_hosts`, `force_hosts`,
   * `force_nodes` (case-insensitive host names, as Nova; forcing skips the filters).
   */
  private preFilter(view: readonly HostState[], spec: RequestSpec): { candidates: number[]; skipFilters: boolean } {
    let all = view.map((_, i) => i);
    const dest = spec.requested_destination;
    if (dest && (dest.host || dest.node)) {
      all = all.filter((i) => (!dest.host || view[i].host === dest.host) && (!dest.node || view[i].nodename === dest.node));
      if (all.length === 0) return { candidates: all, skipFilters: false };
    }
    const ignore = spec.ignore_hosts ?? [];
    const forceHosts = spec.force_hosts ?? [];
    const forceNodes = spec.force_nodes ?? [];
    if (ignore.length === 0 && forceHosts.length === 0 && forceNodes.length === 0) return { candidates: all, skipFilters: false };
    let c = all;
    if (ignore.length > 0) {
      const s = new Set(ignore.map((h) => h.toLowerCase()));
      c = c.filter((i) => !s.has(view[i].host.toLowerCase()));
      if (c.length === 0) return { candidates: c, skipFilters: true };
    }
    if (forceHosts.length > 0) {
      const s = new Set(forceHosts.map((h) => h.toLowerCase()));
      c = c.filter((i) => s.has(view[i].host.toLowerCase()));
    }
    if (forceNodes.length > 0) {
      const s = new Set(forceNodes.map((h) => h.toLowerCase()));
      c = c.filter((i) => s.has(view[i].nodename.toLowerCase()));
    }
    const forced = forceHosts.length > 0 || forceNodes.length > 0;
    return { candidates: c, skipFilters: forced && c.length > 0 };
  }

  /** Nova's filter handler: filters in order, once-per-request ones only for the first instance. */
  filterHosts(view: readonly HostState[], candidates: number[], spec: RequestSpec, index: number): number[] {
    // The first filter that runs copies the candidates; later ones compact that copy in place.
    let cur = candidates;
    let owned = false;
    for (const f of this.filters) {
      if (index > 0 && f.runFilterOncePerRequest) continue;
      if (f.appliesTo && !f.appliesTo(spec)) continue;
      const out: number[] = owned ? cur : [];
      let k = 0;
      for (let j = 0; j < cur.length; j++) {
        const idx = cur[j];
        if (f.hostPasses(view[idx], spec)) {
          if (owned) out[k] = idx;
          else out.push(idx);
          k++;
        }
      }
      out.length = k;
      cur = out;
      owned = true;
      if (k === 0) break;
    }
    return cur;
  }

  /** Total weights of the candidates (Nova's BaseWeightHandler; one candidate weighs 0). */
  weigh(view: readonly HostState[], candidates: readonly number[], spec: RequestSpec): Float64Array {
    const n = candidates.length;
    const total = new Float64Array(n);
    if (n <= 1) return total;
    const raw = new Float64Array(n);
    let anyAggregates = false;
    for (let j = 0; j < n && !anyAggregates; j++) anyAggregates = view[candidates[j]].aggregates.length > 0;
    for (const w of this.weighers) {
      // Nothing to add: a zero multiplier everywhere, or every host would weigh the same.
      if (!anyAggregates && w.multiplier === 0) continue;
      if (w.appliesTo && !w.appliesTo(spec)) continue;
      let lo = Infinity;
      let hi = -Infinity;
      for (let j = 0; j < n; j++) {
        let v = w.weighObject(view[candidates[j]], spec);
        if (w.minval !== undefined && v < w.minval) v = w.minval;
        if (w.maxval !== undefined && v > w.maxval) v = w.maxval;
        raw[j] = v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (w.minval !== undefined) lo = w.minval;
      if (w.maxval !== undefined) hi = w.maxval;
      // All equal: every normalised weight is 0 and adds nothing.
      if (lo === hi) continue;
      const range = hi - lo;
      const m = w.multiplier;
      for (let j = 0; j < n; j++) {
        const h = view[candidates[j]];
        total[j] += (h.aggregates.length === 0 ? m : w.weightMultiplier(h)) * ((raw[j] - lo) / range);
      }
    }
    return total;
  }

  /**
   * Nova's `_get_sorted_hosts`: weigh, sort descending (stable), choose randomly among the best
   * `host_subset_size` and move the choice to the front. Only the best `keep` are returned.
   */
  private sortedHosts(view: readonly HostState[], candidates: number[], spec: RequestSpec, keep: number, random: () => number): Ranked {
    const w = this.weigh(view, candidates, spec);
    const n = candidates.length;
    let pos: number[];
    if (keep * 8 >= n) {
      pos = candidates.map((_, j) => j).sort((a, b) => w[b] - w[a]);
      if (pos.length > keep) pos.length = keep;
    } else {
      pos = topK(w, keep);
    }
    const subset = Math.min(this.hostSubsetSize, pos.length);
    const c = Math.min(subset - 1, Math.floor(random() * subset));
    if (c > 0) {
      const [p] = pos.splice(c, 1);
      pos.unshift(p);
    }
    return { order: pos.map((p) => candidates[p]), weights: pos.map((p) => w[p]) };
  }

  /** Nova's `_consume_selected_host`. */
  private consume(host: HostState, spec: RequestSpec, group: InstanceGroupSpec | null | undefined): void {
    consumeFromRequest(host, spec);
    if (group) {
      group.hosts.push(host.host);
      const uuid = spec.instance_uuid;
      if (uuid && !host.instances.has(uuid)) host.instances.set(uuid, { uuid });
    }
  }

  private selection(h: HostState, weight: number): Selection {
    const zones = aggregateValuesFromKey(h, 'availability_zone');
    return {
      service_host: h.host,
      nodename: h.nodename,
      compute_node_uuid: h.uuid,
      cell_uuid: h.cell_uuid,
      availability_zone: zones.size > 0 ? [...zones].sort().join(',') : this.defaultAz,
      limits: null,
      weight,
    };
  }
}

/** Positions of the `k` largest weights, descending, ties in position order (stable). */
function topK(w: Float64Array, k: number): number[] {
  const idx: number[] = [];
  const val: number[] = [];
  for (let j = 0; j < w.length; j++) {
    const v = w[j];
    if (idx.length === k && !(v > val[k - 1])) continue;
    let p = idx.length;
    while (p > 0 && val[p - 1] < v) p--;
    idx.splice(p, 0, j);
    val.splice(p, 0, v);
    if (idx.length > k) {
      idx.pop();
      val.pop();
    }
  }
  return idx;
}

/** One-shot helper: build a scheduler with `options` and run `selectDestinations`. */
export function selectDestinations(hosts: readonly HostState[], req: SelectDestinationsRequest, options?: FilterSchedulerOptions): SelectDestinationsResult {
  return new FilterScheduler(options).selectDestinations(hosts, req);
}
