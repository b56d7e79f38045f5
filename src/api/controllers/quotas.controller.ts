import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { Invalid } from '../../common/errors';
import { QuotaRepository } from '../../db/repositories/quota.repository';
import { isQuotaResource, MAX_QUOTA_LIMIT, QuotaLimits, QuotaResource } from '../../objects/quota.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { Query, single } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { PolicyService } from '../policy/policy.service';
import { UsageService } from '../usage.service';
import { requireObject } from '../validation/validate';
import { pyRepr } from '../validation/py-repr';
import { toBool } from '../validation/nova-validators';
import { absoluteLimitsView, quotaDetailView, quotaKeys, quotaSetView } from '../views/quota.view';

const QS = 'os_compute_api:os-quota-sets';
const QC = 'os_compute_api:os-quota-class-sets';

/** Parses `{"quota_set": {res: int, "force"?: bool}}` with the keys this version shows. */
function parseQuotaBody(ctx: RequestContext, body: unknown, wrapper: string, forClassSet: boolean): { limits: Partial<QuotaLimits>; force: boolean } {
  const top = requireObject(body);
  if (!(wrapper in top)) throw new Invalid(`'${wrapper}' is a required property`);
  const inner = requireObject(top[wrapper]);
  const { resources, network } = quotaKeys(ctx.version, forClassSet);
  const limits: Partial<QuotaLimits> = {};
  let force = false;
  for (const [k, raw] of Object.entries(inner)) {
    if (k === 'force' && !forClassSet) {
      force = toBool(raw);
      continue;
    }
    if (network.includes(k)) continue; // accepted and ignored, as Nova does for network quotas
    if (!isQuotaResource(k) || !resources.includes(k)) {
      throw new Invalid(`Invalid input for field/attribute ${wrapper}. Value: ${pyRepr(inner)}. Additional properties are not allowed ('${k}' was unexpected)`);
    }
    const n = typeof raw === 'string' && /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new Invalid(`Invalid input for field/attribute ${k}. Value: ${pyRepr(raw)}. ${pyRepr(raw)} is not of type 'integer', 'string'`);
    if (n < -1) throw new Invalid(`Invalid input for field/attribute ${k}. Value: ${n}. ${n} is less than the minimum of -1`);
    if (n > MAX_QUOTA_LIMIT) throw new Invalid(`Invalid input for field/attribute ${k}. Value: ${n}. ${n} is greater than the maximum of ${MAX_QUOTA_LIMIT}`);
    limits[k as QuotaResource] = n;
  }
  return { limits, force };
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
    const { limits, force } = parseQuotaBody(ctx, body, 'quota_set', false);
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
    const { limits } = parseQuotaBody(ctx, body, 'quota_class_set', true);
    return { quota_class_set: quotaSetView(ctx.version, await this.quotas.setClassQuotas(className, limits), undefined, true) };
  }
}
