/**
 * `os-simple-tenant-usage` (nova/api/openstack/compute/simple_tenant_usage.py), pure: the query
 * (start/end in the three strptime formats Nova accepts, detailed, 2.40 paging, 2.75 strictness),
 * the hours an instance is billed in a period, and the per-tenant summaries.
 */
import { Invalid } from '../../common/errors';
import type { UsageInstance } from '../../objects/usage-report.object';
import { Query, rejectUnknown } from '../http/query';
import { ApiVersion, atLeast } from '../microversion/api-version';
import { nonNegativeIntegerCheck, typeCheck } from '../validation/nova-validators';
import { queryParam } from '../validation/validate';

/** A point in time with Python's microsecond precision (JS Dates stop at milliseconds). */
export interface Instant {
  /** Whole seconds since the epoch, UTC. */
  sec: number;
  /** 0..999999. */
  micro: number;
}

export function instantFromMs(ms: number): Instant {
  const sec = Math.floor(ms / 1000);
  return { sec, micro: (ms - sec * 1000) * 1000 };
}

export function instantFromIso(iso: string): Instant {
  return instantFromMs(new Date(iso).getTime());
}

export function instantToDate(t: Instant): Date {
  return new Date(t.sec * 1000 + Math.floor(t.micro / 1000));
}

/** Seconds from `a` to `b` (timedelta.total_seconds()). */
export function secondsBetween(a: Instant, b: Instant): number {
  return b.sec - a.sec + (b.micro - a.micro) / 1e6;
}

export function compareInstants(a: Instant, b: Instant): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.micro - b.micro;
}

/** A naive datetime as oslo jsonutils serialises it: `YYYY-MM-DDTHH:MM:SS.ffffff`. */
export function formatInstant(t: Instant): string {
  return `${new Date(t.sec * 1000).toISOString().slice(0, 19)}.${String(t.micro).padStart(6, '0')}`;
}

// Python's strptime directives (_strptime.TimeRE): %Y four digits, %m/%d/%H/%M/%S one or two
// (%d also ' 1'..' 9'), %f one to six digits; a space in the format is \\s+; case-insensitive.
const Y = '(\\d\\d\\d\\d)';
const M = '(1[0-2]|0[1-9]|[1-9])';
const D = '(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])';
const H = '(2[0-3]|[0-1]\\d|\\d)';
const MI = '([0-5]\\d|\\d)';
const S = '(6[0-1]|[0-5]\\d|\\d)';
const F = '([0-9]{1,6})';
const FORMATS = [
  new RegExp(`^${Y}-${M}-${D}T${H}:${MI}:${S}$`, 'i'),
  new RegExp(`^${Y}-${M}-${D}T${H}:${MI}:${S}\\.${F}$`, 'i'),
  new RegExp(`^${Y}-${M}-${D}\\s+${H}:${MI}:${S}\\.${F}$`, 'i'),
];

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * `_parse_datetime`: `%Y-%m-%dT%H:%M:%S`, `%Y-%m-%dT%H:%M:%S.%f` or `%Y-%m-%d %H:%M:%S.%f`,
 * naive = UTC; absent or empty = now. Anything else → 400 `Invalid datetime string: ...`.
 */
export function parseUsageTime(text: string | undefined, now: Instant): Instant {
  if (!text) return now;
  for (const re of FORMATS) {
    const m = re.exec(text);
    if (!m) continue;
    const [year, month, day, hour, minute, second] = m.slice(1, 7).map((x) => Number(x.trim()));
    // strptime accepts the text, then datetime() refuses impossible dates and leap seconds.
    if (year < 1 || day > daysIn(year, month) || second > 59) continue;
    const micro = m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0'));
    const d = new Date(0);
    d.setUTCFullYear(year, month - 1, day);
    d.setUTCHours(hour, minute, second, 0);
    return { sec: d.getTime() / 1000, micro };
  }
  throw new Invalid('Invalid datetime string: Datetime is in invalid format');
}

export interface UsageQuery {
  start: Instant;
  /** Already capped at now. */
  stop: Instant;
  detailed: boolean;
  /** The instance count asked for: [api] max_limit, or from 2.40 min(limit, max_limit). */
  limit: number;
  marker?: string;
  /** Whether the body gets `*_links` (2.40). */
  links: boolean;
}

/** Python's `urlparse.parse_qs` first value, blank values dropped (`start=` is absent). */
function firstNonBlank(query: Query, name: string): string | undefined {
  return query[name]?.find((v) => v !== '');
}

/**
 * The query schema of the request's version (strings; 2.40 `limit`/`marker`; 2.75 nothing
 * else), for `index` (with `detailed`) or `show`. Schema errors come before the policy check:
 * `validateUsageQuery`; the rest after it: `parseUsageQuery`.
 */
export function validateUsageQuery(query: Query, version: ApiVersion, forIndex: boolean): void {
  for (const name of forIndex ? ['start', 'end', 'detailed'] : ['start', 'end']) queryParam(query, name, typeCheck('string'));
  if (!atLeast(version, '2.40')) return;
  queryParam(query, 'limit', nonNegativeIntegerCheck);
  queryParam(query, 'marker', typeCheck('string'));
  if (atLeast(version, '2.75')) rejectUnknown(query, forIndex ? ['start', 'end', 'detailed', 'limit', 'marker'] : ['start', 'end', 'limit', 'marker']);
}

/** `_parse_qs_params` plus the paging: start must precede end (before end is capped at now). */
export function parseUsageQuery(query: Query, version: ApiVersion, maxLimit: number, now: Instant): UsageQuery {
  // Nova reads utcnow() once per default and once for the cap: without start and end the period
  // is the microseconds between those calls, not a start equal to its end (which is a 400).
  const later = now.micro < 999_999 ? { sec: now.sec, micro: now.micro + 1 } : { sec: now.sec + 1, micro: 0 };
  const start = parseUsageTime(firstNonBlank(query, 'start'), now);
  let stop = parseUsageTime(firstNonBlank(query, 'end'), later);
  now = later;
  if (compareInstants(start, stop) >= 0) throw new Invalid('Invalid start time. The start time cannot occur after the end time.');
  const detailed = firstNonBlank(query, 'detailed') === '1';
  if (compareInstants(stop, now) > 0) stop = now;
  const links = atLeast(version, '2.40');
  const out: UsageQuery = { start, stop, detailed, limit: maxLimit, links };
  if (links) {
    const limit = query.limit?.[query.limit.length - 1];
    if (limit !== undefined) out.limit = Math.min(maxLimit, Number(limit));
    const marker = query.marker?.[query.marker.length - 1];
    if (marker !== undefined) out.marker = marker;
  }
  return out;
}

export type { UsageInstance };

/** `_hours_for`: the part of [start, stop] the instance ran, in hours. */
export function hoursFor(inst: Pick<UsageInstance, 'launched_at' | 'terminated_at'>, start: Instant, stop: Instant): number {
  const launched = inst.launched_at ? instantFromIso(inst.launched_at) : null;
  const terminated = inst.terminated_at ? instantFromIso(inst.terminated_at) : null;
  if (terminated && compareInstants(terminated, start) < 0) return 0;
  if (launched && compareInstants(launched, stop) > 0) return 0;
  if (!launched) return 0;
  const from = compareInstants(launched, start) > 0 ? launched : start;
  const to = terminated && compareInstants(terminated, stop) < 0 ? terminated : stop;
  return secondsBetween(from, to) / 3600;
}

export interface ServerUsage {
  hours: number;
  flavor: string;
  instance_id: string;
  name: string | null;
  tenant_id: string;
  memory_mb: number;
  local_gb: number;
  vcpus: number;
  started_at: string | null;
  ended_at: string | null;
  state: string | null;
  uptime: number;
}

export interface TenantUsage {
  tenant_id: string;
  server_usages?: ServerUsage[];
  total_local_gb_usage: number;
  total_vcpus_usage: number;
  total_memory_mb_usage: number;
  total_hours: number;
  start: string;
  stop: string;
}

/**
 * `_tenant_usages_for_period`: one summary per tenant in the order the instances come
 * (project_id, uuid), and every server usage (for the paging links).
 */
export function tenantUsages(rows: UsageInstance[], start: Instant, stop: Instant, detailed: boolean, now: Instant): { usages: TenantUsage[]; serverUsages: ServerUsage[] } {
  const byTenant = new Map<string, TenantUsage>();
  const serverUsages: ServerUsage[] = [];
  for (const inst of rows) {
    const started = inst.launched_at ? instantFromIso(inst.launched_at) : null;
    const ended = inst.terminated_at ? instantFromIso(inst.terminated_at) : null;
    const state = ended ? 'terminated' : inst.vm_state;
    const uptimeTo = ended ?? now;
    const info: ServerUsage = {
      hours: hoursFor(inst, start, stop),
      flavor: inst.flavor,
      instance_id: inst.uuid,
      name: inst.display_name,
      tenant_id: inst.project_id,
      memory_mb: inst.memory_mb,
      local_gb: inst.root_gb + inst.ephemeral_gb,
      vcpus: inst.vcpus,
      started_at: started ? formatInstant(started) : null,
      ended_at: ended ? formatInstant(ended) : null,
      state,
      uptime: started ? Math.trunc(secondsBetween(started, uptimeTo)) : 0,
    };
    let summary = byTenant.get(info.tenant_id);
    if (!summary) {
      summary = {
        tenant_id: info.tenant_id,
        ...(detailed ? { server_usages: [] } : {}),
        total_local_gb_usage: 0,
        total_vcpus_usage: 0,
        total_memory_mb_usage: 0,
        total_hours: 0,
        start: formatInstant(start),
        stop: formatInstant(stop),
      };
      byTenant.set(info.tenant_id, summary);
    }
    summary.total_local_gb_usage += info.local_gb * info.hours;
    summary.total_vcpus_usage += info.vcpus * info.hours;
    summary.total_memory_mb_usage += info.memory_mb * info.hours;
    summary.total_hours += info.hours;
    serverUsages.push(info);
    summary.server_usages?.push(info);
  }
  return { usages: [...byTenant.values()], serverUsages };
}
