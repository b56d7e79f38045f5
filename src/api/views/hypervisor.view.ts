import type { ComputeNodeRecord } from '../../objects/compute-node.object';
import type { ServiceRecord } from '../../objects/service.object';
import { ApiVersion, atLeast } from '../microversion/api-version';

export interface HypervisorViewInput {
  node: ComputeNodeRecord;
  /** The node's nova-compute service (nodes without one are not shown at all). */
  service: ServiceRecord;
  up: boolean;
  /** The servers on the node's host, when they were asked for. */
  servers?: Array<{ name: string; uuid: string }>;
  /** `with_servers` was requested (from 2.75 an empty `servers` list is then still shown). */
  withServers?: boolean;
  /** The host's uptime string (2.88 detail); null when the driver cannot tell. */
  uptime?: string | null;
}

/**
 * One os-hypervisors item, as Nova's `_view_hypervisor`; `detail` adds the resource fields
 * (dropped from 2.88, which adds `uptime`).
 */
export function hypervisorView(v: ApiVersion, { node, service, up, servers, withServers, uptime }: HypervisorViewInput, detail: boolean) {
  const uuids = atLeast(v, '2.53');
  const body: Record<string, unknown> = {
    id: uuids ? node.uuid : node.id,
    hypervisor_hostname: node.hypervisor_hostname,
    state: up ? 'up' : 'down',
    status: service.disabled ? 'disabled' : 'enabled',
  };
  if (detail) {
    Object.assign(body, {
      hypervisor_type: node.hypervisor_type,
      hypervisor_version: node.hypervisor_version,
      host_ip: node.host_ip,
      service: { id: uuids ? service.uuid : service.id, host: node.host, disabled_reason: service.disabled_reason },
    });
    if (atLeast(v, '2.88')) {
      const fromStats = node.stats && 'uptime' in node.stats ? (node.stats.uptime as string | null) : null;
      body.uptime = uptime !== undefined ? uptime : fromStats;
    } else {
      Object.assign(body, {
        vcpus: node.vcpus,
        memory_mb: node.memory_mb,
        local_gb: node.local_gb,
        vcpus_used: node.vcpus_used,
        memory_mb_used: node.memory_mb_used,
        local_gb_used: node.local_gb_used,
        free_ram_mb: node.free_ram_mb,
        free_disk_gb: node.free_disk_gb,
        current_workload: node.current_workload,
        running_vms: node.running_vms,
        disk_available_least: node.disk_available_least,
        // The column's JSON text before 2.28 (as Python's json.dumps wrote it), the object from 2.28.
        cpu_info: atLeast(v, '2.28') ? node.cpu_info ?? {} : pyJsonDumps(node.cpu_info ?? {}),
      });
    }
  }
  if (servers !== undefined && servers.length > 0) body.servers = servers.map((s) => ({ name: s.name, uuid: s.uuid }));
  else if (withServers && atLeast(v, '2.75')) body.servers = [];
  return body;
}

/** Python's `json.dumps` with its default separators (`, ` and `: `). */
export function pyJsonDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyJsonString(k)}: ${pyJsonDumps(x)}`).join(', ')}}`;
  }
  if (typeof v === 'string') return pyJsonString(v);
  return JSON.stringify(v) ?? 'null';
}

function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
