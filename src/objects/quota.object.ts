/**
 * Quota limits as plain data, and the pure over-quota check. Resource names are the API's
 * (`injected_file_path_bytes`, whose config option is `[quota] injected_file_path_length`).
 */
import { Forbidden } from '../common/errors';

export const QUOTA_RESOURCES = [
  'instances', 'cores', 'ram', 'metadata_items', 'injected_files', 'injected_file_content_bytes',
  'injected_file_path_bytes', 'key_pairs', 'server_groups', 'server_group_members',
] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** A limit per resource; -1 means unlimited. */
export type QuotaLimits = Record<QuotaResource, number>;

/** Current usage (or a requested delta) per resource; absent means 0. */
export type UsageCounts = Partial<Record<QuotaResource, number>>;

/** The `[quota]` options that give the defaults (a `SectionValues<typeof quotaSection>` fits). */
export interface QuotaConfigDefaults {
  instances: number;
  cores: number;
  ram: number;
  metadata_items: number;
  injected_files: number;
  injected_file_content_bytes: number;
  injected_file_path_length: number;
  key_pairs: number;
  server_groups: number;
  server_group_members: number;
}

/** The quota class whose rows override the configured defaults (Nova's `_DEFAULT_QUOTA_NAME`). */
export const DEFAULT_QUOTA_CLASS = 'default';

/** Largest limit the API accepts (Nova's `db_const.MAX_INT`). */
export const MAX_QUOTA_LIMIT = 2147483647;

export const UNLIMITED = -1;

export function quotaLimitsFromConfig(c: QuotaConfigDefaults): QuotaLimits {
  return {
    instances: c.instances,
    cores: c.cores,
    ram: c.ram,
    metadata_items: c.metadata_items,
    injected_files: c.injected_files,
    injected_file_content_bytes: c.injected_file_content_bytes,
    injected_file_path_bytes: c.injected_file_path_length,
    key_pairs: c.key_pairs,
    server_groups: c.server_groups,
    server_group_members: c.server_group_members,
  };
}

export function isQuotaResource(name: string): name is QuotaResource {
  return (QUOTA_RESOURCES as readonly string[]).includes(name);
}

/**
 * Throws Forbidden (the API answers 403) when `usage + requested` exceeds a limit, with Nova's
 * `TooManyInstances` text; several resources over at once are sorted and joined with ", " as in
 * `nova.compute.utils.get_over_quota_detail`:
 * `Quota exceeded for cores, ram: Requested 4, 4096, but already used 18, 50000 of 20, 51200 cores, ram`.
 * `requestedText` replaces a resource's requested number in the message (Nova shows `1-3` for
 * instances when min_count != max_count). Unlimited (-1) and unknown limits never fail.
 */
export function checkQuota(
  limits: Partial<QuotaLimits>, usage: UsageCounts, requested: UsageCounts,
  requestedText: Partial<Record<QuotaResource, string>> = {},
): void {
  const overs = overQuota(limits, usage, requested);
  if (overs.length === 0) return;
  const reqs = overs.map((r) => requestedText[r] ?? String(requested[r] ?? 0)).join(', ');
  const useds = overs.map((r) => String(usage[r] ?? 0)).join(', ');
  const alloweds = overs.map((r) => String(limits[r])).join(', ');
  const names = overs.join(', ');
  throw new Forbidden(`Quota exceeded for ${names}: Requested ${reqs}, but already used ${useds} of ${alloweds} ${names}`);
}

/** The resources (sorted) that `requested` would put over their limit. */
export function overQuota(limits: Partial<QuotaLimits>, usage: UsageCounts, requested: UsageCounts): QuotaResource[] {
  const overs: QuotaResource[] = [];
  for (const res of Object.keys(requested) as QuotaResource[]) {
    const limit = limits[res];
    if (limit === undefined || limit < 0) continue;
    if ((usage[res] ?? 0) + (requested[res] ?? 0) > limit) overs.push(res);
  }
  return overs.sort();
}

/** Nova's `KeypairLimitExceeded`, which the keypairs API turns into a 403. */
export function keypairLimitExceeded(): Forbidden {
  return new Forbidden('Quota exceeded, too many key pairs.');
}
