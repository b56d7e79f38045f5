/** Query-string helpers with Nova's validation messages. Pure. */
import { Invalid } from '../../common/errors';

export type Query = Record<string, string[]>;

export function single(query: Query, name: string): string | undefined {
  const v = query[name];
  return v === undefined ? undefined : v[v.length - 1];
}

/** `limit` (non-negative, capped at max_limit, default max_limit) and `marker`. */
export function pageParams(query: Query, maxLimit: number): { limit: number; marker: string | undefined } {
  const raw = single(query, 'limit');
  let limit = maxLimit;
  if (raw !== undefined) {
    if (!/^[0-9]+$/.test(raw)) throw new Invalid(`Invalid input for query parameters limit. Value: ${raw}. '${raw}' does not match '^[0-9]*$'`);
    limit = Math.min(Number(raw), maxLimit);
  }
  return { limit, marker: single(query, 'marker') };
}

/** From 2.75 (and for APIs with strict query schemas) unknown parameters are rejected. */
export function rejectUnknown(query: Query, allowed: string[]): void {
  for (const k of Object.keys(query)) {
    if (!allowed.includes(k)) throw new Invalid(`Invalid input for query parameters ${k}. Value: ${single(query, k)}. Additional properties are not allowed ('${k}' was unexpected)`);
  }
}

export function queryBool(query: Query, name: string): boolean | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (['true', 'True', '1', 'yes', 'on', 't', 'y'].includes(v)) return true;
  if (['false', 'False', '0', 'no', 'off', 'f', 'n'].includes(v)) return false;
  throw new Invalid(`Invalid input for query parameters ${name}. Value: ${v}. '${v}' is not a valid boolean`);
}
