import type { HostFilter } from './index';

/** Nova's AllHostsFilter: every host passes. */
export function allHostsFilter(): HostFilter {
  return { name: 'AllHostsFilter', runFilterOncePerRequest: true, appliesTo: () => false, hostPasses: () => true };
}
