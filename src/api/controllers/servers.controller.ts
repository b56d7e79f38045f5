import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { NotFound } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { instanceName } from '../../compute/guest-spec';
import { FlavorRepository } from '../../db/repositories/flavor.repository';
import { InstanceRepository } from '../../db/repositories/instance.repository';
import { ServerGroupRepository } from '../../db/repositories/server-group.repository';
import { ServiceRepository } from '../../db/repositories/service.repository';
import type { InstanceRecord } from '../../objects/instance.object';
import type { ServiceRecord } from '../../objects/service.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import type { Query } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { checkServerAction, parseServerAction, parseServerUpdate } from '../servers/action-requests';
import { parseCreateServer } from '../servers/create-request';
import { parseServerListQuery } from '../servers/list-query';
import { ServerActionsService } from '../servers/server-actions.service';
import { ServerCreateService } from '../servers/server-create.service';
import { serverCreateResponse, serverDetail, serverIndexItem, serversLinks, serverUpdateResponse, ServerViewExtras } from '../views/server.view';
import { resourceLinks } from '../views/format';
import { ZonesService } from '../zones.service';

const P = 'os_compute_api:servers';

/** `/servers`: list, detail, show, create, update, delete and actions. */
@Controller('v2.1/servers')
export class ServersController {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly flavors: FlavorRepository,
    private readonly services: ServiceRepository,
    private readonly groups: ServerGroupRepository,
    private readonly zones: ZonesService,
    private readonly policy: PolicyService,
    private readonly creator: ServerCreateService,
    private readonly actions: ServerActionsService,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  @Get()
  index(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    return this.list(ctx, query, false);
  }

  @Get('detail')
  detail(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    return this.list(ctx, query, true);
  }

  private async list(ctx: RequestContext, query: Query, detailed: boolean) {
    const rule = detailed ? `${P}:detail` : `${P}:index`;
    const target = { project_id: ctx.projectId, user_id: ctx.userId };
    this.policy.authorize(ctx, rule, target);
    const parsed = parseServerListQuery(query, {
      isAdmin: ctx.isAdmin,
      projectId: ctx.projectId,
      userId: ctx.userId,
      version: ctx.version,
      allowAllFilters: this.policy.check(ctx, `${P}:allow_all_filters`, target),
      authorizeAllTenants: () => this.policy.authorize(ctx, `${rule}:get_all_tenants`, target),
    }, this.conf.api.max_limit);
    if (parsed.emptyResult) return { servers: [] };
    const options = parsed.options;
    if (parsed.flavorRef !== undefined) {
      try {
        const flavor = await this.flavors.getByFlavorId(parsed.flavorRef);
        options.filter.exact = { ...options.filter.exact, instance_type_id: [flavor.id] };
      } catch (err) {
        if (err instanceof NotFound) return { servers: [] };
        throw err;
      }
    }
    // No networking service: servers have no fixed addresses, so an ip/ip6 filter matches nothing.
    if (parsed.ip !== undefined || parsed.ip6 !== undefined) return { servers: [] };
    const rows = await this.instances.list(options);
    const body: Record<string, unknown> = {
      servers: detailed ? await this.render(ctx, rows, true) : rows.map((r) => serverIndexItem(ctx, r)),
    };
    const pageSize = Math.min(options.limit ?? this.conf.api.max_limit, this.conf.api.max_limit);
    const links = serversLinks(ctx, detailed ? 'servers/detail' : 'servers', query, pageSize, rows);
    if (links) body.servers_links = links;
    return body;
  }

  @Get(':id')
  async show(@ReqCtx() ctx: RequestContext, @Param('id') id: string) {
    const inst = await this.actions.visible(ctx, id);
    this.policy.authorize(ctx, `${P}:show`, { project_id: inst.project_id, user_id: inst.user_id });
    const [server] = await this.render(ctx, [inst], false);
    return { server };
  }

  @Post()
  async create(@ReqCtx() ctx: RequestContext, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const req = parseCreateServer(body, ctx.version);
    const made = await this.creator.create(ctx, req);
    reply.code(202);
    if (req.returnReservationId) return { reservation_id: made.reservationId };
    const first = made.instances[0];
    reply.header('Location', resourceLinks(ctx, 'servers', first.uuid)[0].href);
    const adminPass = this.conf.api.enable_instance_password ? made.adminPass : undefined;
    const out = serverCreateResponse(ctx, first, { adminPass }) as { server: Record<string, unknown> };
    out.server.security_groups = req.securityGroupsResponse;
    return out;
  }

  @Put(':id')
  async update(@ReqCtx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown) {
    const req = parseServerUpdate(body, ctx.version);
    const inst = await this.actions.visible(ctx, id);
    this.policy.authorize(ctx, `${P}:update`, { project_id: inst.project_id, user_id: inst.user_id });
    const updated = await this.instances.update(inst.uuid, {
      ...(req.name !== undefined ? { display_name: req.name } : {}),
      ...(req.description !== undefined ? { display_description: req.description } : {}),
      ...(req.hostname !== undefined ? { hostname: req.hostname } : {}),
      ...(req.accessIPv4 !== undefined ? { access_ip_v4: req.accessIPv4 } : {}),
      ...(req.accessIPv6 !== undefined ? { access_ip_v6: req.accessIPv6 } : {}),
      ...(req.diskConfig !== undefined ? { auto_disk_config: req.diskConfig === 'AUTO' } : {}),
    });
    const extras = await this.extrasFor(ctx, [updated], false);
    return serverUpdateResponse(ctx, updated, extras(updated));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@ReqCtx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    const inst = await this.actions.visible(ctx, id);
    this.policy.authorize(ctx, `${P}:delete`, { project_id: inst.project_id, user_id: inst.user_id });
    await this.actions.delete(ctx, inst);
  }

  @Post(':id/action')
  async action(@ReqCtx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const action = parseServerAction(body, ctx.version);
    checkServerAction(action);
    const result = await this.actions.perform(ctx, id, action);
    reply.code(result.status);
    for (const [k, v] of Object.entries(result.headers ?? {})) reply.header(k, v);
    return result.body;
  }

  /** Details for several servers with one query per extra source (services, groups). */
  async render(ctx: RequestContext, rows: InstanceRecord[], forList: boolean): Promise<Record<string, unknown>[]> {
    const extras = await this.extrasFor(ctx, rows, forList);
    return rows.map((r) => serverDetail(ctx, r, extras(r)));
  }

  private async extrasFor(ctx: RequestContext, rows: InstanceRecord[], forList: boolean): Promise<(inst: InstanceRecord) => ServerViewExtras> {
    const target = { project_id: ctx.projectId, user_id: ctx.userId };
    const showExtended = this.policy.check(ctx, 'os_compute_api:os-extended-server-attributes', target);
    const showHostStatus: boolean | 'unknown-only' = this.policy.check(ctx, `${P}:show:host_status`, target)
      ? true
      : this.policy.check(ctx, `${P}:show:host_status:unknown-only`, target) ? 'unknown-only' : false;
    const showFlavorExtraSpecs = this.policy.check(ctx, `${P}:show:flavor-extra-specs`, target);
    const needServices = showHostStatus !== false && atLeast(ctx.version, '2.16') && rows.some((r) => r.host);
    const services = needServices ? await this.services.list({ binary: 'nova-compute' }) : [];
    const byHost = new Map<string, ServiceRecord>(services.map((s) => [s.host, s]));
    const groupsOf = new Map<string, string[]>();
    if (!forList && atLeast(ctx.version, '2.71')) {
      for (const r of rows) groupsOf.set(r.uuid, (await this.groups.groupsOfInstance(r.uuid)).map((g) => g.id));
    }
    return (inst) => ({
      isAdmin: ctx.isAdmin,
      showExtended,
      showHostStatus,
      hostStatus: needServices ? this.hostStatus(inst, byHost) : undefined,
      instanceName: instanceName(this.conf.DEFAULT.instance_name_template, inst.id),
      showFlavorExtraSpecs,
      forList,
      securityGroups: ['default'],
      serverGroups: groupsOf.get(inst.uuid) ?? [],
    });
  }

  /** Nova's `get_instance_host_status`. */
  private hostStatus(inst: InstanceRecord, byHost: Map<string, ServiceRecord>): string {
    if (!inst.host) return '';
    const svc = byHost.get(inst.host);
    if (!svc) return 'UNKNOWN';
    if (svc.forced_down) return 'DOWN';
    if (!this.zones.isUp(svc)) return 'UNKNOWN';
    if (svc.disabled) return 'MAINTENANCE';
    return 'UP';
  }
}
