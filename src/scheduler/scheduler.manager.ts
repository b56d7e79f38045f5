import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import { FilterScheduler, Selection } from './filter-scheduler';
import { HostManager } from './host-manager';
import { NoValidHost } from './no-valid-host';
import type { RequestSpec } from './request-spec';

export interface SelectDestinationsArgs {
  spec_obj: RequestSpec;
  instance_uuids?: string[];
  return_objects?: boolean;
  return_alternates?: boolean;
}

/** The scheduler's RPC endpoints (topic `scheduler`). */
@Controller()
export class SchedulerManager {
  private readonly scheduler: FilterScheduler;

  constructor(private readonly hosts: HostManager, @Inject(NOVA_CONF) conf: NovaConf) {
    const fs = conf.filter_scheduler;
    this.scheduler = new FilterScheduler({
      // Placement's part (resource fit) always runs first, as in Nova where placement answers
      // before any configured filter sees the hosts.
      enabled_filters: ['ResourceFitFilter', ...fs.enabled_filters.filter((f) => f !== 'ResourceFitFilter')],
      host_subset_size: fs.host_subset_size,
      max_attempts: conf.scheduler.max_attempts,
      filter_options: {
        max_instances_per_host: fs.max_instances_per_host,
        max_io_ops_per_host: fs.max_io_ops_per_host,
        default_availability_zone: conf.DEFAULT.default_availability_zone,
      },
      weigher_options: {
        ram_weight_multiplier: fs.ram_weight_multiplier,
        cpu_weight_multiplier: fs.cpu_weight_multiplier,
        disk_weight_multiplier: fs.disk_weight_multiplier,
        io_ops_weight_multiplier: fs.io_ops_weight_multiplier,
        num_instances_weight_multiplier: fs.num_instances_weight_multiplier,
        soft_affinity_weight_multiplier: fs.soft_affinity_weight_multiplier,
        soft_anti_affinity_weight_multiplier: fs.soft_anti_affinity_weight_multiplier,
        build_failure_weight_multiplier: fs.build_failure_weight_multiplier,
      },
    });
  }

  /** Nova's select_destinations: one list per instance, chosen host first, then alternates. */
  @RpcMethod('scheduler', 'select_destinations')
  async select_destinations(@Payload() args: SelectDestinationsArgs): Promise<Selection[][]> {
    const states = await this.hosts.hostStates();
    const result = this.scheduler.selectDestinations(states, {
      spec: args.spec_obj,
      instance_uuids: args.instance_uuids,
      return_alternates: args.return_alternates ?? true,
    });
    if (result.selections.length === 0) throw new NoValidHost();
    return result.selections;
  }
}
