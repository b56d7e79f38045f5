import { aggregateMetadataByHost } from '../host-state';
import { extraSpecsMatch } from './compute-capabilities.host-filter';
import type { HostFilter } from './index';

const SCOPE = 'aggregate_instance_extra_specs';

/**
 * Nova's AggregateInstanceExtraSpecsFilter: every bare or `aggregate_instance_extra_specs:`
 * scoped flavor extra spec must match (extra_specs_ops) one of the values the host's aggregates
 * have for that key; a key missing from the aggregates fails the host.
 */
export function aggregateInstanceExtraSpecsFilter(): HostFilter {
  return {
    name: 'AggregateInstanceExtraSpecsFilter',
    runFilterOncePerRequest: true,
    appliesTo: (spec) => Object.keys(spec.flavor.extra_specs).length > 0,
    hostPasses(host, spec) {
      const specs = Object.entries(spec.flavor.extra_specs);
      if (specs.length === 0) return true;
      const metadata = aggregateMetadataByHost(host);
      for (const [rawKey, req] of specs) {
        const i = rawKey.indexOf(':');
        let key = rawKey;
        if (i >= 0) {
          if (rawKey.slice(0, i) !== SCOPE) continue;
          key = rawKey.slice(i + 1);
        }
        const values = metadata.get(key);
        if (!values || values.size === 0) return false;
        let matched = false;
        for (const v of values) {
          if (extraSpecsMatch(v, req)) {
            matched = true;
            break;
          }
        }
        if (!matched) return false;
      }
      return true;
    },
  };
}
