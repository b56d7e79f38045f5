import { minAggregateNumber } from '../host-state';
import type { HostWeigher, WeigherOptions } from './index';

/**
 * Nova's BuildFailureWeigher: recent failed builds on the host, with the multiplier negated
 * (`build_failure_weight_multiplier` 1000000.0), so any failure pushes a host to the back.
 */
export function buildFailureWeigher(o: WeigherOptions): HostWeigher {
  return {
    name: 'BuildFailureWeigher',
    multiplier: -1 * o.build_failure_weight_multiplier,
    weightMultiplier: (h) => -1 * minAggregateNumber(h, 'build_failure_weight_multiplier', o.build_failure_weight_multiplier),
    weighObject: (h) => h.failed_builds,
  };
}
