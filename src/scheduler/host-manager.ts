import { Inject, Injectable } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { AggregateRepository } from '../db/repositories/aggregate.repository';
import { AllocationRepository, reservedOf } from '../db/repositories/allocation.repository';
import { ComputeNodeRepository } from '../db/repositories/compute-node.repository';
import { ServiceRepository } from '../db/repositories/service.repository';
import { isServiceUp } from '../servicegroup/liveness';
import { HostState, makeHostState, SupportedInstance } from './host-state';

/**
 * Builds the scheduler's view of every compute node from the database: resources the nodes
 * report, their compute service's state, their aggregates, and what instances hold on them
 * (allocations per consumer: the same numbers the atomic claim checks).
 */
@Injectable()
export class HostManager {
  constructor(
    private readonly nodes: ComputeNodeRepository,
    private readonly services: ServiceRepository,
    private readonly aggregates: AggregateRepository,
    private readonly allocations: AllocationRepository,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  async hostStates(): Promise<HostState[]> {
    const [nodes, computes, aggregates, usage] = await Promise.all([
      this.nodes.list(), this.services.list({ binary: 'nova-compute' }), this.aggregates.list(), this.allocations.usageByNode(),
    ]);
    const d = this.conf.DEFAULT;
    const now = Date.now();
    const states: HostState[] = [];
    for (const node of nodes) {
      const service = computes.find((s) => s.host === node.host);
      if (!service) continue;
      const reserved = reservedOf(node.stats, d);
      const reservedMemory = reserved.memory_mb;
      const used = usage.get(node.uuid) ?? { vcpus: 0, memory_mb: 0, disk_gb: 0, consumers: [] };
      const state = makeHostState({        host: node.host,
        nodename: node.hypervisor_hostname,
        uuid: node.uuid,
        aggregates: aggregates.filter((a) => a.hosts.includes(node.host)).map((a) => ({ id: a.id, name: a.name, metadata: a.metadata })),
        vcpus_total: node.vcpus,
        vcpus_used: used.vcpus,
        reserved_host_cpus: reserved.cpus,
        cpu_allocation_ratio: node.cpu_allocation_ratio ?? d.initial_cpu_allocation_ratio,
        memory_mb: node.memory_mb,
        memory_mb_used: used.memory_mb,
        reserved_host_memory_mb: reservedMemory,
        ram_allocation_ratio: node.ram_allocation_ratio ?? d.initial_ram_allocation_ratio,
        local_gb: node.local_gb,
        local_gb_used: used.disk_gb,
        reserved_host_disk_mb: reserved.disk_mb,
        disk_allocation_ratio: node.disk_allocation_ratio ?? d.initial_disk_allocation_ratio,
        num_instances: used.consumers.length,
        num_io_ops: Number(node.stats.io_workload ?? 0) || 0,
        instances: used.consumers,
        service_up: isServiceUp(service, d.service_down_time, now),
        service_disabled: service.disabled,
        hypervisor_type: node.hypervisor_type,
        hypervisor_version: node.hypervisor_version,
        hypervisor_hostname: node.hypervisor_hostname,
        supported_instances: node.supported_instances as SupportedInstance[],
        cpu_info: node.cpu_info,
        stats: Object.fromEntries(Object.entries(node.stats).map(([k, v]) => [k, String(v)])),
        updated: node.updated_at,
      });
      states.push(state);
    }
    return states;
  }
}
