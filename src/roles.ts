/**
 * The roles one `nova` process can take, what each registers in the services table, and what
 * each needs to run. Pure data plus small rules; the Nest modules live beside each role.
 */
import { SERVICE_BINARIES } from './objects/service.object';

export const ROLES = ['api', 'scheduler', 'conductor', 'compute', 'consoleauth', 'novncproxy'] as const;
export type Role = (typeof ROLES)[number];

export interface RoleSpec {
  binary: string;
  /** RPC topic the role serves (`<topic>` and `<topic>.<host>`), or null for HTTP-only roles. */
  topic: string | null;
  /** Opens the databases itself. nova-compute and the console proxy never do. */
  usesDatabase: boolean;
  /** Roles that must be reachable over the bus for this one to work. */
  peers: Role[];
}

export const ROLE_SPECS: Record<Role, RoleSpec> = {
  api: { binary: SERVICE_BINARIES.api, topic: null, usesDatabase: true, peers: ['conductor'] },
  scheduler: { binary: SERVICE_BINARIES.scheduler, topic: 'scheduler', usesDatabase: true, peers: [] },
  conductor: { binary: SERVICE_BINARIES.conductor, topic: 'conductor', usesDatabase: true, peers: ['scheduler', 'compute'] },
  compute: { binary: SERVICE_BINARIES.compute, topic: 'compute', usesDatabase: false, peers: ['conductor'] },
  consoleauth: { binary: SERVICE_BINARIES.consoleauth, topic: 'consoleauth', usesDatabase: true, peers: ['compute'] },
  novncproxy: { binary: SERVICE_BINARIES.novncproxy, topic: null, usesDatabase: false, peers: ['consoleauth'] },
};

/**
 * With the in-process bus a role can only reach roles in the same process. Returns a message
 * naming what is missing, or null when the set is self-sufficient.
 */
export function missingInProcessPeers(roles: readonly Role[]): string | null {
  const missing = new Map<Role, Role[]>();
  for (const role of roles) {
    for (const peer of ROLE_SPECS[role].peers) {
      if (!roles.includes(peer)) missing.set(role, [...(missing.get(role) ?? []), peer]);
    }
  }
  if (missing.size === 0) return null;
  const parts = [...missing].map(([role, peers]) => `${role} needs ${peers.join(' and ')}`);
  return `no transport_url is set, so this process uses the in-process bus and cannot reach other processes (${parts.join('; ')}): set [DEFAULT] transport_url = rabbit://... or run those roles in this process (--role=all)`;
}

export function rolesNeedDatabase(roles: readonly Role[]): boolean {
  return roles.some((r) => ROLE_SPECS[r].usesDatabase);
}
