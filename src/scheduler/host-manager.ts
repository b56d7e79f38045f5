import { Inject, Injectable } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { AggregateRepository } from '../db/repositories/aggregate.repository';
import { ComputeNodeRepository } from '../db/repositories/compute-node.repository';
import { ServiceRepository } from '../db/repositories/service.repository';
import { isServiceUp } from '../servicegroup/liveness';
import { HostState, makeHostState, SupportedInstance } from './host-state';

/**
 * Builds the scheduler's view of every compute node from the database: resources the nodes
 * report, their compute service's state, and their aggregates. Instance usage joins with the
 * lifecycle issue (allocations per consumer); today nodes report only the host's reserved amounts.
 */
@Injectable()
export class HostManager {
  constructor(
    private readonly nodes: ComputeNodeRepository,
    private readonly services: ServiceRepository,
    private readonly aggregates: AggregateRepository,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  async hostStates(): Promise<HostState[]> {
    const [nodes, computes, aggregates] = await Promise.all([this.nodes.list(), this.services.list({ binary: 'nova-compute' }), this.aggregates.list()]);
    const d = this.conf.DEFAULT;
    const now = Date.now();
    const states: HostState[] = [];
    for (const node of nodes) {
      const service = computes.find((s) => s.host === node.host);
      if (!service) continue;
      const reservedMemory = d.reserved_host_memory_mb;
      states.push(makeHostState({
        host: node.host,
        nodename: node.hypervisor_hostname,
        uuid: node.uuid,
        aggregates: aggregates.filter((a) => a.hosts.includes(node.host)).map((a) => ({ id: a.id, name: a.name, metadata: a.metadata })),
        vcpus_total: node.vcpus,
        vcpus_used: node.vcpus_used,
        reserved_host_cpus: d.reserved_host_cpus,
        cpu_allocation_ratio: node.cpu_allocation_ratio ?? d.initial_cpu_allocation_ratio,
        memory_mb: node.memory_mb,
        // Nodes report the reserved amount as used; the host state keeps them apart.
        memory_mb_used: Math.max(0, node.memory_mb_used - reservedMemory),
        reserved_host_memory_mb: reservedMemory,
        ram_allocation_ratio: node.ram_allocation_ratio ?? d.initial_ram_allocation_ratio,
        local_gb: node.local_gb,
        local_gb_used: Math.max(0, node.local_gb_used - Math.ceil(d.reserved_host_disk_mb / 1024)),
        reserved_host_disk_mb: d.reserved_host_disk_mb,
        disk_allocation_ratio: node.disk_allocation_ratio ?? d.initial_disk_allocation_ratio,
        num_instances: node.running_vms ?? 0,
        service_up: isServiceUp(service, d.service_down_time, now),
        service_disabled: service.disabled,
        hypervisor_type: node.hypervisor_type,
        hypervisor_version: node.hypervisor_version,
        hypervisor_hostname: node.hypervisor_hostname,
        supported_instances: node.supported_instances as SupportedInstance[],
        cpu_info: node.cpu_info,
        stats: Object.fromEntries(Object.entries(node.stats).map(([k, v]) => [k, String(v)])),
        updated: node.updated_at,
      }));
    }
    return states;
  }
}
