import type { ComputeDriver, NodeResources } from '../../driver/compute-driver';

export interface FakeDriverOptions {
  vcpus: number;
  memoryMb: number;
  localGb: number;
  /** Node names; empty means one node named after the host. */
  nodes: string[];
}

/** An in-memory hypervisor: no guests, fixed resources, for development and scale tests. */
export class FakeDriver implements ComputeDriver {
  readonly name = 'fake.FakeDriver';
  private nodes: string[] = [];
  private readonly startedAt = Date.now();

  constructor(private readonly options: FakeDriverOptions) {}

  async init(host: string): Promise<void> {
    this.nodes = this.options.nodes.length > 0 ? [...this.options.nodes] : [host];
  }

  getAvailableNodes(): string[] {
    return [...this.nodes];
  }

  getAvailableResource(nodename: string): NodeResources {
    return {
      hypervisor_hostname: nodename,
      hypervisor_type: 'fake',
      hypervisor_version: 1000,
      vcpus: this.options.vcpus,
      memory_mb: this.options.memoryMb,
      local_gb: this.options.localGb,
      disk_available_least: this.options.localGb,
      cpu_info: { arch: 'x86_64', model: 'fake', vendor: 'nova-ts', topology: { cells: 1, sockets: 1, cores: this.options.vcpus, threads: 1 }, features: [] },
      supported_instances: [['x86_64', 'fake', 'hvm'], ['i686', 'fake', 'hvm']],
    };
  }

  /** An `uptime`-style line for this fake host: how long the driver has been up, no load. */
  async getHostUptime(): Promise<string> {
    const secs = Math.floor((Date.now() - this.startedAt) / 1000);
    const days = Math.floor(secs / 86400);
    const hm = `${Math.floor((secs % 86400) / 3600)}:${String(Math.floor((secs % 3600) / 60)).padStart(2, '0')}`;
    const now = new Date().toISOString().slice(11, 19);
    return ` ${now} up ${days > 0 ? `${days} day${days > 1 ? 's' : ''}, ` : ''}${hm},  0 users,  load average: 0.00, 0.00, 0.00`;
  }

  async close(): Promise<void> {
    this.nodes = [];
  }
}
