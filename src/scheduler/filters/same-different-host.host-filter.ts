import type { HostState } from '../host-state';
import { getSchedulerHint } from '../request-spec';
import type { HostFilter } from './index';

/** Nova's `instance_uuids_overlap`. */
function overlap(host: HostState, uuids: string | string[]): boolean {
  const list = typeof uuids === 'string' ? [uuids] : uuids;
  return list.some((u) => host.instances.has(u));
}

const hasHint = (v: string | string[] | undefined): v is string | string[] => v !== undefined && v.length > 0;

/** Nova's SameHostFilter: with hint `same_host`, the host holds one of those instances. */
export function sameHostFilter(): HostFilter {
  return {
    name: 'SameHostFilter',
    runFilterOncePerRequest: true,
    appliesTo: (spec) => hasHint(getSchedulerHint(spec, 'same_host')),
    hostPasses(host, spec) {
      const uuids = getSchedulerHint(spec, 'same_host');
      return hasHint(uuids) ? overlap(host, uuids) : true;
    },
  };
}

/** Nova's DifferentHostFilter: with hint `different_host`, the host holds none of those instances. */
export function differentHostFilter(): HostFilter {
  return {
    name: 'DifferentHostFilter',
    runFilterOncePerRequest: true,
    appliesTo: (spec) => hasHint(getSchedulerHint(spec, 'different_host')),
    hostPasses(host, spec) {
      const uuids = getSchedulerHint(spec, 'different_host');
      return hasHint(uuids) ? !overlap(host, uuids) : true;
    },
  };
}
