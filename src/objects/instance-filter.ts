/**
 * What a server list asks the instance repository for, once the API has parsed and policed the
 * query string (Nova's `search_opts` after `_get_servers`). Pure types.
 */

/** Columns matched exactly (Nova's `exact_match_filter_names`), value in the list. */
export const EXACT_COLUMNS = [
  'project_id', 'user_id', 'image_ref', 'vm_state', 'instance_type_id', 'uuid', 'host', 'task_state', 'locked', 'hidden',
] as const;
export type ExactColumn = (typeof EXACT_COLUMNS)[number];

/** Columns matched as a regular expression (everything else Nova filters on). */
export const REGEX_COLUMNS = [
  'display_name', 'display_description', 'hostname', 'reservation_id', 'key_name', 'availability_zone', 'node',
  'kernel_id', 'ramdisk_id', 'root_device_name', 'config_drive', 'access_ip_v4', 'access_ip_v6', 'locked_by',
  'launch_index', 'power_state', 'progress', 'auto_disk_config', 'created_at', 'launched_at', 'terminated_at',
] as const;
export type RegexColumn = (typeof REGEX_COLUMNS)[number];

/** Sort keys that are instance columns (Nova's valid `sort_key` values, API names mapped to columns). */
export const SORT_COLUMNS = [
  'access_ip_v4', 'access_ip_v6', 'auto_disk_config', 'availability_zone', 'config_drive', 'created_at', 'display_description',
  'display_name', 'host', 'hostname', 'image_ref', 'instance_type_id', 'kernel_id', 'key_name', 'launch_index', 'launched_at',
  'locked_by', 'node', 'power_state', 'progress', 'project_id', 'ramdisk_id', 'root_device_name', 'task_state',
  'terminated_at', 'updated_at', 'user_id', 'uuid', 'vm_state', 'locked',
] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export interface InstanceSort {
  key: SortColumn;
  dir: 'asc' | 'desc';
}

export interface InstanceFilter {
  /** Exact matches: the column must equal one of the values (null matches NULL). */
  exact?: Partial<Record<ExactColumn, Array<string | number | boolean | null>>>;
  /** Regular-expression matches (Python `re.search` semantics: unanchored). */
  regex?: Partial<Record<RegexColumn, string>>;
  /**
   * Deleted rows: false (default) excludes them, true lists only them, 'any' both. Nova lists
   * deleted rows too when changes-since/changes-before is given.
   */
  deleted?: boolean | 'any';
  /** Include soft-deleted (vm_state soft-delete) rows; Nova's `soft_deleted` admin filter. Default true. */
  softDeleted?: boolean;
  /** `updated_at >= changesSince` (ISO). */
  changesSince?: string;
  /** `updated_at <= changesBefore` (ISO). */
  changesBefore?: string;
  /** Must carry every one of these tags. */
  tags?: string[];
  /** Must carry at least one. */
  tagsAny?: string[];
  /** Must not carry all of these together. */
  notTags?: string[];
  /** Must carry none of these. */
  notTagsAny?: string[];
}

export interface InstanceListOptions {
  filter: InstanceFilter;
  /** Default: created_at desc, then id desc. */
  sort?: InstanceSort[];
  limit?: number;
  /** uuid of the last instance of the previous page; unknown → MarkerNotFound (400). */
  marker?: string;
}
