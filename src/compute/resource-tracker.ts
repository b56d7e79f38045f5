import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ProcessInfo } from '../common/process-info';
import { NOVA_CONF, PROCESS_INFO } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import type { ComputeNodeReport } from '../objects/compute-node.object';
import type { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';

/** Nova's default periodic interval, used when update_resources_interval is 0. */
const DEFAULT_PERIODIC_SEC = 60;

/**
 * Keeps this host's compute nodes up to date in the database, through the conductor (compute
 * never opens the database): once at start and every `update_resources_interval`. Instances'
 * usage joins the report with the lifecycle issue; today only the host's reserved amounts count.
 */
@Injectable()
export class ResourceTracker implements OnModuleDestroy {
  private readonly logger = new Logger('compute.resource_tracker');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
    @Inject(PROCESS_INFO) private readonly info: ProcessInfo,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    private readonly conductor: ConductorRpcClient,
  ) {}

  /** Initialises the driver and reports every node, retrying while the conductor is unreachable. */
  async start(): Promise<void> {
    await this.driver.init(this.info.host);
    this.logger.log(`driver ${this.driver.name} reports node(s) ${this.driver.getAvailableNodes().join(', ')}`);
    const interval = this.conf.DEFAULT.update_resources_interval;
    if (interval >= 0) {
      this.timer = setInterval(() => void this.update(), (interval === 0 ? DEFAULT_PERIODIC_SEC : interval) * 1000);
      this.timer.unref();
    }
    for (let attempt = 1; this.timer !== undefined || interval < 0; attempt++) {
      if (await this.update()) return;
      await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 10_000)).unref());
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  onModuleDestroy(): void {
    this.stop();
  }

  /** The report for one node, with the host's reserved amounts counted as used (as Nova does). */
  report(nodename: string): ComputeNodeReport {
    const r = this.driver.getAvailableResource(nodename);
    const d = this.conf.DEFAULT;
    const memoryUsed = d.reserved_host_memory_mb;
    const diskUsedGb = Math.ceil(d.reserved_host_disk_mb / 1024);
    return {
      host: this.info.host,
      hypervisor_hostname: r.hypervisor_hostname,
      hypervisor_type: r.hypervisor_type,
      hypervisor_version: r.hypervisor_version,
      vcpus: r.vcpus,
      memory_mb: r.memory_mb,
      local_gb: r.local_gb,
      vcpus_used: 0,
      memory_mb_used: memoryUsed,
      local_gb_used: diskUsedGb,
      free_ram_mb: r.memory_mb - memoryUsed,
      free_disk_gb: r.local_gb - diskUsedGb,
      disk_available_least: r.disk_available_least,
      current_workload: 0,
      running_vms: 0,
      host_ip: d.my_ip,
      cpu_info: r.cpu_info,
      supported_instances: r.supported_instances,
      cpu_allocation_ratio: d.cpu_allocation_ratio ?? d.initial_cpu_allocation_ratio,
      ram_allocation_ratio: d.ram_allocation_ratio ?? d.initial_ram_allocation_ratio,
      disk_allocation_ratio: d.disk_allocation_ratio ?? d.initial_disk_allocation_ratio,
    };
  }

  /** Reports every node; true when all reports were recorded. */
  async update(): Promise<boolean> {
    let ok = true;
    for (const node of this.driver.getAvailableNodes()) {
      try {
        await this.conductor.compute_node_update(this.report(node), Math.min(this.conf.DEFAULT.rpc_response_timeout, 10) * 1000);
      } catch (err) {
        ok = false;
        this.logger.warn(`cannot record compute node ${node} yet: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return ok;
  }
}
