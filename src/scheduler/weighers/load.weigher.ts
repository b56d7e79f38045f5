import { minAggregateNumber } from '../host-state';
import type { HostWeigher, WeigherOptions } from './index';

/** Nova's IoOpsWeigher: num_io_ops; `io_ops_weight_multiplier` −1.0 prefers idle hosts. */
export function ioOpsWeigher(o: WeigherOptions): HostWeigher {
  return {
    name: 'IoOpsWeigher',
    multiplier: o.io_ops_weight_multiplier,
    weightMultiplier: (h) => minAggregateNumber(h, 'io_ops_weight_multiplier', o.io_ops_weight_multiplier),
    weighObject: (h) => h.num_io_ops,
  };
}

/** Nova's NumInstancesWeigher: num_instances; `num_instances_weight_multiplier` 0.0 (off). */
export function numInstancesWeigher(o: WeigherOptions): HostWeigher {
  return {
    name: 'NumInstancesWeigher',
    multiplier: o.num_instances_weight_multiplier,
    weightMultiplier: (h) => minAggregateNumber(h, 'num_instances_weight_multiplier', o.num_instances_weight_multiplier),
    weighObject: (h) => h.num_instances,
  };
}
