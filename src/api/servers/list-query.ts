/**
 * The query string of `GET /servers` and `/servers/detail`, parsed and policed the way Nova's
 * `ServersController._get_servers` does it (with `schemas/servers.py index_query*`,
 * `remove_invalid_options`, `remove_invalid_sort_keys`, `common.get_sort_params`,
 * `db.utils.process_sort_params` and `compute.API.get_all`'s renames), into the options the
 * instance repository takes. Pure: no framework, no I/O.
 *
 * Errors come in Nova's order: the query schema (format checks in the schema's property order,
 * then unknown parameters from 2.75), the joined-table / `_` filter check, `status`,
 * changes-since/-before, `status=deleted`, `all_tenants`, `locked`, the all-tenants policy,
 * then sorting.
 */
import { Forbidden, Invalid } from '../../common/errors';
import { ApiVersion, atLeast } from '../microversion/api-version';
import type { ExactColumn, InstanceFilter, InstanceListOptions, InstanceSort, RegexColumn, SortColumn } from '../../objects/instance-filter';
import { statesFromStatus } from '../../objects/instance.object';
import { pageParams } from '../http/query';
import { nonNegativeIntegerCheck } from '../validation/nova-validators';
import { pyRepr } from '../validation/py-repr';
import { additionalPropertiesMessage, queryParamError } from '../validation/validate';

export interface ServerListCaller {
  /** `context.is_admin`: listing deleted servers (`status=deleted`) and sorting by host/node. */
  isAdmin: boolean;
  projectId: string;
  userId: string;
  version: ApiVersion;
  /**
   * The `os_compute_api:servers:allow_all_filters` policy (admin by default): every schema key
   * may be used; otherwise filters outside the non-admin list are silently dropped.
   * Defaults to `isAdmin`.
   */
  allowAllFilters?: boolean;
  /**
   * Called when `all_tenants` is true, at the point Nova checks
   * `os_compute_api:servers:{index,detail}:get_all_tenants` (throws Forbidden when refused), so
   * that errors come in Nova's order. Without it the caller checks the policy afterwards.
   */
  authorizeAllTenants?: () => void;
}

export interface ParsedServerList {
  options: InstanceListOptions;
  /** all_tenants was asked for (and, when `authorizeAllTenants` is given, allowed). */
  allTenants: boolean;
  /** `flavor` filter (a flavorid): map to the internal id as `exact.instance_type_id`; unknown → []. */
  flavorRef?: string;
  /** Nothing can match (an unknown status before 2.38): answer `{"servers": []}` at once. */
  emptyResult?: boolean;
  /** Address filters (Python regexes, unanchored), applied by the caller. */
  ip?: string;
  ip6?: string;
}

type Query = Record<string, string[]>;
type Kind = 'string' | 'regex' | 'datetime' | 'limit' | 'sortKey';

/** `index_query`'s properties, in the schema's order (the order jsonschema reports errors in). */
const INDEX_QUERY: ReadonlyArray<readonly [string, Kind]> = [
  ['user_id', 'string'], ['project_id', 'string'], ['tenant_id', 'string'], ['launch_index', 'string'],
  ['image_ref', 'string'], ['image', 'string'], ['kernel_id', 'regex'], ['ramdisk_id', 'regex'], ['hostname', 'regex'],
  ['key_name', 'regex'], ['power_state', 'regex'], ['vm_state', 'string'], ['task_state', 'string'], ['host', 'string'],
  ['node', 'regex'], ['flavor', 'regex'], ['reservation_id', 'regex'], ['launched_at', 'regex'], ['terminated_at', 'regex'],
  ['availability_zone', 'regex'], ['name', 'regex'], ['display_name', 'regex'], ['description', 'regex'],
  ['display_description', 'regex'], ['locked_by', 'regex'], ['uuid', 'string'], ['root_device_name', 'regex'],
  ['config_drive', 'regex'], ['access_ip_v4', 'regex'], ['access_ip_v6', 'regex'], ['auto_disk_config', 'regex'],
  ['progress', 'regex'], ['sort_key', 'sortKey'], ['sort_dir', 'string'], ['all_tenants', 'string'],
  ['soft_deleted', 'string'], ['deleted', 'string'], ['status', 'string'], ['changes-since', 'datetime'], ['ip', 'regex'],
  ['ip6', 'regex'], ['created_at', 'regex'],
  // JOINED_TABLE_QUERY_PARAMS_SERVERS: known to the schema so that they reach the 400 below.
  ['block_device_mapping', 'string'], ['services', 'string'], ['metadata', 'string'], ['system_metadata', 'string'],
  ['info_cache', 'string'], ['security_groups', 'string'], ['pci_devices', 'string'],
  ['limit', 'limit'], ['marker', 'string'],
];
const V226: ReadonlyArray<readonly [string, Kind]> = [['tags', 'regex'], ['tags-any', 'regex'], ['not-tags', 'regex'], ['not-tags-any', 'regex']];
const V266: ReadonlyArray<readonly [string, Kind]> = [['changes-before', 'datetime']];
const V273: ReadonlyArray<readonly [string, Kind]> = [['locked', 'string']];

const JOINED_TABLES = ['block_device_mapping', 'services', 'metadata', 'system_metadata', 'info_cache', 'security_groups', 'pci_devices'];
const PAGING_SORTING = ['sort_key', 'sort_dir', 'limit', 'marker'];
const TAG_FILTERS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'] as const;

/** VALID_SORT_KEYS without the ignored ones. */
const SORT_KEYS: readonly SortColumn[] = [
  'access_ip_v4', 'access_ip_v6', 'auto_disk_config', 'availability_zone', 'config_drive', 'created_at',
  'display_description', 'display_name', 'host', 'hostname', 'image_ref', 'instance_type_id', 'kernel_id', 'key_name',
  'launch_index', 'launched_at', 'locked_by', 'node', 'power_state', 'progress', 'project_id', 'ramdisk_id',
  'root_device_name', 'task_state', 'terminated_at', 'updated_at', 'user_id', 'uuid', 'vm_state',
];
/** SERVER_LIST_IGNORE_SORT_KEY: accepted and ignored before 2.75 (`locked` only before 2.73). */
const IGNORED_SORT_KEYS = [
  'architecture', 'cell_name', 'cleaned', 'default_ephemeral_device', 'default_swap_device', 'deleted', 'deleted_at',
  'disable_terminate', 'ephemeral_gb', 'ephemeral_key_uuid', 'id', 'key_data', 'launched_on', 'locked', 'memory_mb',
  'os_type', 'reservation_id', 'root_gb', 'shutdown_terminate', 'user_data', 'vcpus', 'vm_mode',
];
const IGNORED_SORT_KEYS_V273 = IGNORED_SORT_KEYS.filter((k) => k !== 'locked');

/** The filters a caller without allow_all_filters may use (`_get_server_search_options`). */
function nonAdminFilters(v: ApiVersion): string[] {
  const list = ['reservation_id', 'name', 'status', 'image', 'flavor', 'ip', 'changes-since', 'all_tenants'];
  if (atLeast(v, '2.5')) list.push('ip6');
  if (atLeast(v, '2.26')) list.push(...TAG_FILTERS);
  if (atLeast(v, '2.66')) list.push('changes-before');
  if (atLeast(v, '2.73')) list.push('locked');
  if (atLeast(v, '2.83')) {
    list.push('availability_zone', 'config_drive', 'key_name', 'created_at', 'launched_at', 'terminated_at', 'power_state',
      'task_state', 'vm_state', 'progress', 'user_id');
  }
  if (atLeast(v, '2.90')) list.push('hostname');
  return list;
}

function schemaFor(v: ApiVersion): Map<string, Kind> {
  const schema = new Map<string, Kind>(INDEX_QUERY);
  if (atLeast(v, '2.26')) for (const [k, kind] of V226) schema.set(k, kind);
  if (atLeast(v, '2.66')) for (const [k, kind] of V266) schema.set(k, kind);
  if (atLeast(v, '2.73')) for (const [k, kind] of V273) schema.set(k, kind);
  return schema;
}

/** The sort_key enum of the version's schema (Nova builds the later ones from sets; any order). */
function sortKeyEnum(v: ApiVersion): string[] {
  if (atLeast(v, '2.75')) return [...SORT_KEYS, 'locked'];
  if (atLeast(v, '2.73')) return ['locked', ...SORT_KEYS, ...IGNORED_SORT_KEYS_V273];
  return [...SORT_KEYS, ...IGNORED_SORT_KEYS];
}

// ---- formats ----

/**
 * Nova's `regex` format: a non-empty pattern Python's `re.compile` accepts. Approximated with
 * a JavaScript RegExp after translating Python's named-group syntax and leading inline flags.
 */
export function isPythonRegex(pattern: string): boolean {
  if (pattern === '') return false;
  const source = pattern
    .replace(/^\(\?[aiLmsux]+\)/, '')
    .replace(/\(\?P</g, '(?<')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** A parsed time: the instant in UTC milliseconds plus the microseconds of its second. */
export interface IsoTime {
  /** UTC, milliseconds precision (what the repository compares). */
  iso: string;
  utcMs: number;
  micro: number;
}

// pyiso8601's grammar (oslo timeutils.parse_isotime): YYYY[[-]MM[[-]DD[(T| )hh[[:]mm][[:]ss[(.|,)f+]][Z|±hh[[:]mm]]]]].
// Python's `$` also matches before a final newline.
const ISO8601 = new RegExp(
  '^([0-9]{4})(?:(?:-([0-9]{1,2})|([0-9]{2})(?!\\n?$))(?:(?:-([0-9]{1,2})|([0-9]{2}))' +
    '(?:[ T]([0-9]{2})(?::?([0-9]{2}))?(?::?([0-9]{1,2})(?:[.,]([0-9]+))?)?(Z|([-+])([0-9]{2}):?([0-9]{2})?)?)?)?)?\\n?$',
);

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** `timeutils.parse_isotime` (iso8601.parse_date, naive times in UTC); undefined when it raises. */
export function parseIsoTime(text: string): IsoTime | undefined {
  const m = ISO8601.exec(text);
  if (!m) return undefined;
  const num = (s: string | undefined, dflt: number) => (s === undefined ? dflt : Number(s));
  const year = num(m[1], 0);
  const month = num(m[2] ?? m[3], 1);
  const day = num(m[4] ?? m[5], 1);
  const hour = num(m[6], 0);
  const minute = num(m[7], 0);
  const second = num(m[8], 0);
  const micro = m[9] === undefined ? 0 : Number(m[9].slice(0, 6).padEnd(6, '0'));
  let offsetMin = 0;
  if (m[10] !== undefined && m[10] !== 'Z') {
    offsetMin = (num(m[12], 0) * 60 + num(m[13], 0)) * (m[11] === '-' ? -1 : 1);
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || Math.abs(offsetMin) >= 24 * 60) return undefined;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  const utcMs = d.getTime() - offsetMin * 60_000;
  return { iso: new Date(utcMs + Math.floor(micro / 1000)).toISOString(), utcMs, micro };
}

function formatError(name: string, value: string, kind: Kind, v: ApiVersion): Invalid | undefined {
  switch (kind) {
    case 'regex':
      return isPythonRegex(value) ? undefined : queryParamError(name, value, `${pyRepr(value)} is not a 'regex'`);
    case 'datetime':
      return parseIsoTime(value) ? undefined : queryParamError(name, value, `${pyRepr(value)} is not a 'date-time'`);
    case 'limit': {
      const message = nonNegativeIntegerCheck(value);
      return message === null ? undefined : queryParamError(name, value, message);
    }
    case 'sortKey': {
      const keys = sortKeyEnum(v);
      return keys.includes(value) ? undefined : queryParamError(name, value, `${pyRepr(value)} is not one of ${pyRepr(keys)}`);
    }
    default:
      return undefined;
  }
}

// ---- booleans (oslo strutils.bool_from_string) ----

const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_STRINGS = ['0', 'f', 'false', 'off', 'n', 'no'];

/** Strict: anything else → 400 with oslo's message (Nova raises InvalidInput(str(err))). */
export function strictBool(value: string): boolean {
  const lowered = value.trim().toLowerCase();
  if (TRUE_STRINGS.includes(lowered)) return true;
  if (FALSE_STRINGS.includes(lowered)) return false;
  const acceptable = [...TRUE_STRINGS, ...FALSE_STRINGS].sort().map((s) => `'${s}'`).join(', ');
  throw new Invalid(`Unrecognized value '${value}', acceptable values are: ${acceptable}`);
}

function lenientBool(value: string): boolean {
  return TRUE_STRINGS.includes(value.trim().toLowerCase());
}

// ---- sorting ----

/**
 * `get_sort_params` + `remove_invalid_sort_keys` + the database's `process_sort_params`
 * checks, then the order Nova's instance lister really uses: `uuid asc` appended unless
 * present, missing directions taking the first one. Undefined = the default order.
 */
function sortParams(query: Query, caller: ServerListCaller): InstanceSort[] | undefined {
  const rawKeys = (query.sort_key ?? []).map((k) => k.trim());
  const rawDirs = (query.sort_dir ?? []).map((d) => d.trim());
  if (rawKeys.length === 0 && rawDirs.length === 0) return undefined;
  const keys = rawKeys.length > 0 ? rawKeys : ['created_at'];
  const dirs = rawDirs.length > 0 ? rawDirs : ['desc'];
  const ignored = atLeast(caller.version, '2.73') ? IGNORED_SORT_KEYS_V273 : IGNORED_SORT_KEYS;
  for (const key of [...keys]) {
    if (ignored.includes(key)) {
      const at = keys.indexOf(key);
      if (dirs.length > at) dirs.splice(at, 1);
      keys.splice(at, 1);
    } else if ((key === 'host' || key === 'node') && !caller.isAdmin) {
      throw new Forbidden(`Only administrators can sort servers by ${key}`);
    }
  }
  for (const dir of dirs) {
    if (dir !== 'asc' && dir !== 'desc') throw new Invalid("Invalid input received: Unknown sort direction, must be 'desc' or 'asc'");
  }
  if (dirs.length > keys.length) throw new Invalid('Invalid input received: Sort direction size exceeds sort key size');
  if (keys.length === 0) return undefined;
  if (!keys.includes('uuid')) {
    keys.push('uuid');
    dirs.push('asc');
  }
  const first = dirs[0] ?? 'desc';
  return keys.map((key, i) => ({ key: key as SortColumn, dir: (dirs[i] ?? first) as 'asc' | 'desc' }));
}

// ---- filters ----

const EXACT_FROM_QUERY: Record<string, ExactColumn> = {
  project_id: 'project_id', tenant_id: 'project_id', user_id: 'user_id', image: 'image_ref', image_ref: 'image_ref',
  vm_state: 'vm_state', task_state: 'task_state', uuid: 'uuid', host: 'host',
};
const REGEX_FROM_QUERY: Record<string, RegexColumn> = {
  name: 'display_name', display_name: 'display_name', description: 'display_description',
  display_description: 'display_description', hostname: 'hostname', reservation_id: 'reservation_id', key_name: 'key_name',
  availability_zone: 'availability_zone', node: 'node', kernel_id: 'kernel_id', ramdisk_id: 'ramdisk_id',
  root_device_name: 'root_device_name', config_drive: 'config_drive', access_ip_v4: 'access_ip_v4',
  access_ip_v6: 'access_ip_v6', locked_by: 'locked_by', launch_index: 'launch_index', power_state: 'power_state',
  progress: 'progress', auto_disk_config: 'auto_disk_config', created_at: 'created_at', launched_at: 'launched_at',
  terminated_at: 'terminated_at',
};
const TAG_FIELDS: Record<(typeof TAG_FILTERS)[number], 'tags' | 'tagsAny' | 'notTags' | 'notTagsAny'> = {
  tags: 'tags', 'tags-any': 'tagsAny', 'not-tags': 'notTags', 'not-tags-any': 'notTagsAny',
};

/**
 * Parses a server list query. Throws Invalid (400) or Forbidden (403) with Nova's messages.
 * `query` holds every value of each parameter, in the request's order.
 */
export function parseServerListQuery(query: Query, caller: ServerListCaller, maxLimit: number): ParsedServerList {
  const v = caller.version;
  const allowAll = caller.allowAllFilters ?? caller.isAdmin;

  // The query schema: format checks in property order, then (2.75) unknown parameters.
  const schema = schemaFor(v);
  for (const [name, kind] of schema) {
    for (const value of query[name] ?? []) {
      const err = formatError(name, value, kind, v);
      if (err) throw err;
    }
  }
  const isKnown = (k: string) => schema.has(k) || k.startsWith('_');
  const unknown = Object.keys(query).filter((k) => !isKnown(k));
  if (unknown.length > 0 && atLeast(v, '2.75')) throw new Invalid(additionalPropertiesMessage(unknown));

  // search_opts: the last value of each surviving parameter, in the request's order.
  const allowed = allowAll ? undefined : nonAdminFilters(v);
  const opts = new Map<string, string>();
  for (const [k, values] of Object.entries(query)) {
    if (!isKnown(k) || values.length === 0) continue;
    if (allowed ? !allowed.includes(k) : PAGING_SORTING.includes(k)) continue;
    opts.set(k, values[values.length - 1]);
  }
  for (const k of opts.keys()) {
    if (JOINED_TABLES.includes(k) || k.startsWith('_')) throw new Invalid(`Invalid filter field: ${k}.`);
  }

  let states: { vmStates: string[]; taskStates: string[] | undefined } | undefined;
  if (query.status !== undefined) {
    states = statesFromStatus(query.status);
    if (states.vmStates.length === 0) {
      if (atLeast(v, '2.38')) throw new Invalid('Invalid status value');
      return { options: { filter: {} }, allTenants: false, emptyResult: true };
    }
  }
  opts.delete('status');

  const filter: InstanceFilter = {};
  const since = opts.get('changes-since');
  const before = opts.get('changes-before');
  if (since !== undefined) filter.changesSince = (parseIsoTime(since) as IsoTime).iso;
  if (before !== undefined) {
    const b = parseIsoTime(before) as IsoTime;
    const s = since === undefined ? undefined : (parseIsoTime(since) as IsoTime);
    if (s && (b.utcMs < s.utcMs || (b.utcMs === s.utcMs && b.micro < s.micro))) {
      throw new Invalid('The value of changes-since must be less than or equal to changes-before.');
    }
    filter.changesBefore = b.iso;
  }

  const deletedOpt = opts.get('deleted');
  let deleted: boolean | 'any' = deletedOpt === undefined ? (since !== undefined || before !== undefined ? 'any' : false) : lenientBool(deletedOpt);
  if (states && states.vmStates.length === 1 && states.vmStates[0] === 'deleted') {
    if (!caller.isAdmin) throw new Forbidden('Only administrators may list deleted instances');
    deleted = true;
  }
  filter.deleted = deleted;
  // The database's `soft_deleted` (the raw string's truthiness, as in Nova): with deleted=false
  // soft-deleted servers are left out unless it is set; with deleted=true they count as deleted
  // unless it is set to ''.
  const softDeleted = opts.get('soft_deleted');
  if (deleted === false) filter.softDeleted = softDeleted !== undefined && softDeleted !== '';
  else if (deleted === true) filter.softDeleted = softDeleted === undefined || softDeleted !== '';

  for (const tagFilter of TAG_FILTERS) {
    const value = opts.get(tagFilter);
    if (value !== undefined) filter[TAG_FIELDS[tagFilter]] = value.split(',');
  }

  const allTenantsOpt = opts.get('all_tenants');
  const allTenants = allTenantsOpt ? strictBool(allTenantsOpt) : opts.has('all_tenants');
  const lockedOpt = opts.get('locked');
  const locked = lockedOpt === undefined ? undefined : strictBool(lockedOpt);
  if (allTenants) caller.authorizeAllTenants?.();

  const exact: NonNullable<InstanceFilter['exact']> = {};
  const regex: NonNullable<InstanceFilter['regex']> = {};
  const result: ParsedServerList = { options: { filter }, allTenants };
  for (const [k, value] of opts) {
    if (k === 'tenant_id' && !allTenants) continue;
    if (Object.hasOwn(EXACT_FROM_QUERY, k)) exact[EXACT_FROM_QUERY[k]] = [value];
    else if (Object.hasOwn(REGEX_FROM_QUERY, k)) regex[REGEX_FROM_QUERY[k]] = value;
    else if (k === 'flavor') result.flavorRef = value;
    else if (k === 'ip') result.ip = value;
    else if (k === 'ip6') result.ip6 = value;
  }
  if (locked !== undefined) exact.locked = [locked];
  if (states) {
    exact.vm_state = states.vmStates;
    if (states.taskStates !== undefined) exact.task_state = states.taskStates;
  }
  if (!allTenants) {
    if (caller.projectId) exact.project_id = [caller.projectId];
    else exact.user_id = [caller.userId];
  }
  if (Object.keys(exact).length > 0) filter.exact = exact;
  if (Object.keys(regex).length > 0) filter.regex = regex;

  const { limit, marker } = pageParams(query, maxLimit);
  result.options.limit = limit;
  if (marker !== undefined) result.options.marker = marker;
  const sort = sortParams(query, caller);
  if (sort) result.options.sort = sort;
  return result;
}
