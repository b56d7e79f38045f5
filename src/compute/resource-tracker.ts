import { Inject, Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { ProcessInfo } from '../common/process-info';
import { NOVA_CONF, PROCESS_INFO } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import type { ComputeNodeReport } from '../objects/compute-node.object';
import type { InstanceFlavor, InstanceRecord } from '../objects/instance.object';
import type { MoveUsage } from '../objects/migration.object';
import { MoveTaskRpcClient } from '../conductor/move-task.rpc-client';
import type { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { HeartbeatService } from '../servicegroup/heartbeat.service';

/** Task states Nova counts as I/O work (`io_workload`, read by the IoOps filter and weigher). */
const IO_TASKS = new Set([
  'resize_migrating', 'rebuilding', 'resize_prep', 'image_snapshot', 'image_snapshot_pending', 'image_backup', 'rescuing',
  'unshelving', 'shelving', 'spawning', 'networking', 'block_device_mapping', 'image_uploading', 'image_pending_upload',
]);

/** Nova's default periodic interval, used when update_resources_interval is 0. */
const DEFAULT_PERIODIC_SEC = 60;

/**
 * Keeps this host's compute nodes up to date in the database, through the conductor (compute
 * never opens the database): once at start, every `update_resources_interval`, and shortly
 * after an instance lands on or leaves the host (`requestUpdate`, as Nova's claims update the
 * node at once). Used amounts are the host's reserved ones plus its instances' flavors.
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
    private readonly moves: MoveTaskRpcClient,
    @Optional() private readonly heartbeat?: HeartbeatService,
  ) {}

  /**
   * Initialises the driver and reports every node, retrying while the conductor is unreachable.
   * From then on nova-compute reports itself alive only while its hypervisor answers.
   */
  async start(): Promise<void> {
    await this.driver.init(this.info.host);
    const driver = this.driver;
    if (driver.checkHost) this.heartbeat?.setHealthCheck('compute', () => driver.checkHost!());
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
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  onModuleDestroy(): void {
    this.stop();
  }

  private pending: NodeJS.Timeout | undefined;
  private dirty = false;

  /** Schedules one report soon; requests during a pending or running report cause one more afterwards. */
  requestUpdate(delayMs = 200): void {
    if (this.pending) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    this.pending = setTimeout(() => {
      void this.update().finally(() => {
        this.pending = undefined;
        if (this.dirty) this.requestUpdate(delayMs);
      });
    }, delayMs);
    this.pending.unref();
  }

  /**
   * The report for one node: the host's reserved amounts plus what its instances' flavors use,
   * plus the flavors of instances moving to or from it (as Nova counts: a source keeps the old
   * flavor until the resize is confirmed or reverted).
   */
  report(nodename: string, instances: InstanceRecord[] = [], moving: MoveUsage[] = []): ComputeNodeReport {
    const r = this.driver.getAvailableResource(nodename);
    const d = this.conf.DEFAULT;
    const mine = instances.filter((i) => (i.node ?? nodename) === nodename);
    const flavors: InstanceFlavor[] = [
      ...mine.map((i) => i.flavor),
      ...moving.filter((m) => (m.node ?? nodename) === nodename && !mine.some((i) => i.uuid === m.instance_uuid)).map((m) => m.flavor),
    ];
    const sum = (f: (x: InstanceFlavor) => number) => flavors.reduce((a, x) => a + f(x), 0);
    const vcpusUsed = sum((x) => x.vcpus);
    const memoryUsed = d.reserved_host_memory_mb + sum((x) => x.memory_mb);
    const diskUsedGb = Math.ceil(d.reserved_host_disk_mb / 1024) + sum((x) => x.root_gb + x.ephemeral_gb + Math.ceil(x.swap / 1024));
    return {
      host: this.info.host,
      hypervisor_hostname: r.hypervisor_hostname,
      hypervisor_type: r.hypervisor_type,
      hypervisor_version: r.hypervisor_version,
      vcpus: r.vcpus,
      memory_mb: r.memory_mb,
      local_gb: r.local_gb,
      vcpus_used: vcpusUsed,
      memory_mb_used: memoryUsed,
      local_gb_used: diskUsedGb,
      free_ram_mb: r.memory_mb - memoryUsed,
      free_disk_gb: r.local_gb - diskUsedGb,
      disk_available_least: r.disk_available_least,
      current_workload: mine.filter((i) => i.task_state !== null).length,
      running_vms: mine.length,
      host_ip: d.my_ip,
      cpu_info: r.cpu_info,
      supported_instances: r.supported_instances,
      // Nova's stats (num_instances, io_workload: instances in a building/resize/snapshot task
      // state), plus what this host reserves, which placement keeps as each provider's
      // `reserved`: the scheduler's claims read it from here.
      stats: {
        num_instances: mine.length,
        io_workload: mine.filter((i) => IO_TASKS.has(i.task_state ?? '') || i.vm_state === 'building').length,
        reserved_host_memory_mb: d.reserved_host_memory_mb,
        reserved_host_disk_mb: d.reserved_host_disk_mb,
        reserved_host_cpus: d.reserved_host_cpus,
      },
      cpu_allocation_ratio: d.cpu_allocation_ratio ?? d.initial_cpu_allocation_ratio,
      ram_allocation_ratio: d.ram_allocation_ratio ?? d.initial_ram_allocation_ratio,
      disk_allocation_ratio: d.disk_allocation_ratio ?? d.initial_disk_allocation_ratio,
    };
  }

  /** Reports every node; true when all reports were recorded. */
  async update(): Promise<boolean> {
    let ok = true;
    let instances: InstanceRecord[] = [];
    let moving: MoveUsage[] = [];
    const timeoutMs = Math.min(this.conf.DEFAULT.rpc_response_timeout, 10) * 1000;
    try {
      // Shelved-offloaded and deleted instances hold nothing here; the conductor lists live rows of this host.
      instances = await this.conductor.instances_on_host(this.info.host, timeoutMs);
      moving = await this.moves.move_usage_on_host(this.info.host, timeoutMs);
    } catch (err) {
      this.logger.warn(`cannot list this host's instances yet: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
    for (const node of this.driver.getAvailableNodes()) {
      try {
        await this.conductor.compute_node_update(this.report(node, instances, moving), timeoutMs);
      } catch (err) {
        ok = false;
        this.logger.warn(`cannot record compute node ${node} yet: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return ok;
  }
}
