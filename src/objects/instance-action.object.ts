/**
 * An instance action and its events (Nova's `InstanceAction` / `InstanceActionEvent` objects)
 * as they reach the views: plain JSON, datetimes as ISO strings. Field names are Nova's. Pure module.
 */

/** One step of an action, e.g. `compute_stop_instance` (nova `instance_actions_events` row). */
export interface InstanceActionEventRecord {
  /** `<prefix>_<function>`, e.g. `api_lock`, `compute_reboot_instance`. */
  event: string;
  start_time: string | null;
  finish_time: string | null;
  /** `Success` or `Error`; null while the event is running. */
  result: string | null;
  traceback: string | null;
  /** The service host that recorded the event (null for some API-side events). */
  host: string | null;
  /** A short, user-safe reason for an error (2.84). */
  details: string | null;
}

/** One user-visible operation on a server (nova `instance_actions` row). */
export interface InstanceActionRecord {
  /** Internal row id (never rendered; events hang off it). */
  id: number;
  /** `create`, `reboot`, `resize`, … (nova/compute/instance_actions.py). */
  action: string;
  instance_uuid: string;
  /** The local request id of the API request that started the action (the `id` of the show URL). */
  request_id: string;
  user_id: string | null;
  /** Null for actions recorded by periodic tasks. */
  project_id: string | null;
  start_time: string | null;
  finish_time: string | null;
  /** `Error` when an event failed, else null. */
  message: string | null;
  updated_at: string | null;
  /** Oldest first or newest first as stored; the view renders them in the given order. */
  events?: InstanceActionEventRecord[];
}
