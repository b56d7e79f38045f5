/**
 * A `services` row as it crosses the bus and reaches views: plain JSON, datetimes as ISO strings.
 * Never an ORM entity (DESIGN.md rule 4).
 */
export interface ServiceRecord {
  id: number;
  uuid: string;
  host: string;
  binary: string;
  topic: string | null;
  report_count: number;
  disabled: boolean;
  disabled_reason: string | null;
  forced_down: boolean;
  version: number;
  last_seen_up: string | null;
  created_at: string | null;
  updated_at: string | null;
}

/** The binaries nova-ts registers, one per role. */
export const SERVICE_BINARIES = {
  api: 'nova-api',
  scheduler: 'nova-scheduler',
  conductor: 'nova-conductor',
  compute: 'nova-compute',
  consoleauth: 'nova-consoleauth',
  novncproxy: 'nova-novncproxy',
} as const;

/** Increases when a service gains an RPC capability other services may need to know about. */
export const SERVICE_VERSION = 1;
