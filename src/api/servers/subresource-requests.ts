/**
 * Request validation for the server sub-resources (metadata, tags, ips, instance actions), pure.
 * Each schema is Nova's (`schemas/server_metadata.py`, `schemas/server_tags.py`, `schemas/ips.py`,
 * `schemas/instance_actions.py`) checked in jsonschema's keyword order with Nova's messages; the
 * controller-level checks that need no database (URI/body mismatch, the tag in the URL, the tag
 * state rule, the metadata quota) follow the controllers' wording.
 */
import { Conflict, Forbidden, Invalid, NotFound } from '../../common/errors';
import type { InstanceRecord } from '../../objects/instance.object';
import { Query, rejectUnknown, single } from '../http/query';
import { ApiVersion, atLeast } from '../microversion/api-version';
import { metadataCheck } from '../validation/metadata';
import { allOf, Check, nonNegativeIntegerCheck, typeCheck } from '../validation/nova-validators';
import { pyRepr } from '../validation/py-repr';
import { fieldError, queryParam } from '../validation/validate';
import { itemCountCheck, itemsCheck, objectCheck, runCheck, TAG } from './create-request';
import { parseIsoTime } from './list-query';
import { invalidState } from './state-checks';

/** nova.objects.instance.MAX_TAG_COUNT. */
export const MAX_TAG_COUNT = 50;

/** The bare 404 of a method outside its microversion range (VersionNotFoundForAPIMethod). */
export function versionNotFound(): NotFound {
  return new NotFound('The resource could not be found.');
}

/** `index_query_v2102`/`show_query_v2102`: from 2.102 these GETs take no query parameters. */
export function checkNoQuery(query: Query, version: ApiVersion, since = '2.102'): void {
  if (atLeast(version, since)) rejectUnknown(query, []);
}

// ---------------------------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------------------------

const METADATA: Check = metadataCheck(['string']);

/** `minProperties: 1, maxProperties: 1` of `metadata_update`, for objects only. */
const ONE_ITEM: Check = (v) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const n = Object.keys(v).length;
  return n < 1 ? `${pyRepr(v)} does not have enough properties` : n > 1 ? `${pyRepr(v)} has too many properties` : null;
};

const CREATE_SCHEMA: Check = objectCheck({ metadata: METADATA }, { required: ['metadata'] });
const UPDATE_SCHEMA: Check = objectCheck({ meta: allOf(METADATA, ONE_ITEM) }, { required: ['meta'] });

/** `create` / `update_all`: `{"metadata": parameter_types.metadata}`, nothing else. */
export function parseMetadataBody(body: unknown): Record<string, string> {
  runCheck(body, CREATE_SCHEMA);
  return { ...(body as { metadata: Record<string, string> }).metadata };
}

/**
 * `update` (`PUT /servers/{id}/metadata/{key}`): `{"meta": metadata with exactly one item}`.
 * The URI check (`Request body and URI mismatch`) comes after the policy check: `checkMetaMatchesUri`.
 */
export function parseMetaItemBody(body: unknown): Record<string, string> {
  runCheck(body, UPDATE_SCHEMA);
  return { ...(body as { meta: Record<string, string> }).meta };
}

export function checkMetaMatchesUri(meta: Record<string, string>, key: string): void {
  if (!Object.prototype.hasOwnProperty.call(meta, key)) throw new Invalid('Request body and URI mismatch');
}

/**
 * compute.API._check_metadata_properties_quota: the resulting item count against the
 * `metadata_items` limit (-1 = unlimited) → 403 MetadataLimitExceeded.
 */
export function checkMetadataQuota(items: number, limit: number): void {
  if (items === 0 || limit < 0) return;
  if (items > limit) throw new Forbidden(`Maximum number of metadata items exceeds ${limit}`);
}

/** What `update_instance_metadata` stores: the body (replace) or the current items merged with it. */
export function mergedMetadata(current: Record<string, string>, update: Record<string, string>, replace: boolean): Record<string, string> {
  // A null prototype: keys such as `constructor` or `__proto__` are valid metadata keys.
  const out = Object.create(null) as Record<string, string>;
  if (!replace) for (const [k, v] of Object.entries(current)) out[k] = v;
  for (const [k, v] of Object.entries(update)) out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tags (2.26+)
// ---------------------------------------------------------------------------------------------

const TAGS_SCHEMA: Check = objectCheck(
  { tags: allOf(typeCheck('array'), itemsCheck(TAG), itemCountCheck(0, MAX_TAG_COUNT)) },
  { required: ['tags'] },
);

/** `update_all`: `{"tags": [tag, ...]}` (at most 50); duplicates collapse as TagList.create does. */
export function parseTagsBody(body: unknown): string[] {
  runCheck(body, TAGS_SCHEMA);
  return [...new Set((body as { tags: string[] }).tags)];
}

/** `update` (`PUT /servers/{id}/tags/{tag}`): the schema is `{"type": "null"}`; no body is null. */
export function checkTagPutBody(body: unknown): void {
  if (body === undefined || body === null) return;
  throw fieldError(undefined, body, `${pyRepr(body)} is not of type 'null'`);
}

/** The tag in the URL against parameter_types.tag, with the controller's wrapping message. */
export function checkTagInUri(tag: string): void {
  const message = TAG(tag);
  if (message === null) return;
  throw new Invalid(`Tag '${tag}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: ${message}`);
}

/** ServerTagsController._check_instance_in_valid_state: vm_state only (no lock, no task). */
export function checkTagState(inst: Pick<InstanceRecord, 'uuid' | 'vm_state'>, action: string, serverId: string = inst.uuid): void {
  if (!['active', 'paused', 'suspended', 'stopped'].includes(inst.vm_state)) {
    throw new Conflict(invalidState(action, serverId, 'vm_state', inst.vm_state).message);
  }
}

/** `PUT /tags/{tag}` refuses a 51st tag, and refuses when 50 are there even if `tag` is one of them. */
export function checkTagCount(current: number): void {
  if (current >= MAX_TAG_COUNT) throw new Invalid(`The number of tags exceeded the per-server limit ${MAX_TAG_COUNT}`);
}

/** The `Location` of a created tag: the server's self link + `/tags/<tag>` (encoded when a header could not carry it). */
export function tagLocation(serverHref: string, tag: string): string {
  return `${serverHref}/tags/${/^[\x20-\x7e]*$/.test(tag) ? tag : encodeURIComponent(tag)}`;
}

// ---------------------------------------------------------------------------------------------
// Instance actions
// ---------------------------------------------------------------------------------------------

export interface InstanceActionsQuery {
  /** Undefined before 2.58 (no paging: every action). */
  limit?: number;
  marker?: string;
  changesSince?: string;
  changesBefore?: string;
}

const DATE_TIME: Check = (v) => (typeof v !== 'string' || parseIsoTime(v) ? null : `${pyRepr(v)} is not a 'date-time'`);

/**
 * `index_query` (any parameter, none used) before 2.58; from 2.58 `limit`, `marker`,
 * `changes-since` (+ `changes-before` from 2.66), each a single value, nothing else.
 */
export function parseInstanceActionsQuery(query: Query, version: ApiVersion, maxLimit: number): InstanceActionsQuery {
  if (!atLeast(version, '2.58')) return {};
  const withBefore = atLeast(version, '2.66');
  const limit = queryParam(query, 'limit', nonNegativeIntegerCheck, true);
  const marker = queryParam(query, 'marker', typeCheck('string'), true);
  const since = queryParam(query, 'changes-since', DATE_TIME, true);
  const before = withBefore ? queryParam(query, 'changes-before', DATE_TIME, true) : undefined;
  rejectUnknown(query, withBefore ? ['limit', 'marker', 'changes-since', 'changes-before'] : ['limit', 'marker', 'changes-since']);
  const out: InstanceActionsQuery = { limit: Math.min(maxLimit, limit === undefined ? maxLimit : Number(limit)) };
  if (marker !== undefined) out.marker = marker;
  const s = since === undefined ? undefined : parseIsoTime(since);
  if (s) out.changesSince = s.iso;
  if (before !== undefined) {
    const b = parseIsoTime(before);
    if (b && s && (b.utcMs < s.utcMs || (b.utcMs === s.utcMs && b.micro < s.micro))) {
      throw new Invalid('The value of changes-since must be less than or equal to changes-before.');
    }
    if (b) out.changesBefore = b.iso;
  }
  return out;
}

/** The page size the list's next link is judged by: min(limit param or max_limit, max_limit). */
export function pageSizeOf(query: Query, maxLimit: number): number {
  const raw = single(query, 'limit');
  return Math.min(raw === undefined ? maxLimit : Number(raw), maxLimit);
}

/** Re-raises a pagination failure as Nova's 400 `Marker <m> could not be found.`. */
export function markerNotFound(marker: string): Invalid {
  return new Invalid(`Marker ${marker} could not be found.`);
}
