import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { Invalid } from '../../common/errors';
import { QuotaRepository } from '../../db/repositories/quota.repository';
import { isQuotaResource, QuotaLimits, QuotaResource } from '../../objects/quota.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { Query, single } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { UsageService } from '../usage.service';
import { MAX_INT, NovaBoolean, NovaInt, Optional, toBool } from '../validation/nova-validators';
import { PropertyRule, schemaClass, validateWrapped } from '../validation/validate';
import { absoluteLimitsView, quotaDetailView, quotaSetView } from '../views/quota.view';

const QS = 'os_compute_api:os-quota-sets';
const QC = 'os_compute_api:os-quota-class-sets';

/** schemas/quota_sets.py `_quota_resources`, in its order. */
const SCHEMA_RESOURCES = [
  'instances', 'cores', 'ram', 'floating_ips', 'fixed_ips', 'metadata_items', 'key_pairs', 'security_groups',
  'security_group_rules', 'injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes',
  'server_groups', 'server_group_members',
] as const;
const NETWORK = ['floating_ips', 'fixed_ips', 'security_groups', 'security_group_rules'];
const INJECTED = ['injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes'];

/**
 * The `quota_set` (`update`, `_v236`, `_v257`) or `quota_class_set` (`update`, `_v250`, `_v257`)
 * schema: `_common_quota` per resource, and `force` (parameter_types.boolean) for quota sets.
 */
function quotaSchema(forClassSet: boolean, withNetwork: boolean, withInjected: boolean) {
  const rules: Record<string, PropertyRule[]> = {};
  for (const r of SCHEMA_RESOURCES) {
    if ((withNetwork || !NETWORK.includes(r)) && (withInjected || !INJECTED.includes(r))) rules[r] = [Optional(), NovaInt(-1, MAX_INT, '^-?[0-9]+$')];
  }
  if (!forClassSet) rules.force = [Optional(), NovaBoolean()];
  return schemaClass<Record<string, unknown>>(rules);
}

const SCHEMAS = {
  quota_set: [quotaSchema(false, true, true), quotaSchema(false, false, true), quotaSchema(false, false, false)],
  quota_class_set: [quotaSchema(true, true, true), quotaSchema(true, false, true), quotaSchema(true, false, false)],
};

/** Parses `{"quota_set": {res: int, "force"?: bool}}`; the network resources are accepted and ignored. */
function parseQuotaBody(ctx: RequestContext, body: unknown, wrapper: 'quota_set' | 'quota_class_set'): { limits: Partial<QuotaLimits>; force: boolean } {
  const forClassSet = wrapper === 'quota_class_set';
  const v = ctx.version;
  const stage = atLeast(v, '2.57') ? 2 : atLeast(v, forClassSet ? '2.50' : '2.36') ? 1 : 0;
  const inner = validateWrapped(body, wrapper, SCHEMAS[wrapper][stage]);
  const limits: Partial<QuotaLimits> = {};
  for (const [k, raw] of Object.entries(inner)) {
    if (isQuotaResource(k)) limits[k] = Number(raw);
  }
  return { limits, force: inner.force !== undefined && toBool(inner.force) };
}

/** `/os-quota-sets/{project_id}` (+ `/detail`, `/defaults`) and `/limits`. */
@Controller('v2.1')
export class QuotasController {
  constructor(private readonly quotas: QuotaRepository, private readonly usage: UsageService, private readonly policy: PolicyService) {}

  @Get('limits')
  async limits(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    this.policy.authorize(ctx, 'os_compute_api:limits', {});
    let projectId = ctx.projectId;
    const other = single(query, 'tenant_id');
    if (other !== undefined && other !== ctx.projectId && this.policy.check(ctx, 'os_compute_api:limits:other_project', {})) projectId = other;
    const limits = await this.quotas.getProjectQuotas(projectId);
    const used = await this.usage.count(projectId, ctx.userId, false);
    return { limits: { rate: [], absolute: absoluteLimitsView(ctx.version, limits, used) } };
  }

  @Get('os-quota-sets/:projectId/defaults')
  async defaults(@ReqCtx() ctx: RequestContext, @Param('projectId') projectId: string) {
    this.policy.authorize(ctx, `${QS}:defaults`, {});
    return { quota_set: quotaSetView(ctx.version, await this.quotas.getDefaults(), projectId) };
  }

  @Get('os-quota-sets/:projectId/detail')
  async detail(@ReqCtx() ctx: RequestContext, @Param('projectId') projectId: string, @QueryParams() query: Query) {
    const userId = single(query, 'user_id');
    this.policy.authorize(ctx, `${QS}:detail`, { project_id: projectId });
    const limits = await this.quotas.getProjectQuotas(projectId, userId);
    const used = await this.usage.count(projectId, userId ?? ctx.userId, userId !== undefined);
    return { quota_set: quotaDetailView(ctx.version, limits, used, projectId) };
  }

  @Get('os-quota-sets/:projectId')
  async show(@ReqCtx() ctx: RequestContext, @Param('projectId') projectId: string, @QueryParams() query: Query) {
    const userId = single(query, 'user_id');
    this.policy.authorize(ctx, `${QS}:show`, { project_id: projectId });
    return { quota_set: quotaSetView(ctx.version, await this.quotas.getProjectQuotas(projectId, userId), projectId) };
  }

  @Put('os-quota-sets/:projectId')
  async update(@ReqCtx() ctx: RequestContext, @Param('projectId') projectId: string, @Body() body: unknown, @QueryParams() query: Query) {
    this.policy.authorize(ctx, `${QS}:update`, { project_id: projectId });
    const userId = single(query, 'user_id');
    const { limits, force } = parseQuotaBody(ctx, body, 'quota_set');
    if (!force) {
      const used = await this.usage.count(projectId, userId ?? ctx.userId, userId !== undefined);
      for (const [res, limit] of Object.entries(limits) as Array<[QuotaResource, number]>) {
        const inUse = used[res] ?? 0;
        if (limit !== -1 && limit < inUse) {
          throw new Invalid(`Quota limit ${limit} for ${res} must be greater than or equal to already used and reserved ${inUse}.`);
        }
      }
    }
    const updated = await this.quotas.setProjectQuotas(projectId, limits, userId);
    return { quota_set: quotaSetView(ctx.version, updated) };
  }

  @Delete('os-quota-sets/:projectId')
  @HttpCode(202)
  async remove(@ReqCtx() ctx: RequestContext, @Param('projectId') projectId: string, @QueryParams() query: Query): Promise<void> {
    this.policy.authorize(ctx, `${QS}:delete`, { project_id: projectId });
    await this.quotas.deleteProjectQuotas(projectId, single(query, 'user_id'));
  }

  @Get('os-quota-class-sets/:className')
  async showClass(@ReqCtx() ctx: RequestContext, @Param('className') className: string) {
    this.policy.authorize(ctx, `${QC}:show`, {});
    return { quota_class_set: quotaSetView(ctx.version, await this.quotas.getClassQuotas(className), className, true) };
  }

  @Put('os-quota-class-sets/:className')
  async updateClass(@ReqCtx() ctx: RequestContext, @Param('className') className: string, @Body() body: unknown) {
    this.policy.authorize(ctx, `${QC}:update`, {});
    const { limits } = parseQuotaBody(ctx, body, 'quota_class_set');
    return { quota_class_set: quotaSetView(ctx.version, await this.quotas.setClassQuotas(className, limits), undefined, true) };
  }
}
