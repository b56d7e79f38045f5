/**
 * Instance action bodies (nova/api/openstack/compute/instance_actions.py and
 * views/instance_actions.py), microversions 2.1..2.96. Pure.
 */
import type { InstanceActionEventRecord, InstanceActionRecord } from '../../objects/instance-action.object';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { isoMicro, nextLinks } from './format';
import { serverHostId } from './server.view';

/** Policy outcomes the show body depends on (checked with target `{project_id: instance.project_id}`). */
export interface InstanceActionShowExtras {
  /** `os_compute_api:os-instance-actions:events` passed: events at every version, with traceback, and host from 2.62. */
  canSeeEvents: boolean;
  /** `os_compute_api:os-instance-actions:events:details` passed (consulted from 2.84 only). */
  canSeeEventDetails: boolean;
  /** The server's project: hostId is hashed with it when the action has no project (periodic tasks). */
  instanceProjectId: string;
}

/** An `instanceActions` list item: `action, instance_uuid, request_id, user_id, project_id, start_time, message` (+ `updated_at` from 2.58). */
export function instanceActionItem(ctx: RequestContext, a: InstanceActionRecord): Record<string, unknown> {
  const body: Record<string, unknown> = {
    action: a.action,
    instance_uuid: a.instance_uuid,
    request_id: a.request_id,
    user_id: a.user_id,
    project_id: a.project_id,
    start_time: isoMicro(a.start_time),
    message: a.message,
  };
  if (atLeast(ctx.version, '2.58')) body.updated_at = isoMicro(a.updated_at);
  return body;
}

interface EventFlags {
  traceback: boolean;
  host: boolean;
  hostId: boolean;
  details: boolean;
}

function eventView(e: InstanceActionEventRecord, projectId: string, f: EventFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {
    event: e.event,
    start_time: isoMicro(e.start_time),
    finish_time: isoMicro(e.finish_time),
    result: e.result,
  };
  if (f.traceback) body.traceback = e.traceback;
  if (f.host) body.host = e.host;
  if (f.hostId) body.hostId = serverHostId(projectId, e.host);
  if (f.details) body.details = e.details;
  return body;
}

/**
 * The `instanceAction` of `GET /servers/{id}/os-instance-actions/{request_id}` (unwrapped).
 * `events` (from `a.events`, default `[]`) is present when the events policy passed, or for
 * everyone from 2.51; `traceback` needs the events policy; `host` the events policy and 2.62;
 * `hostId` is for everyone from 2.62; `details` needs 2.84 and the events:details policy.
 */
export function instanceActionShow(ctx: RequestContext, a: InstanceActionRecord, extras: InstanceActionShowExtras): Record<string, unknown> {
  const v = ctx.version;
  const body = instanceActionItem(ctx, a);
  const showEvents = extras.canSeeEvents || atLeast(v, '2.51');
  if (!showEvents) return body;
  const flags: EventFlags = {
    traceback: extras.canSeeEvents,
    host: extras.canSeeEvents && atLeast(v, '2.62'),
    hostId: atLeast(v, '2.62'),
    details: atLeast(v, '2.84') && extras.canSeeEventDetails,
  };
  const projectId = a.project_id || extras.instanceProjectId;
  body.events = (a.events ?? []).map((e) => eventView(e, projectId, flags));
  return body;
}

/**
 * The list's `links` (2.58+): a next link with the last action's request_id as marker when the
 * page is full (`pageSize` = min(limit, [api] max_limit)). Undefined when there is none.
 */
export function instanceActionsLinks(
  ctx: RequestContext,
  serverId: string,
  query: Record<string, string[]>,
  pageSize: number,
  actions: Array<Pick<InstanceActionRecord, 'request_id'>>,
) {
  return nextLinks(ctx, `servers/${serverId}/os-instance-actions`, query, pageSize, actions.length, actions[actions.length - 1]?.request_id);
}
