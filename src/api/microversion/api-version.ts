/**
 * Compute API microversions: parsing, comparison and header negotiation, with the rules of
 * Nova's api_version_request and microversion-parse. Pure.
 */
import { Invalid, NovaError } from '../../common/errors';

export interface ApiVersion {
  major: number;
  minor: number;
}

export const MIN_VERSION: ApiVersion = { major: 2, minor: 1 };

/**
 * The highest microversion every change of which (request validation and response fields) is
 * implemented. It moves up only when the whole table below it in the reference is honoured:
 * docs/microversions.md has one row per version with where it is implemented or why it does
 * not apply (Zed's maximum, 2.93).
 */
export const MAX_VERSION: ApiVersion = { major: 2, minor: 93 };

const VERSION_RE = /^([1-9]\d*)\.([1-9]\d*|0)$/;

export class VersionNotAcceptable extends NovaError {
  override readonly code = 406;
  override readonly faultName = 'computeFault';
  constructor(readonly requested: ApiVersion) {
    super(`Version ${fmt(requested)} is not supported by the API. Minimum is ${fmt(MIN_VERSION)} and maximum is ${fmt(MAX_VERSION)}.`);
  }
}

export function fmt(v: ApiVersion): string {
  return `${v.major}.${v.minor}`;
}

export function parseVersion(text: string): ApiVersion {
  const m = VERSION_RE.exec(text);
  if (!m) throw new Invalid(`API Version String ${text} is of invalid format. Must be of format MajorNum.MinorNum.`);
  return { major: Number(m[1]), minor: Number(m[2]) };
}

export function compare(a: ApiVersion, b: ApiVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

/** True when `v` is within [min, max]; either bound may be omitted. `min`/`max` as 'X.Y'. */
export function isBetween(v: ApiVersion, min?: string, max?: string): boolean {
  if (min && compare(v, parseVersion(min)) < 0) return false;
  if (max && compare(v, parseVersion(max)) > 0) return false;
  return true;
}

export function atLeast(v: ApiVersion, min: string): boolean {
  return compare(v, parseVersion(min)) >= 0;
}

/**
 * The version text a request asked for, or undefined when it asked for none. Header names are
 * already lower-cased (Node does that). The standard header wins when it has a `compute` entry
 * (the last one); otherwise the legacy header's last value is used.
 */
export function requestedVersionText(headers: Record<string, string | string[] | undefined>): string | undefined {
  const join = (h: string | string[] | undefined) => (Array.isArray(h) ? h.join(',') : h);
  const standard = join(headers['openstack-api-version']);
  if (standard) {
    let found: string | undefined;
    for (const entry of standard.split(',')) {
      const parts = entry.trim().split(/\s+/);
      if (parts.length >= 2 && parts[0].toLowerCase() === 'compute') found = parts.slice(1).join(' ');
    }
    if (found !== undefined) return found;
  }
  const legacy = join(headers['x-openstack-nova-api-version']);
  if (legacy) {
    const values = legacy.split(',').map((s) => s.trim());
    return values[values.length - 1];
  }
  return undefined;
}

/**
 * Negotiates the request's version: none → 2.1, `latest` → the maximum, malformed → Invalid
 * (400), out of range → VersionNotAcceptable (406, which still echoes the requested version).
 */
export function negotiate(headers: Record<string, string | string[] | undefined>): ApiVersion {
  const text = requestedVersionText(headers);
  if (text === undefined) return MIN_VERSION;
  if (text === 'latest') return MAX_VERSION;
  const v = parseVersion(text);
  if (compare(v, MIN_VERSION) < 0 || compare(v, MAX_VERSION) > 0) throw new VersionNotAcceptable(v);
  return v;
}
