/**
 * Host filters (nova/scheduler/filters), registered by Nova's class name, so
 * `[filter_scheduler] enabled_filters` can name them unchanged. Each filter is built from a plain
 * options object (no config imports: the shell reads nova.conf and passes the values).
 */
import type { HostState } from '../host-state';
import type { RequestSpec } from '../request-spec';
import { computeFilter } from './compute.host-filter';
import { computeCapabilitiesFilter } from './compute-capabilities.host-filter';
import { imagePropertiesFilter } from './image-properties.host-filter';
import { availabilityZoneFilter } from './availability-zone.host-filter';
import { serverGroupAffinityFilter, serverGroupAntiAffinityFilter } from './server-group.host-filter';
import { differentHostFilter, sameHostFilter } from './same-different-host.host-filter';
import { aggregateInstanceExtraSpecsFilter } from './aggregate-instance-extra-specs.host-filter';
import { aggregateNumInstancesFilter, numInstancesFilter } from './num-instances.host-filter';
import { aggregateIoOpsFilter, ioOpsFilter } from './io-ops.host-filter';
import { resourceFitFilter } from './resource-fit.host-filter';
import { allHostsFilter } from './all-hosts.host-filter';

export interface HostFilter {
  /** Nova's class name. */
  readonly name: string;
  /** Nova's `run_filter_once_per_request`: skipped for the 2nd and later instances of a request. */
  readonly runFilterOncePerRequest: boolean;
  /** Optional fast path: false when the filter cannot reject any host for this request. */
  appliesTo?(spec: RequestSpec): boolean;
  hostPasses(host: HostState, spec: RequestSpec): boolean;
}

/** Values of the `[filter_scheduler]` / `[DEFAULT]` options the filters read. */
export interface FilterOptions {
  /** `[filter_scheduler] max_io_ops_per_host` (8). */
  max_io_ops_per_host: number;
  /** `[filter_scheduler] max_instances_per_host` (50). */
  max_instances_per_host: number;
  /** `[DEFAULT] default_availability_zone` ('nova'). */
  default_availability_zone: string;
}

export const DEFAULT_FILTER_OPTIONS: FilterOptions = {
  max_io_ops_per_host: 8,
  max_instances_per_host: 50,
  default_availability_zone: 'nova',
};

export type HostFilterFactory = (options: FilterOptions) => HostFilter;

export const HOST_FILTERS: Readonly<Record<string, HostFilterFactory>> = {
  AllHostsFilter: allHostsFilter,
  ComputeFilter: computeFilter,
  ComputeCapabilitiesFilter: computeCapabilitiesFilter,
  ImagePropertiesFilter: imagePropertiesFilter,
  AvailabilityZoneFilter: availabilityZoneFilter,
  ServerGroupAffinityFilter: serverGroupAffinityFilter,
  ServerGroupAntiAffinityFilter: serverGroupAntiAffinityFilter,
  SameHostFilter: sameHostFilter,
  DifferentHostFilter: differentHostFilter,
  AggregateInstanceExtraSpecsFilter: aggregateInstanceExtraSpecsFilter,
  NumInstancesFilter: numInstancesFilter,
  AggregateNumInstancesFilter: aggregateNumInstancesFilter,
  IoOpsFilter: ioOpsFilter,
  AggregateIoOpsFilter: aggregateIoOpsFilter,
  ResourceFitFilter: resourceFitFilter,
};

/**
 * Nova's default `enabled_filters` (Xena and later), preceded by `ResourceFitFilter`, which
 * stands in for placement's allocation-candidates step (§6.1 step 3).
 */
export const DEFAULT_ENABLED_FILTERS: readonly string[] = [
  'ResourceFitFilter', 'ComputeFilter', 'ComputeCapabilitiesFilter', 'ImagePropertiesFilter',
  'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter',
];

/** Builds the enabled filters in order; unknown names throw (boot validation reports them). */
export function createFilters(names: readonly string[], options: Partial<FilterOptions> = {}): HostFilter[] {
  const opts = { ...DEFAULT_FILTER_OPTIONS, ...options };
  return names.map((n) => {
    const f = HOST_FILTERS[n];
    if (!f) throw new Error(`unknown scheduler filter '${n}'`);
    return f(opts);
  });
}

export { extraSpecsMatch } from './compute-capabilities.host-filter';
