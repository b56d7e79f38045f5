/**
 * A `compute_nodes` row (Nova's `ComputeNode` object) as it crosses the bus and reaches the
 * hypervisor views: plain JSON, datetimes as ISO strings, JSON columns parsed.
 */
export interface ComputeNodeRecord {
  id: number;
  uuid: string;
  service_id: number | null;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  free_ram_mb: number | null;
  free_disk_gb: number | null;
  disk_available_least: number | null;
  current_workload: number | null;
  running_vms: number | null;
  host_ip: string | null;
  /** Parsed `cpu_info` JSON; `{}` when unset or not an object. */
  cpu_info: Record<string, unknown>;
  /** Parsed `stats` JSON; `{}` when unset. */
  stats: Record<string, unknown>;
  /** Parsed `supported_instances` JSON (`[[arch, hv_type, vm_mode], ...]`); `[]` when unset. */
  supported_instances: unknown[];
  cpu_allocation_ratio: number | null;
  ram_allocation_ratio: number | null;
  disk_allocation_ratio: number | null;
  created_at: string | null;
  updated_at: string | null;
}

/**
 * What a compute's resource tracker reports for one node. `host` + `hypervisor_hostname`
 * identify the node; `uuid` may be given on first report (a node identity the driver or host
 * already knows), otherwise one is generated. Omitted optional fields are left unchanged on
 * update (and take the column default on create).
 */
export interface ComputeNodeReport {
  uuid?: string;
  service_id?: number | null;
  host: string;
  hypervisor_hostname: string;
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used?: number;
  memory_mb_used?: number;
  local_gb_used?: number;
  free_ram_mb?: number | null;
  free_disk_gb?: number | null;
  disk_available_least?: number | null;
  current_workload?: number | null;
  running_vms?: number | null;
  host_ip?: string | null;
  /** An object, or the JSON text of one. */
  cpu_info?: Record<string, unknown> | string | null;
  stats?: Record<string, unknown> | null;
  supported_instances?: unknown[] | null;
  cpu_allocation_ratio?: number | null;
  ram_allocation_ratio?: number | null;
  disk_allocation_ratio?: number | null;
}

/** `GET /os-hypervisors/statistics` sums, as Nova's `compute_node_statistics`. */
export interface HypervisorStatistics {
  count: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
  free_ram_mb: number;
  free_disk_gb: number;
  current_workload: number;
  running_vms: number;
  disk_available_least: number;
}
