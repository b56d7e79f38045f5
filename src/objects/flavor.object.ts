/**
 * A flavor as it crosses the bus and reaches views: plain JSON, datetimes as ISO strings,
 * never an ORM entity (DESIGN.md rule 4). Field names are Nova's `Flavor` object fields.
 */
export interface FlavorRecord {
  /** Internal integer id (the `flavors.id` column), not the API id. */
  id: number;
  /** The API id (`GET /flavors/{flavorid}`). */
  flavorid: string;
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb: number;
  swap: number;
  rxtx_factor: number;
  vcpu_weight: number | null;
  disabled: boolean;
  is_public: boolean;
  description: string | null;
  extra_specs: Record<string, string>;
  created_at: string | null;
  updated_at: string | null;
}

/** What `FlavorRepository.create` takes; the API has validated ranges already. */
export interface FlavorCreate {
  name: string;
  memory_mb: number;
  vcpus: number;
  root_gb: number;
  ephemeral_gb?: number;
  swap?: number;
  rxtx_factor?: number;
  vcpu_weight?: number | null;
  disabled?: boolean;
  is_public?: boolean;
  description?: string | null;
  /** The API id; absent, null or empty (and 0, as in Nova) means a random UUID. */
  flavorid?: string | number | null;
}

/** `sort_key` values the flavor list accepts (Nova's `schemas/flavors.py` enum; all are columns). */
export const FLAVOR_SORT_KEYS = [
  'created_at', 'description', 'disabled', 'ephemeral_gb', 'flavorid', 'id', 'is_public', 'memory_mb', 'name',
  'root_gb', 'rxtx_factor', 'swap', 'updated_at', 'vcpu_weight', 'vcpus',
] as const;
export type FlavorSortKey = (typeof FLAVOR_SORT_KEYS)[number];

export interface FlavorListOptions {
  /** true: public flavors plus private ones `projectId` has access to; false: only private; null: all. */
  isPublic: boolean | null;
  projectId?: string;
  /**
   * Nova's non-admin context filter: only public flavors and those this project has access to,
   * whatever `isPublic` says; it also limits which flavor a marker may name. Unset for admins.
   */
  visibleToProject?: string;
  minMemoryMb?: number;
  minRootGb?: number;
  /** Non-admins never see disabled flavors. */
  includeDisabled: boolean;
  sortKey?: FlavorSortKey;
  sortDir?: 'asc' | 'desc';
  limit?: number;
  /** flavorid of the last item of the previous page. */
  marker?: string;
  /** Regular expression matched (unanchored) against the name (microversion >= 2.102). */
  nameRegex?: string;
}

/** DevStack's classic flavors, for the all-in-one to seed; Nova itself creates none. */
export const DEFAULT_DEVSTACK_FLAVORS: readonly FlavorCreate[] = [
  { flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1 },
  { flavorid: '2', name: 'm1.small', memory_mb: 2048, vcpus: 1, root_gb: 20 },
  { flavorid: '3', name: 'm1.medium', memory_mb: 4096, vcpus: 2, root_gb: 40 },
  { flavorid: '4', name: 'm1.large', memory_mb: 8192, vcpus: 4, root_gb: 80 },
  { flavorid: '5', name: 'm1.xlarge', memory_mb: 16384, vcpus: 8, root_gb: 160 },
];
