import type { HostState } from '../host-state';
import { minAggregateNumber } from '../host-state';
import type { RequestSpec } from '../request-spec';
import type { HostWeigher, WeigherOptions } from './index';

/** Members of the request's group (with the given policy) on the host; 0 otherwise. */
function membersOnHost(h: HostState, spec: RequestSpec, policy: string): number {
  const g = spec.instance_group;
  if (!g || g.policy !== policy) return 0;
  let n = 0;
  for (const m of new Set(g.members)) if (h.instances.has(m)) n++;
  return n;
}

/** Nova's ServerGroupSoftAffinityWeigher: group members on the host (soft-affinity groups). */
export function serverGroupSoftAffinityWeigher(o: WeigherOptions): HostWeigher {
  return {
    name: 'ServerGroupSoftAffinityWeigher',
    multiplier: o.soft_affinity_weight_multiplier,
    weightMultiplier: (h) => minAggregateNumber(h, 'soft_affinity_weight_multiplier', o.soft_affinity_weight_multiplier),
    appliesTo: (spec) => spec.instance_group?.policy === 'soft-affinity',
    weighObject: (h, spec) => membersOnHost(h, spec, 'soft-affinity'),
  };
}

/** Nova's ServerGroupSoftAntiAffinityWeigher: −(group members on the host) (soft-anti-affinity groups). */
export function serverGroupSoftAntiAffinityWeigher(o: WeigherOptions): HostWeigher {
  return {
    name: 'ServerGroupSoftAntiAffinityWeigher',
    multiplier: o.soft_anti_affinity_weight_multiplier,
    weightMultiplier: (h) => minAggregateNumber(h, 'soft_anti_affinity_weight_multiplier', o.soft_anti_affinity_weight_multiplier),
    appliesTo: (spec) => spec.instance_group?.policy === 'soft-anti-affinity',
    weighObject: (h, spec) => -membersOnHost(h, spec, 'soft-anti-affinity'),
  };
}
