/** Query-string helpers with Nova's validation messages. */
import { Invalid } from '../../common/errors';
import { nonNegativeIntegerCheck } from '../validation/nova-validators';
import { additionalPropertiesMessage, queryParam } from '../validation/validate';

export type Query = Record<string, string[]>;

export function single(query: Query, name: string): string | undefined {
  const v = query[name];
  return v === undefined ? undefined : v[v.length - 1];
}

/** `limit` (parameter_types.non_negative_integer, capped at max_limit, default max_limit) and `marker`. */
export function pageParams(query: Query, maxLimit: number): { limit: number; marker: string | undefined } {
  const raw = queryParam(query, 'limit', nonNegativeIntegerCheck);
  return { limit: raw === undefined ? maxLimit : Math.min(Number(raw), maxLimit), marker: single(query, 'marker') };
}

/**
 * From 2.75 (and for APIs with strict query schemas) unknown parameters are rejected: the
 * query schema's root `additionalProperties`, so the message has no prefix.
 */
export function rejectUnknown(query: Query, allowed: string[]): void {
  const unknown = Object.keys(query).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new Invalid(additionalPropertiesMessage(unknown));
}

export function queryBool(query: Query, name: string): boolean | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (['true', 'True', '1', 'yes', 'on', 't', 'y'].includes(v)) return true;
  if (['false', 'False', '0', 'no', 'off', 'f', 'n'].includes(v)) return false;
  throw new Invalid(`Invalid input for query parameters ${name}. Value: ${v}. '${v}' is not a valid boolean`);
}
