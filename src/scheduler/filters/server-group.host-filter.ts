import type { HostFilter } from './index';

/**
 * Nova's ServerGroupAntiAffinityFilter: for an `anti-affinity` group, the host holds fewer than
 * `max_server_per_host` (rule, default 1) members of the group. A host already holding the
 * instance being scheduled passes (moves may re-check the source host).
 */
export function serverGroupAntiAffinityFilter(): HostFilter {
  return {
    name: 'ServerGroupAntiAffinityFilter',
    runFilterOncePerRequest: false,
    appliesTo: (spec) => spec.instance_group?.policy === 'anti-affinity',
    hostPasses(host, spec) {
      const group = spec.instance_group;
      if (!group || group.policy !== 'anti-affinity') return true;
      if (spec.instance_uuid && host.instances.has(spec.instance_uuid)) return true;
      const rule = group.rules?.max_server_per_host;
      const max = rule === undefined ? 1 : Number(rule);
      let onHost = 0;
      for (const m of new Set(group.members)) if (host.instances.has(m)) onHost++;
      return onHost < max;
    },
  };
}

/**
 * Nova's ServerGroupAffinityFilter: for an `affinity` group, the host is one of the group's
 * hosts, or the group has no hosts yet.
 */
export function serverGroupAffinityFilter(): HostFilter {
  return {
    name: 'ServerGroupAffinityFilter',
    runFilterOncePerRequest: false,
    appliesTo: (spec) => spec.instance_group?.policy === 'affinity',
    hostPasses(host, spec) {
      const group = spec.instance_group;
      if (!group || group.policy !== 'affinity') return true;
      return group.hosts.length === 0 || group.hosts.includes(host.host);
    },
  };
}
