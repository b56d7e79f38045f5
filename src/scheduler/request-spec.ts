/**
 * The parts of Nova's `RequestSpec` (nova/objects/request_spec.py) that the filters, weighers
 * and the filter scheduler read, as plain data with Nova's field names.
 */

export interface FlavorSpec {
  name?: string;
  vcpus: number;
  memory_mb: number;
  root_gb: number;
  ephemeral_gb: number;
  /** Swap in MB. */
  swap: number;
  extra_specs: Record<string, string>;
}

export type ServerGroupPolicy = 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';

export interface InstanceGroupSpec {
  uuid?: string;
  policy: ServerGroupPolicy | string;
  /** e.g. `{ max_server_per_host: 2 }` (anti-affinity only, microversion 2.64). */
  rules?: Record<string, string | number>;
  /** Hosts the group's members are on (the scheduler appends as it picks). */
  hosts: string[];
  /** Instance uuids of the group (including the ones being scheduled). */
  members: string[];
}

export interface RequestedDestination {
  host?: string | null;
  node?: string | null;
}

export interface RequestSpec {
  flavor: FlavorSpec;
  image?: { properties: Record<string, unknown> } | null;
  availability_zone?: string | null;
  /** Hints as Nova stores them: each value a list of strings (a bare string is accepted too). */
  scheduler_hints?: Record<string, string | string[]>;
  instance_group?: InstanceGroupSpec | null;
  num_instances: number;
  /** The instance being scheduled (set by the scheduler for each instance of the request). */
  instance_uuid?: string | null;
  project_id?: string;
  /** Hosts to exclude (e.g. the source host of a move). */
  ignore_hosts?: string[] | null;
  /** Admin `az:host:node` forcing: filters are skipped for forced hosts/nodes. */
  force_hosts?: string[] | null;
  force_nodes?: string[] | null;
  /**
   * Nova's `requested_destination` (a `Destination`): the candidates are narrowed to this host
   * (and node, when given; a node alone narrows by node) before the filters, which still run.
   * Used by create with `host`/`hypervisor_hostname` (2.74) and moves to a host that is not forced.
   */
  requested_destination?: RequestedDestination | null;
  /** Boot from volume: the root disk is not requested from the host. */
  is_bfv?: boolean;
}

/**
 * Nova's `RequestSpec.get_scheduler_hint`: a one-element list is unwrapped, anything else is
 * returned as it is.
 */
export function getSchedulerHint(spec: RequestSpec, name: string): string | string[] | undefined {
  const v = spec.scheduler_hints?.[name];
  if (Array.isArray(v) && v.length === 1) return v[0];
  return v;
}

export interface ResourceAmounts {
  VCPU: number;
  MEMORY_MB: number;
  DISK_GB: number;
}

/**
 * The standard resource classes requested from placement (`nova/scheduler/utils.py
 * ResourceRequest`): VCPU = vcpus, MEMORY_MB = ram, DISK_GB = root (unless boot from volume) +
 * ephemeral + ceil(swap MB / 1024); `resources:<CLASS>=<n>` extra specs override (0 drops it).
 */
export function resourceRequest(spec: RequestSpec): ResourceAmounts {
  const f = spec.flavor;
  const out: ResourceAmounts = {
    VCPU: f.vcpus,
    MEMORY_MB: f.memory_mb,
    DISK_GB: (spec.is_bfv ? 0 : f.root_gb) + f.ephemeral_gb + Math.ceil(f.swap / 1024),
  };
  const es = f.extra_specs;
  for (const cls of ['VCPU', 'MEMORY_MB', 'DISK_GB'] as const) {
    const v = es[`resources:${cls}`];
    if (v !== undefined && /^\s*\d+\s*$/.test(v)) out[cls] = Number(v);
  }
  return out;
}
