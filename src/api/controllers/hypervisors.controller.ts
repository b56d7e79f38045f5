import { Controller, Get, Param } from '@nestjs/common';
import { Invalid, NotFound } from '../../common/errors';
import { ComputeNodeRepository } from '../../db/repositories/compute-node.repository';
import { ServiceRepository } from '../../db/repositories/service.repository';
import type { ComputeNodeRecord } from '../../objects/compute-node.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { pageParams, Query, queryBool, rejectUnknown, single } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { hypervisorView } from '../views/hypervisor.view';
import { nextLinks } from '../views/format';
import { ZonesService } from '../zones.service';
import { Inject } from '@nestjs/common';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';

const P = 'os_compute_api:os-hypervisors';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `/os-hypervisors`: the compute nodes the computes report, with their service's state. Admin only. */
@Controller('v2.1/os-hypervisors')
export class HypervisorsController {
  constructor(
    private readonly nodes: ComputeNodeRepository,
    private readonly services: ServiceRepository,
    private readonly zones: ZonesService,
    private readonly policy: PolicyService,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  @Get()
  list(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    this.policy.authorize(ctx, `${P}:list`, {});
    return this.listing(ctx, query, false);
  }

  @Get('detail')
  detail(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    this.policy.authorize(ctx, `${P}:list-detail`, {});
    return this.listing(ctx, query, true);
  }

  @Get('statistics')
  async statistics(@ReqCtx() ctx: RequestContext) {
    if (atLeast(ctx.version, '2.88')) throw new NotFound('The resource could not be found.');
    this.policy.authorize(ctx, `${P}:statistics`, {});
    return { hypervisor_statistics: await this.nodes.statistics() };
  }

  @Get(':id')
  async show(@ReqCtx() ctx: RequestContext, @Param('id') id: string, @QueryParams() query: Query) {
    this.policy.authorize(ctx, `${P}:show`, {});
    if (atLeast(ctx.version, '2.53')) rejectUnknown(query, ['with_servers']);
    const node = await this.find(ctx, id);
    const [view] = await this.views(ctx, [node], true, this.withServers(ctx, query));
    return { hypervisor: view };
  }

  @Get(':id/uptime')
  async uptime(@ReqCtx() ctx: RequestContext, @Param('id') id: string) {
    if (atLeast(ctx.version, '2.88')) throw new NotFound('The resource could not be found.');
    this.policy.authorize(ctx, `${P}:uptime`, {});
    const node = await this.find(ctx, id);
    const [view] = await this.views(ctx, [node], false, false);
    // The hypervisor's uptime comes from its driver over RPC (lifecycle issue); unknown until then.
    return { hypervisor: { ...view, uptime: null } };
  }

  @Get(':pattern/search')
  async search(@ReqCtx() ctx: RequestContext, @Param('pattern') pattern: string) {
    if (atLeast(ctx.version, '2.53')) throw new NotFound('The resource could not be found.');
    this.policy.authorize(ctx, `${P}:search`, {});
    const nodes = await this.nodes.list({ hostnamePattern: pattern });
    if (nodes.length === 0) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`);
    return { hypervisors: await this.views(ctx, nodes, false, false) };
  }

  @Get(':pattern/servers')
  async servers(@ReqCtx() ctx: RequestContext, @Param('pattern') pattern: string) {
    if (atLeast(ctx.version, '2.53')) throw new NotFound('The resource could not be found.');
    this.policy.authorize(ctx, `${P}:servers`, {});
    const nodes = await this.nodes.list({ hostnamePattern: pattern });
    if (nodes.length === 0) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`);
    return { hypervisors: await this.views(ctx, nodes, false, true) };
  }

  private async listing(ctx: RequestContext, query: Query, detail: boolean) {
    let limit: number | undefined;
    let marker: string | undefined;
    let pattern: string | undefined;
    if (atLeast(ctx.version, '2.53')) {
      rejectUnknown(query, ['limit', 'marker', 'hypervisor_hostname_pattern', 'with_servers']);
      pattern = single(query, 'hypervisor_hostname_pattern');
      if (pattern !== undefined && (single(query, 'limit') !== undefined || single(query, 'marker') !== undefined)) {
        throw new Invalid('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
      }
    }
    if (atLeast(ctx.version, '2.33')) ({ limit, marker } = pageParams(query, this.conf.api.max_limit));
    const nodes = await this.nodes.list({ limit, marker: marker === undefined ? undefined : atLeast(ctx.version, '2.53') ? marker : Number(marker), hostnamePattern: pattern });
    if (pattern !== undefined && nodes.length === 0) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`);
    const body: Record<string, unknown> = { hypervisors: await this.views(ctx, nodes, detail, this.withServers(ctx, query)) };
    const last = nodes[nodes.length - 1];
    const links = limit === undefined ? undefined : nextLinks(ctx, detail ? 'os-hypervisors/detail' : 'os-hypervisors', query, limit, nodes.length, last && String(atLeast(ctx.version, '2.53') ? last.uuid : last.id));
    if (links) body.hypervisors_links = links;
    return body;
  }

  private withServers(ctx: RequestContext, query: Query): boolean {
    return atLeast(ctx.version, '2.53') && queryBool(query, 'with_servers') === true;
  }

  private async find(ctx: RequestContext, id: string): Promise<ComputeNodeRecord> {
    if (atLeast(ctx.version, '2.53')) {
      if (!UUID_RE.test(id)) throw new Invalid(`Invalid uuid ${id}`);
      return this.nodes.getByUuid(id).catch(() => Promise.reject(new NotFound(`Hypervisor with ID ${id} could not be found.`)));
    }
    if (!/^[0-9]+$/.test(id)) throw new NotFound(`Hypervisor with ID ${id} could not be found.`);
    return this.nodes.get(Number(id)).catch(() => Promise.reject(new NotFound(`Hypervisor with ID ${id} could not be found.`)));
  }

  private async views(ctx: RequestContext, nodes: ComputeNodeRecord[], detail: boolean, withServers: boolean) {
    const computes = await this.services.list({ binary: 'nova-compute' });
    return nodes.map((node) => {
      const service = computes.find((s) => s.host === node.host);
      // Servers per node arrive with the instances table's repository (lifecycle issue).
      return hypervisorView(ctx.version, { node, service, up: service ? this.zones.isUp(service) : false, servers: withServers ? [] : undefined }, detail);
    });
  }
}
