import type { HostFilter } from './index';

/**
 * Nova's ComputeFilter: the host's nova-compute service is enabled and up (the shell computes
 * `service_up` with the servicegroup liveness rules, forced_down included).
 */
export function computeFilter(): HostFilter {
  return {
    name: 'ComputeFilter',
    runFilterOncePerRequest: true,
    hostPasses: (h) => !h.service_disabled && h.service_up,
  };
}
