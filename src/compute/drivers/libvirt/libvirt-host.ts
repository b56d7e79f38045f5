/**
 * What the hypervisor host offers (virsh nodeinfo + version, free space of instances_path), kept
 * in memory because ComputeDriver.getAvailableResource is synchronous: refreshed at init and after
 * every listGuests (the resource tracker's periodic task lists guests too).
 */
import type { NodeResources } from '../../driver/compute-driver';
import { runChecked } from './host-shell';
import type { DriverCore } from './driver-core';
import type { NodeInfo } from './virsh';

interface HostSnapshot {
  node: NodeInfo;
  version: number;
  diskTotalGb: number;
  diskFreeGb: number;
}

/** `df -k --output=size,avail` → GiB (floor). */
export function parseDf(out: string): { totalGb: number; freeGb: number } {
  const line = out.trim().split('\n').pop() ?? '';
  const [size, avail] = line.trim().split(/\s+/).map((x) => Number.parseInt(x, 10));
  const gb = (kib: number | undefined): number => Math.floor((kib ?? 0) / (1024 * 1024));
  return { totalGb: gb(size), freeGb: gb(avail) };
}

export class LibvirtHost {
  private snap: HostSnapshot | null = null;

  constructor(private readonly core: DriverCore) {}

  async refresh(): Promise<void> {
    const node = await this.core.virsh.nodeinfo();
    const version = await this.core.virsh.hypervisorVersion();
    const df = parseDf(await runChecked(this.core.shell, ['df', '-k', '--output=size,avail', this.core.opts.instancesPath]));
    this.snap = { node, version, diskTotalGb: df.totalGb, diskFreeGb: df.freeGb };
  }

  resources(nodename: string): NodeResources {
    const s = this.snap;
    const n = s?.node;
    return {
      hypervisor_hostname: nodename,
      hypervisor_type: 'QEMU',
      hypervisor_version: s?.version ?? 0,
      vcpus: n?.cpus ?? 0,
      memory_mb: Math.floor((n?.memoryKiB ?? 0) / 1024),
      local_gb: s?.diskTotalGb ?? 0,
      disk_available_least: s?.diskFreeGb ?? 0,
      cpu_info: {
        arch: n?.cpuModel ?? 'x86_64',
        model: this.core.opts.virtType === 'qemu' ? 'qemu64' : 'host-model',
        vendor: 'Intel',
        topology: { cells: n?.numaCells ?? 1, sockets: n?.sockets ?? 1, cores: n?.coresPerSocket ?? 1, threads: n?.threadsPerCore ?? 1 },
        features: [],
      },
      supported_instances: [['x86_64', this.core.opts.virtType, 'hvm'], ['i686', this.core.opts.virtType, 'hvm']],
    };
  }
}
