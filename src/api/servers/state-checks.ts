/**
 * The compute API's preconditions (Nova's `check_instance_state`, `check_instance_lock`,
 * `check_instance_host` decorators; reference §5.3) as data plus one checker. Pure.
 */
import { Conflict } from '../../common/errors';
import type { InstanceRecord } from '../../objects/instance.object';

export interface StateRule {
  /** Allowed vm_states; undefined = any. */
  vm?: readonly string[];
  /** Allowed task_states; undefined = any; the default of Nova's decorator is [null]. */
  task?: ReadonlyArray<string | null>;
  /** `launched_at` must be set (Nova's must_have_launched, default true). */
  launched?: boolean;
  /** Locked instances refuse non-admins (check_instance_lock). */
  lock?: boolean;
  /** The instance must have a host (check_instance_host). */
  host?: boolean;
}

const NONE = [null] as const;
const REBOOT_HARD_TASKS = [null, 'rebooting', 'reboot_pending', 'reboot_started', 'rebooting_hard', 'resuming', 'unpausing', 'pausing', 'suspending'] as const;

/** Keys are Nova's method names, which appear in the 409 message (`Cannot 'stop' instance ...`). */
export const STATE_RULES = {
  delete: { lock: true, launched: false },
  soft_delete: { lock: true, launched: false },
  force_delete: { lock: true, launched: false },
  restore: { vm: ['soft-delete'], task: NONE, lock: true, launched: true },
  start: { vm: ['stopped'], task: NONE, lock: true, launched: true, host: true },
  stop: { vm: ['active', 'error'], task: NONE, lock: true, launched: true, host: true },
  reboot: { vm: ['active'], task: NONE, lock: true, launched: true },
  reboot_hard: { vm: ['active', 'stopped', 'paused', 'suspended', 'error'], task: REBOOT_HARD_TASKS, lock: true, launched: true },
  rebuild: { vm: ['active', 'stopped', 'error'], task: NONE, lock: true, launched: true },
  resize: { vm: ['active', 'stopped'], task: NONE, lock: true, launched: true },
  migrate: { vm: ['active', 'stopped'], task: NONE, lock: true, launched: true },
  confirm_resize: { vm: ['resized'], task: NONE, lock: true, launched: true },
  revert_resize: { vm: ['resized'], task: NONE, lock: true, launched: true },
  snapshot: { vm: ['active', 'stopped', 'paused', 'suspended'], task: NONE, launched: true },
  backup: { vm: ['active', 'stopped', 'paused', 'suspended'], task: NONE, launched: true },
  pause: { vm: ['active'], task: NONE, lock: true, launched: true },
  unpause: { vm: ['paused'], task: NONE, lock: true, launched: true },
  suspend: { vm: ['active'], task: NONE, lock: true, launched: true },
  resume: { vm: ['suspended'], task: NONE, lock: true, launched: true },
  rescue: { vm: ['active', 'stopped', 'error'], task: NONE, lock: true, launched: true },
  unrescue: { vm: ['rescued'], task: NONE, lock: true, launched: true },
  set_admin_password: { vm: ['active'], task: NONE, lock: true, launched: true },
  shelve: { vm: ['active', 'stopped', 'paused', 'suspended'], task: NONE, lock: true, launched: true },
  shelve_offload: { vm: ['shelved'], task: NONE, lock: true, launched: true },
  unshelve: { vm: ['shelved', 'shelved_offloaded'], task: NONE, lock: true, launched: true },
  live_migrate: { vm: ['active', 'paused'], task: NONE, lock: true, launched: true },
  evacuate: { vm: ['active', 'stopped', 'error'], launched: true },
  trigger_crash_dump: { vm: ['active', 'paused', 'rescued', 'resized', 'error'], task: NONE, lock: true, launched: true, host: true },
  update_instance_metadata: { vm: ['active', 'paused', 'suspended', 'stopped'], lock: true, launched: true },
  delete_instance_metadata: { vm: ['active', 'paused', 'suspended', 'stopped'], lock: true, launched: true },
  get_console_output: { host: true, launched: false },
  inject_network_info: { host: true, launched: false },
} satisfies Record<string, StateRule>;

export type GuardedOperation = keyof typeof STATE_RULES;

/** Nova's InstanceInvalidState → 409 `Cannot '<op>' instance <uuid> while it is in <attr> <state>`. */
export function invalidState(op: string, uuid: string, attr: string, state: string | null): Conflict {
  return new Conflict(`Cannot '${op}' instance ${uuid} while it is in ${attr} ${state ?? 'None'}`);
}

/**
 * Throws the 409 Nova would: the lock first (for non-admins), then vm_state, task_state,
 * launched_at and host, in the order Nova's decorators run.
 */
export function checkState(inst: InstanceRecord, op: GuardedOperation, isAdmin: boolean, opName: string = op): void {
  const rule: StateRule = STATE_RULES[op];
  if (rule.lock && inst.locked && !isAdmin) throw new Conflict(`Instance ${inst.uuid} is locked`);
  if (rule.vm && !rule.vm.includes(inst.vm_state)) throw invalidState(opName, inst.uuid, 'vm_state', inst.vm_state);
  if (rule.task && !rule.task.includes(inst.task_state)) throw invalidState(opName, inst.uuid, 'task_state', inst.task_state);
  if (rule.launched !== false && rule.vm && !inst.launched_at) throw invalidState(opName, inst.uuid, 'launched_at', null);
  if (rule.host && !inst.host) throw new Conflict(`Instance ${inst.uuid} is not ready yet`);
}
