import { minAggregateNumber } from '../host-state';
import type { HostWeigher, WeigherOptions } from './index';

/** Nova's RAMWeigher: free RAM MB; `ram_weight_multiplier` 1.0 spreads, negative stacks. */
export function ramWeigher(o: WeigherOptions): HostWeigher {
  return {
    name: 'RAMWeigher',
    multiplier: o.ram_weight_multiplier,
    weightMultiplier: (h) => minAggregateNumber(h, 'ram_weight_multiplier', o.ram_weight_multiplier),
    weighObject: (h) => h.free_ram_mb,
  };
}

/** Nova's CPUWeigher: vcpus_total × cpu_allocation_ratio − vcpus_used. */
export function cpuWeigher(o: WeigherOptions): HostWeigher {
  return {
    name: 'CPUWeigher',
    multiplier: o.cpu_weight_multiplier,
    weightMultiplier: (h) => minAggregateNumber(h, 'cpu_weight_multiplier', o.cpu_weight_multiplier),
    weighObject: (h) => h.vcpus_total * h.cpu_allocation_ratio - h.vcpus_used,
  };
}

/** Nova's DiskWeigher: free disk MB. */
export function diskWeigher(o: WeigherOptions): HostWeigher {
  return {
    name: 'DiskWeigher',
    multiplier: o.disk_weight_multiplier,
    weightMultiplier: (h) => minAggregateNumber(h, 'disk_weight_multiplier', o.disk_weight_multiplier),
    weighObject: (h) => h.free_disk_mb,
  };
}
