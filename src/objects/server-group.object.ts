/** The scheduling policies a server group can have (soft-* from microversion 2.15). */
export const SERVER_GROUP_POLICIES = ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'] as const;

export type ServerGroupPolicy = (typeof SERVER_GROUP_POLICIES)[number];

export function isServerGroupPolicy(value: unknown): value is ServerGroupPolicy {
  return typeof value === 'string' && (SERVER_GROUP_POLICIES as readonly string[]).includes(value);
}

/**
 * A server group (Nova's `InstanceGroup` object 1.11) as it crosses the bus: plain JSON. `id` is
 * the uuid clients see; `db_id` the integer key. Nova stores exactly one policy per group; views
 * before 2.64 render it as `policies: [policy]`. `members` are the instance uuids recorded in
 * the group, deleted instances included (the API filters those out).
 */
export interface ServerGroupRecord {
  id: string;
  db_id: number;
  name: string | null;
  policy: ServerGroupPolicy;
  /** Only `max_server_per_host` (an integer) is meaningful, as in Nova's `InstanceGroup.rules`. */
  rules: Record<string, unknown>;
  members: string[];
  project_id: string | null;
  user_id: string | null;
  created_at: string | null;
  updated_at: string | null;
}
