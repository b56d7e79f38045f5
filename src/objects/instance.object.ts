/**
 * An instance (Nova's `Instance` object) as it crosses the bus and reaches the views: plain
 * JSON, datetimes as ISO strings, metadata as maps. Field names are Nova's. Pure module.
 */

/** Nova's vm_states (nova/compute/vm_states.py). */
export const VmState = {
  ACTIVE: 'active',
  BUILDING: 'building',
  PAUSED: 'paused',
  SUSPENDED: 'suspended',
  STOPPED: 'stopped',
  RESCUED: 'rescued',
  RESIZED: 'resized',
  SOFT_DELETED: 'soft-delete',
  DELETED: 'deleted',
  ERROR: 'error',
  SHELVED: 'shelved',
  SHELVED_OFFLOADED: 'shelved_offloaded',
} as const;
export type VmStateValue = (typeof VmState)[keyof typeof VmState];

/** Nova's task_states (nova/compute/task_states.py), the ones this code writes. */
export const TaskState = {
  SCHEDULING: 'scheduling',
  BLOCK_DEVICE_MAPPING: 'block_device_mapping',
  NETWORKING: 'networking',
  SPAWNING: 'spawning',
  IMAGE_SNAPSHOT: 'image_snapshot',
  IMAGE_SNAPSHOT_PENDING: 'image_snapshot_pending',
  IMAGE_PENDING_UPLOAD: 'image_pending_upload',
  IMAGE_UPLOADING: 'image_uploading',
  IMAGE_BACKUP: 'image_backup',
  UPDATING_PASSWORD: 'updating_password',
  RESIZE_PREP: 'resize_prep',
  RESIZE_MIGRATING: 'resize_migrating',
  RESIZE_MIGRATED: 'resize_migrated',
  RESIZE_FINISH: 'resize_finish',
  RESIZE_REVERTING: 'resize_reverting',
  RESIZE_CONFIRMING: 'resize_confirming',
  REBOOTING: 'rebooting',
  REBOOT_PENDING: 'reboot_pending',
  REBOOT_STARTED: 'reboot_started',
  REBOOTING_HARD: 'rebooting_hard',
  REBOOT_PENDING_HARD: 'reboot_pending_hard',
  REBOOT_STARTED_HARD: 'reboot_started_hard',
  PAUSING: 'pausing',
  UNPAUSING: 'unpausing',
  SUSPENDING: 'suspending',
  RESUMING: 'resuming',
  POWERING_OFF: 'powering-off',
  POWERING_ON: 'powering-on',
  RESCUING: 'rescuing',
  UNRESCUING: 'unrescuing',
  REBUILDING: 'rebuilding',
  REBUILD_BLOCK_DEVICE_MAPPING: 'rebuild_block_device_mapping',
  REBUILD_SPAWNING: 'rebuild_spawning',
  MIGRATING: 'migrating',
  DELETING: 'deleting',
  SOFT_DELETING: 'soft-deleting',
  RESTORING: 'restoring',
  SHELVING: 'shelving',
  SHELVING_IMAGE_PENDING_UPLOAD: 'shelving_image_pending_upload',
  SHELVING_IMAGE_UPLOADING: 'shelving_image_uploading',
  SHELVING_OFFLOADING: 'shelving_offloading',
  UNSHELVING: 'unshelving',
} as const;
export type TaskStateValue = (typeof TaskState)[keyof typeof TaskState];

/** Nova's power states (nova/compute/power_state.py): integers in `OS-EXT-STS:power_state`. */
export const PowerState = { NOSTATE: 0, RUNNING: 1, PAUSED: 3, SHUTDOWN: 4, CRASHED: 6, SUSPENDED: 7 } as const;
export type PowerStateValue = (typeof PowerState)[keyof typeof PowerState];

/** The flavor an instance was built with (Nova keeps a copy: later flavor edits do not change it). */
export interface InstanceFlavor {
  /** Internal flavors.id. */
  id: number;
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  extra_specs: Record<string, string>;
}

export interface InstanceFault {
  code: number;
  message: string;
  details: string | null;
  host: string | null;
  created_at: string;
}

export interface InstanceRecord {
  id: number;
  uuid: string;
  display_name: string | null;
  display_description: string | null;
  hostname: string | null;
  project_id: string;
  user_id: string;
  vm_state: string;
  task_state: string | null;
  power_state: number;
  host: string | null;
  node: string | null;
  launched_on: string | null;
  scheduled_at: string | null;
  launched_at: string | null;
  terminated_at: string | null;
  image_ref: string | null;
  kernel_id: string | null;
  ramdisk_id: string | null;
  instance_type_id: number | null;
  flavor: InstanceFlavor;
  /** The flavor being resized to, and the one resized from (during a resize only). */
  new_flavor: InstanceFlavor | null;
  old_flavor: InstanceFlavor | null;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  availability_zone: string | null;
  reservation_id: string;
  launch_index: number;
  locked: boolean;
  locked_by: string | null;
  locked_reason: string | null;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  config_drive: string | null;
  progress: number | null;
  root_device_name: string | null;
  auto_disk_config: boolean;
  metadata: Record<string, string>;
  /** Nova's system metadata (image_* properties, shelve and resize bookkeeping); `{}` in list results. */
  system_metadata: Record<string, string>;
  tags: string[];
  /** The newest fault, when any. */
  fault: InstanceFault | null;
  created_at: string | null;
  updated_at: string | null;
  deleted_at: string | null;
  deleted: boolean;
}

/**
 * Column updates the conductor accepts from a compute (Nova's `Instance.save()` of changed
 * fields). Metadata and tags have their own calls.
 */
export type InstanceUpdates = Partial<
  Pick<
    InstanceRecord,
    | 'display_name' | 'display_description' | 'hostname' | 'vm_state' | 'task_state' | 'power_state' | 'host' | 'node'
    | 'launched_on' | 'scheduled_at' | 'launched_at' | 'terminated_at' | 'image_ref' | 'key_name' | 'key_data' | 'user_data'
    | 'availability_zone' | 'locked' | 'locked_by' | 'locked_reason' | 'access_ip_v4' | 'access_ip_v6' | 'progress'
    | 'root_device_name' | 'auto_disk_config' | 'flavor' | 'new_flavor' | 'old_flavor' | 'instance_type_id'
  >
>;

/**
 * A compare-and-swap guard on a state update (Nova's `expected_task_state` / `expected_vm_state`
 * on `Instance.save()`): the update happens only when the row still has one of these values.
 * `null` in the list matches a null task state.
 */
export interface StateGuard {
  expected_task_state?: Array<string | null>;
  expected_vm_state?: string[];
}

/** The API `status` for (vm_state, task_state), Nova's `status_from_state` (reference §5.2). */
export function statusFromState(vmState: string, taskState: string | null, deleted = false): string {
  if (deleted) return 'DELETED';
  const overrides = STATUS_OVERRIDES[vmState];
  if (!overrides) return 'UNKNOWN';
  return (taskState !== null && overrides[taskState]) || overrides.default;
}

const REBOOT = { rebooting: 'REBOOT', reboot_pending: 'REBOOT', reboot_started: 'REBOOT' };
const HARD_REBOOT = { rebooting_hard: 'HARD_REBOOT', reboot_pending_hard: 'HARD_REBOOT', reboot_started_hard: 'HARD_REBOOT' };
const REBUILD = { rebuilding: 'REBUILD', rebuild_block_device_mapping: 'REBUILD', rebuild_spawning: 'REBUILD' };
const RESIZE = { resize_prep: 'RESIZE', resize_migrating: 'RESIZE', resize_migrated: 'RESIZE', resize_finish: 'RESIZE' };

/** Nova's `_STATE_MAP` (nova/api/openstack/common.py). */
export const STATUS_OVERRIDES: Record<string, Record<string, string>> = {
  active: { default: 'ACTIVE', ...REBOOT, ...HARD_REBOOT, updating_password: 'PASSWORD', ...REBUILD, migrating: 'MIGRATING', ...RESIZE },
  building: { default: 'BUILD' },
  stopped: { default: 'SHUTOFF', ...RESIZE, ...REBUILD },
  resized: { default: 'VERIFY_RESIZE', resize_reverting: 'REVERT_RESIZE' },
  paused: { default: 'PAUSED', migrating: 'MIGRATING' },
  suspended: { default: 'SUSPENDED' },
  rescued: { default: 'RESCUE' },
  error: { default: 'ERROR', ...REBUILD },
  deleted: { default: 'DELETED' },
  'soft-delete': { default: 'SOFT_DELETED' },
  shelved: { default: 'SHELVED' },
  shelved_offloaded: { default: 'SHELVED_OFFLOADED' },
};

/** Statuses a `status=` filter may name. */
export const FILTERABLE_STATUSES = [
  'ACTIVE', 'BUILD', 'DELETED', 'ERROR', 'HARD_REBOOT', 'MIGRATING', 'PASSWORD', 'PAUSED', 'REBOOT', 'REBUILD', 'RESCUE',
  'RESIZE', 'REVERT_RESIZE', 'SHELVED', 'SHELVED_OFFLOADED', 'SHUTOFF', 'SOFT_DELETED', 'SUSPENDED', 'VERIFY_RESIZE',
] as const;

/**
 * Nova's `task_and_vm_state_from_status`: the vm_states and task_states a status filter means.
 * As in Nova, when a status is some vm_state's default the task state is not filtered at all
 * (`taskStates` undefined): `status=ACTIVE` also lists active servers that are rebooting.
 */
export function statesFromStatus(statuses: string[]): { vmStates: string[]; taskStates: string[] | undefined } {
  const wanted = new Set(statuses.map((s) => s.toUpperCase()));
  const vm = new Set<string>();
  const task = new Set<string>();
  for (const [vmState, map] of Object.entries(STATUS_OVERRIDES)) {
    for (const [taskState, s] of Object.entries(map)) {
      if (!wanted.has(s)) continue;
      vm.add(vmState);
      task.add(taskState);
    }
  }
  return { vmStates: [...vm].sort(), taskStates: task.has('default') ? undefined : [...task].sort() };
}

/** Nova's `hostId`: sha224 of project_id + host, hex; `""` without a host. Node's crypto is passed in to keep this pure. */
export function hostIdOf(projectId: string, host: string | null, sha224: (s: string) => string): string {
  return host ? sha224(projectId + host) : '';
}
