import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { AllocationRepository, ClaimFailed, Reserved } from '../db/repositories/allocation.repository';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import { FilterScheduler, Selection } from './filter-scheduler';
import { HostManager } from './host-manager';
import { NoValidHost } from './no-valid-host';
import { RequestSpec, resourceRequest } from './request-spec';

/** Rounds of select-then-claim before giving up when other schedulers keep winning the same hosts. */
const CLAIM_ROUNDS = 5;

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
  private readonly logger = new Logger('scheduler');
  private readonly reserved: Reserved;

  constructor(private readonly hosts: HostManager, private readonly allocations: AllocationRepository, @Inject(NOVA_CONF) conf: NovaConf) {
    const fs = conf.filter_scheduler;
    this.reserved = { cpus: conf.DEFAULT.reserved_host_cpus, memory_mb: conf.DEFAULT.reserved_host_memory_mb, disk_mb: conf.DEFAULT.reserved_host_disk_mb };
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

  /**
   * Nova's select_destinations: one list per instance, chosen host first, then alternates. Each
   * chosen host is claimed in the database (the instance uuid is the consumer) before it is
   * returned; a claim lost to another scheduler makes this one pick again with fresh host states.
   * When some instance cannot be placed, the claims made for the others are released: all or none.
   */
  @RpcMethod('scheduler', 'select_destinations')
  async select_destinations(@Payload() args: SelectDestinationsArgs): Promise<Selection[][]> {
    const spec = args.spec_obj;
    const uuids = args.instance_uuids && args.instance_uuids.length > 0 ? [...args.instance_uuids] : null;
    if (!uuids) return this.pick(spec, undefined, args.return_alternates);
    const amounts = resourceRequest(spec);
    const claim = { vcpus: amounts.VCPU, memory_mb: amounts.MEMORY_MB, disk_gb: amounts.DISK_GB };
    const result = new Map<string, Selection[]>();
    const groupHosts = [...(spec.instance_group?.hosts ?? [])];
    try {
      for (let round = 1; result.size < uuids.length; round++) {
        const pending = uuids.filter((u) => !result.has(u));
        const roundSpec: RequestSpec = spec.instance_group ? { ...spec, instance_group: { ...spec.instance_group, hosts: groupHosts } } : spec;
        const selections = await this.pick({ ...roundSpec, num_instances: pending.length }, pending, args.return_alternates);
        let lost = false;
        for (const [i, uuid] of pending.entries()) {
          const [chosen, ...alternates] = selections[i];
          try {
            await this.allocations.claim(uuid, chosen.compute_node_uuid, claim, this.reserved);
          } catch (err) {
            if (!(err instanceof ClaimFailed)) throw err;
            this.logger.log(`claim for ${uuid} lost on ${chosen.service_host}: ${err.message}`);
            lost = true;
            break;
          }
          result.set(uuid, [chosen, ...alternates]);
          groupHosts.push(chosen.service_host);
        }
        if (lost && round >= CLAIM_ROUNDS) throw new NoValidHost('There are not enough hosts available.');
      }
    } catch (err) {
      await Promise.all([...result.keys()].map((u) => this.allocations.release(u)));
      throw err;
    }
    return uuids.map((u) => result.get(u) as Selection[]);
  }

  private async pick(spec: RequestSpec, uuids: string[] | undefined, alternates: boolean | undefined): Promise<Selection[][]> {
    const states = await this.hosts.hostStates();
    const result = this.scheduler.selectDestinations(states, { spec, instance_uuids: uuids, return_alternates: alternates ?? true });
    if (result.selections.length === 0) throw new NoValidHost();
    return result.selections;
  }
}
