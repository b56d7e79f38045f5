import { Controller, Get, Inject, Param } from '@nestjs/common';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { UsageReportRepository } from '../../db/repositories/usage-report.repository';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import type { Query } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { PolicyService } from '../policy/policy.service';
import { pageSizeOf } from '../servers/subresource-requests';
import { instantFromMs, instantToDate, parseUsageQuery, ServerUsage, tenantUsages, TenantUsage, validateUsageQuery } from '../servers/tenant-usage';
import { nextLinks } from '../views/format';

const P = 'os_compute_api:os-simple-tenant-usage';

/**
 * `/os-simple-tenant-usage` (nova/api/openstack/compute/simple_tenant_usage.py): what each
 * project's instances used in a period (start..end, default now; end capped at now), counting
 * every instance launched before the end and not terminated before the start, deleted ones
 * included. `index` (all projects, admin) summarises per project, with `detailed=1` the servers
 * too; `show` is one project with its servers. From 2.40 the instances page by
 * limit/marker (an instance uuid) with `*_links`.
 */
@Controller('v2.1/os-simple-tenant-usage')
export class SimpleTenantUsageController {
  constructor(
    private readonly reports: UsageReportRepository,
    private readonly policy: PolicyService,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  @Get()
  async index(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    validateUsageQuery(query, ctx.version, true);
    this.policy.authorize(ctx, `${P}:list`);
    const { usages, serverUsages, links } = await this.report(ctx, query, undefined);
    const body: Record<string, unknown> = { tenant_usages: usages };
    if (links) {
      const l = this.links(ctx, query, 'os-simple-tenant-usage', serverUsages);
      if (l) body.tenant_usages_links = l;
    }
    return body;
  }

  @Get(':tenant_id')
  async show(@ReqCtx() ctx: RequestContext, @Param('tenant_id') tenantId: string, @QueryParams() query: Query) {
    validateUsageQuery(query, ctx.version, false);
    this.policy.authorize(ctx, `${P}:show`, { project_id: tenantId });
    const { usages, serverUsages, links } = await this.report(ctx, query, tenantId, true);
    const body: Record<string, unknown> = { tenant_usage: usages[0] ?? {} };
    if (links) {
      const l = this.links(ctx, query, `os-simple-tenant-usage/${tenantId}`, serverUsages);
      if (l) body.tenant_usage_links = l;
    }
    return body;
  }

  private async report(ctx: RequestContext, query: Query, projectId: string | undefined, forceDetailed = false) {
    const now = instantFromMs(Date.now());
    const q = parseUsageQuery(query, ctx.version, this.conf.api.max_limit, now);
    const rows = await this.reports.activeByWindow({
      begin: instantToDate(q.start), end: instantToDate(q.stop), projectId, limit: q.limit, marker: q.marker,
    });
    const { usages, serverUsages } = tenantUsages(rows, q.start, q.stop, forceDetailed || q.detailed, now);
    return { usages: usages as TenantUsage[], serverUsages, links: q.links };
  }

  private links(ctx: RequestContext, query: Query, collection: string, serverUsages: ServerUsage[]) {
    return nextLinks(ctx, collection, query, pageSizeOf(query, this.conf.api.max_limit), serverUsages.length, serverUsages[serverUsages.length - 1]?.instance_id);
  }
}
