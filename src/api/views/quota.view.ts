import type { QuotaLimits, QuotaResource, UsageCounts } from '../../objects/quota.object';
import { ApiVersion, atLeast } from '../microversion/api-version';

/** The quota resources a quota set shows at a version, plus the network ones (always -1) before 2.36. */
export function quotaKeys(v: ApiVersion, forClassSet = false): { resources: QuotaResource[]; network: string[] } {
  const resources: QuotaResource[] = ['instances', 'cores', 'ram', 'metadata_items', 'key_pairs'];
  if (!forClassSet || atLeast(v, '2.50')) resources.push('server_groups', 'server_group_members');
  if (!atLeast(v, '2.57')) resources.push('injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes');
  const networkCutoff = forClassSet ? '2.50' : '2.36';
  const network = atLeast(v, networkCutoff) ? [] : ['fixed_ips', 'floating_ips', 'security_groups', 'security_group_rules'];
  return { resources, network };
}

export function quotaSetView(v: ApiVersion, limits: QuotaLimits, id?: string, forClassSet = false) {
  const { resources, network } = quotaKeys(v, forClassSet);
  const body: Record<string, unknown> = id === undefined ? {} : { id };
  for (const r of resources) body[r] = limits[r];
  for (const n of network) body[n] = -1;
  return body;
}

export function quotaDetailView(v: ApiVersion, limits: QuotaLimits, usage: UsageCounts, id: string) {
  const { resources, network } = quotaKeys(v);
  const body: Record<string, unknown> = { id };
  for (const r of resources) body[r] = { limit: limits[r], in_use: usage[r] ?? 0, reserved: 0 };
  for (const n of network) body[n] = { limit: -1, in_use: 0, reserved: 0 };
  return body;
}

/** `GET /limits` absolute limits and usage. */
export function absoluteLimitsView(v: ApiVersion, limits: QuotaLimits, usage: UsageCounts) {
  const body: Record<string, number> = {
    maxTotalInstances: limits.instances,
    maxTotalCores: limits.cores,
    maxTotalRAMSize: limits.ram,
    maxTotalKeypairs: limits.key_pairs,
    maxServerMeta: limits.metadata_items,
    maxServerGroups: limits.server_groups,
    maxServerGroupMembers: limits.server_group_members,
    totalInstancesUsed: usage.instances ?? 0,
    totalCoresUsed: usage.cores ?? 0,
    totalRAMUsed: usage.ram ?? 0,
    totalServerGroupsUsed: usage.server_groups ?? 0,
  };
  if (!atLeast(v, '2.39')) body.maxImageMeta = limits.metadata_items;
  if (!atLeast(v, '2.57')) {
    body.maxPersonality = limits.injected_files;
    body.maxPersonalitySize = limits.injected_file_content_bytes;
  }
  if (!atLeast(v, '2.36')) {
    Object.assign(body, { maxTotalFloatingIps: -1, maxSecurityGroups: -1, maxSecurityGroupRules: -1, totalFloatingIpsUsed: 0, totalSecurityGroupsUsed: 0 });
  }
  return body;
}
