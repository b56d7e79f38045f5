import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { Forbidden, Invalid } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { KeyedLock } from '../../common/keyed-lock';
import { createWithinQuota } from '../create-within-quota';
import { QuotaRepository } from '../../db/repositories/quota.repository';
import { ServerGroupRepository } from '../../db/repositories/server-group.repository';
import type { ServerGroupPolicy, ServerGroupRecord } from '../../objects/server-group.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { Query } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { allOf, Check, enumCheck, nonNegativeIntegerCheck, NovaCheck, NovaEnum, NovaName, Optional, positiveIntegerCheck, Required, typeCheck } from '../validation/nova-validators';
import { pyRepr } from '../validation/py-repr';
import { nestedMessage, NovaObject, queryParam, validateWrapped } from '../validation/validate';
import { serverGroupView } from '../views/server-group.view';

const P = 'os_compute_api:os-server-groups';
const BASE_POLICIES = ['anti-affinity', 'affinity'];
const SOFT_POLICIES = ['soft-anti-affinity', 'soft-affinity'];

class GroupCreateLegacy {
  @Required() @NovaName() name!: string;
  @Required() @NovaCheck('policies', policiesCheck(BASE_POLICIES)) policies!: string[];
}

/** `create_v215`: the soft policies. */
class GroupCreate215 {
  @Required() @NovaName() name!: string;
  @Required() @NovaCheck('policies', policiesCheck([...BASE_POLICIES, ...SOFT_POLICIES])) policies!: string[];
}

class GroupRules {
  @Optional() @NovaCheck('positiveInteger', positiveIntegerCheck) max_server_per_host?: number | string;
}

class GroupCreate264 {
  @Required() @NovaName() name!: string;
  @Required() @NovaEnum([...BASE_POLICIES, ...SOFT_POLICIES], 'string') policy!: ServerGroupPolicy;
  @Optional() @NovaObject(GroupRules) rules?: Record<string, unknown>;
}

/** `/os-server-groups`: affinity and anti-affinity groups, per project. */
@Controller('v2.1/os-server-groups')
export class ServerGroupsController {
  constructor(
    private readonly groups: ServerGroupRepository,
    private readonly quotas: QuotaRepository,
    private readonly policy: PolicyService,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  @Get()
  async list(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    const limit = intParam(query, 'limit');
    const offset = intParam(query, 'offset') ?? 0;
    this.policy.authorize(ctx, `${P}:index`, { project_id: ctx.projectId });
    // Nova: the parameter's presence (any value) asks for every project, honoured for admins only;
    // anyone else silently gets their own groups.
    const all = 'all_projects' in query && ctx.isAdmin;
    if (all) this.policy.authorize(ctx, `${P}:index:all_projects`, { project_id: ctx.projectId });
    // common.limited: limit 0 or absent means max_limit, and never more than max_limit.
    const maxLimit = this.conf.api.max_limit;
    const rows = await this.groups.list({ projectId: all ? undefined : ctx.projectId, limit: Math.min(limit || maxLimit, maxLimit), offset });
    return { server_groups: rows.map((g) => this.view(ctx, g)) };
  }

  /** 200, not 201 (Nova kept it for compatibility). */
  @Post()
  @HttpCode(200)
  async create(@ReqCtx() ctx: RequestContext, @Body() body: unknown) {
    let name: string;
    let policy: ServerGroupPolicy;
    let rules: Record<string, unknown> = {};
    if (atLeast(ctx.version, '2.64')) {
      const b = validateWrapped(body, 'server_group', GroupCreate264);
      ({ name, policy } = b);
      rules = b.rules ?? {};
    } else {
      const b = validateWrapped(body, 'server_group', atLeast(ctx.version, '2.15') ? GroupCreate215 : GroupCreateLegacy);
      name = b.name;
      policy = b.policies[0] as ServerGroupPolicy;
    }
    this.policy.authorize(ctx, `${P}:create`, { project_id: ctx.projectId });
    if (Object.keys(rules).length > 0 && policy !== 'anti-affinity') throw new Invalid('Only anti-affinity policy supports rules.');
    if ('max_server_per_host' in rules) rules = { max_server_per_host: Number(rules.max_server_per_host) };
    const group = await createWithinQuota(
      this.createLock,
      ctx.projectId,
      (adding) => this.checkQuota(ctx, adding),
      () => this.groups.create({ name, policy, rules, projectId: ctx.projectId, userId: ctx.userId }),
      (created) => this.groups.delete(created.id),
    );
    return { server_group: this.view(ctx, group) };
  }

  private readonly createLock = new KeyedLock();

  /** server_groups quota: per project, and per user when the user has a limit of their own. */
  private async checkQuota(ctx: RequestContext, adding: number): Promise<void> {
    const limit = (await this.quotas.getProjectQuotas(ctx.projectId, ctx.userId)).server_groups;
    if (limit < 0) return;
    const perUser = (await this.quotas.getStoredLimits(ctx.projectId, ctx.userId)).server_groups !== undefined;
    const used = perUser ? await this.groups.countForUser(ctx.projectId, ctx.userId) : await this.groups.countForProject(ctx.projectId);
    if (used + adding > limit) throw new Forbidden('Quota exceeded, too many server groups.');
  }

  @Get(':id')
  async show(@ReqCtx() ctx: RequestContext, @Param('id') id: string) {
    const group = await this.groups.get(id);
    this.policy.authorize(ctx, `${P}:show`, { project_id: group.project_id });
    return { server_group: this.view(ctx, group) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@ReqCtx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    const group = await this.groups.get(id);
    this.policy.authorize(ctx, `${P}:delete`, { project_id: group.project_id });
    await this.groups.delete(id);
  }

  private view(ctx: RequestContext, g: ServerGroupRecord) {
    // Instances are not stored yet (lifecycle issue); members are the recorded uuids.
    return serverGroupView(ctx.version, g, g.members);
  }
}

/**
 * `policies` before 2.64 (jsonschema keyword order): type array, prefixItems [enum], uniqueItems,
 * minItems 1, maxItems 1.
 */
function policiesCheck(allowed: string[]): Check {
  const first = allOf(typeCheck('string'), enumCheck(allowed));
  return (v) => {
    if (!Array.isArray(v)) return `${pyRepr(v)} is not of type 'array'`;
    const itemError = v.length > 0 ? first(v[0]) : null;
    if (itemError !== null) return nestedMessage(0, v[0], itemError);
    if (new Set(v.map((x) => JSON.stringify(x))).size !== v.length) return `${pyRepr(v)} has non-unique elements`;
    if (v.length < 1) return `${pyRepr(v)} is too short`;
    if (v.length > 1) return `${pyRepr(v)} is too long`;
    return null;
  };
}

/** `limit`/`offset`: parameter_types.non_negative_integer on each value; the last one is used. */
function intParam(query: Query, name: string): number | undefined {
  const value = queryParam(query, name, nonNegativeIntegerCheck);
  return value === undefined ? undefined : Number(value);
}
