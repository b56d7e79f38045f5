/**
 * The hypervisor contract every driver implements (fake, libvirt over SSH). Drivers never import
 * db/, rpc/ or api/; they receive plain objects and return plain objects. This first slice is
 * what the resource tracker needs; the lifecycle issue adds spawn/destroy/power operations.
 */

export interface NodeResources {
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  /** What the hypervisor itself uses or reports free (driver view, before instances are counted). */
  disk_available_least: number;
  cpu_info: Record<string, unknown>;
  supported_instances: Array<[string, string, string]>;
}

export interface ComputeDriver {
  /** e.g. `fake.FakeDriver`, for logs. */
  readonly name: string;
  /** Connects to the hypervisor; throws a NovaError with a clear message when it cannot. */
  init(host: string): Promise<void>;
  /** The nodes this host reports (one compute node each). */
  getAvailableNodes(): string[];
  getAvailableResource(nodename: string): NodeResources;
  /** The host's `uptime` line (e.g. ` 10:00:00 up 1 day,  2:03,  0 users,  load average: 0.10, 0.05, 0.01`). */
  getHostUptime(): Promise<string>;
  close(): Promise<void>;
}
