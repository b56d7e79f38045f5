/** [scheduler] and [filter_scheduler]. */
import { boolOpt, floatOpt, intOpt, listOpt, multiOpt, section, strOpt } from '../option-types';

export const schedulerSection = section('The scheduler role.', {
  max_attempts: intOpt({
    default: 3, min: 1, deprecated: ['DEFAULT.scheduler_max_attempts'],
    help: 'Hosts tried for one instance build (the chosen host plus alternates) before it goes to ERROR.',
  }),
  max_placement_results: intOpt({
    default: 1000, min: 1, help: 'Most allocation candidates requested from placement per request.',
  }),
  discover_hosts_in_cells_interval: intOpt({
    default: -1, min: -1, unit: 'seconds',
    help: 'How often the scheduler maps new compute hosts. -1 disables it (map them with the admin CLI).',
  }),
  workers: intOpt({ min: 0, help: 'Accepted for compatibility; nova-ts runs one scheduler per process.' }),
});

export const filterSchedulerSection = section('Filters and weighers of the scheduler.', {
  available_filters: multiOpt({
    default: ['nova.scheduler.filters.all_filters'], deprecated: ['DEFAULT.scheduler_available_filters'],
    help: 'Filters that may be enabled; nova.scheduler.filters.all_filters names every built-in filter.',
  }),
  enabled_filters: listOpt({
    default: ['ComputeFilter', 'ComputeCapabilitiesFilter', 'ImagePropertiesFilter',
      'ServerGroupAntiAffinityFilter', 'ServerGroupAffinityFilter'],
    deprecated: ['DEFAULT.scheduler_default_filters'],
    help: 'Filters applied to each request, in this order. Availability zones are handled by a ' +
      'placement query, so AvailabilityZoneFilter is not needed.',
  }),
  weight_classes: listOpt({
    default: ['nova.scheduler.weights.all_weighers'], help: 'Weighers that rank the remaining hosts.',
  }),
  host_subset_size: intOpt({
    default: 1, min: 1, help: 'Pick randomly among this many best-weighed hosts, to spread concurrent requests.',
  }),
  max_io_ops_per_host: intOpt({
    default: 8, min: 0, help: 'IoOpsFilter: most concurrent I/O-heavy operations (builds, resizes, ...) per host.',
  }),
  max_instances_per_host: intOpt({ default: 50, min: 1, help: 'NumInstancesFilter: most instances per host.' }),
  ram_weight_multiplier: floatOpt({ default: 1.0, help: 'Weight of free RAM; negative values stack instead of spread.' }),
  cpu_weight_multiplier: floatOpt({ default: 1.0, help: 'Weight of free vCPUs; negative values stack.' }),
  disk_weight_multiplier: floatOpt({ default: 1.0, help: 'Weight of free disk; negative values stack.' }),
  io_ops_weight_multiplier: floatOpt({ default: -1.0, help: 'Weight of the host\'s I/O load; negative prefers idle hosts.' }),
  num_instances_weight_multiplier: floatOpt({
    default: 0.0, help: 'Weight of the number of instances; positive packs, negative spreads, 0 ignores it.',
  }),
  soft_affinity_weight_multiplier: floatOpt({ default: 1.0, min: 0, help: 'Weight of soft-affinity server groups.' }),
  soft_anti_affinity_weight_multiplier: floatOpt({
    default: 1.0, min: 0, help: 'Weight of soft-anti-affinity server groups.',
  }),
  build_failure_weight_multiplier: floatOpt({
    default: 1000000.0, help: 'Penalty for hosts whose recent builds failed; 0 disables it.',
  }),
  shuffle_best_same_weighed_hosts: boolOpt({
    default: false, help: 'Shuffle hosts that share the best weight, to spread load among identical hosts.',
  }),
  aggregate_image_properties_isolation_namespace: strOpt({
    help: 'AggregateImagePropertiesIsolation: only compare image properties in this namespace.',
  }),
  aggregate_image_properties_isolation_separator: strOpt({
    default: '.', help: 'Separator between that namespace and the property name.',
  }),
  track_instance_changes: boolOpt({
    default: true, help: 'Compute hosts send the scheduler their instance list changes (for affinity filters).',
  }),
});
