import { minAggregateNumber } from '../host-state';
import type { FilterOptions, HostFilter } from './index';

/** Nova's NumInstancesFilter: instances on the host < `max_instances_per_host` (50). */
export function numInstancesFilter(options: FilterOptions): HostFilter {
  return {
    name: 'NumInstancesFilter',
    runFilterOncePerRequest: false,
    hostPasses: (h) => h.num_instances < options.max_instances_per_host,
  };
}

/**
 * Nova's AggregateNumInstancesFilter: as NumInstancesFilter, with the limit taken from the
 * aggregates' `max_instances_per_host` metadata (the smallest), else the option.
 */
export function aggregateNumInstancesFilter(options: FilterOptions): HostFilter {
  return {
    name: 'AggregateNumInstancesFilter',
    runFilterOncePerRequest: false,
    hostPasses: (h) => h.num_instances < minAggregateNumber(h, 'max_instances_per_host', options.max_instances_per_host, true),
  };
}
