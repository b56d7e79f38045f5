import { minAggregateNumber } from '../host-state';
import type { FilterOptions, HostFilter } from './index';

/** Nova's IoOpsFilter: concurrent I/O-heavy tasks on the host < `max_io_ops_per_host` (8). */
export function ioOpsFilter(options: FilterOptions): HostFilter {
  return {
    name: 'IoOpsFilter',
    runFilterOncePerRequest: false,
    hostPasses: (h) => h.num_io_ops < options.max_io_ops_per_host,
  };
}

/** Nova's AggregateIoOpsFilter: the limit from aggregate metadata `max_io_ops_per_host` (smallest), else the option. */
export function aggregateIoOpsFilter(options: FilterOptions): HostFilter {
  return {
    name: 'AggregateIoOpsFilter',
    runFilterOncePerRequest: false,
    hostPasses: (h) => h.num_io_ops < minAggregateNumber(h, 'max_io_ops_per_host', options.max_io_ops_per_host, true),
  };
}
