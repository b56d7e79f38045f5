import type { ServerGroupRecord } from '../../objects/server-group.object';
import { ApiVersion, atLeast } from '../microversion/api-version';

/** A server group at the request's version: `policies`+`metadata` before 2.64, `policy`+`rules` from it. */
export function serverGroupView(v: ApiVersion, g: ServerGroupRecord, liveMembers: string[]) {
  const body: Record<string, unknown> = { id: g.id, name: g.name };
  if (atLeast(v, '2.64')) {
    body.policy = g.policy;
    body.rules = g.rules;
  } else {
    body.policies = [g.policy];
    body.metadata = {};
  }
  body.members = liveMembers;
  if (atLeast(v, '2.13')) {
    body.project_id = g.project_id;
    body.user_id = g.user_id;
  }
  return body;
}
