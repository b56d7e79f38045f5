import { aggregateValuesFromKey } from '../host-state';
import type { FilterOptions, HostFilter } from './index';

/**
 * Nova's AvailabilityZoneFilter: with a requested zone, a host passes when one of its aggregates
 * has that `availability_zone` metadata, or when none has any and the zone is the default one
 * (`[DEFAULT] default_availability_zone`).
 */
export function availabilityZoneFilter(options: FilterOptions): HostFilter {
  return {
    name: 'AvailabilityZoneFilter',
    runFilterOncePerRequest: true,
    appliesTo: (spec) => !!spec.availability_zone,
    hostPasses(host, spec) {
      const az = spec.availability_zone;
      if (!az) return true;
      const zones = aggregateValuesFromKey(host, 'availability_zone');
      return zones.size > 0 ? zones.has(az) : az === options.default_availability_zone;
    },
  };
}
