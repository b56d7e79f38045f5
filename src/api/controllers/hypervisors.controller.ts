import { InstanceRepository } from '../../db/repositories/instance.repository';
import { instanceName } from '../../compute/guest-spec';
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { Invalid, NotFound, NovaError } from '../../common/errors';
import { ComputeRpcClient } from '../../compute/compute.rpc-client';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { ComputeNodeRepository } from '../../db/repositories/compute-node.repository';
import { ServiceRepository } from '../../db/repositories/service.repository';
import type { ComputeNodeRecord } from '../../objects/compute-node.object';
import type { ServiceRecord } from '../../objects/service.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { pageParams, Query, rejectUnknown, single } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { booleanCheck, fqdnCheck, nonNegativeIntegerCheck, toBool, typeCheck } from '../validation/nova-validators';
import { queryParam } from '../validation/validate';
import { hypervisorView } from '../views/hypervisor.view';
import { nextLinks } from '../views/format';
import { ZonesService } from '../zones.service';

const P = 'os_compute_api:os-hypervisors';
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function notFound(id: string): NotFound {
  return new NotFound(`Hypervisor with ID '${id}' could not be found.`);
}

/** `/os-hypervisors`: the compute nodes the computes report, with their service's state. Admin only. */
@Controller('v2.1/os-hypervisors')
export class HypervisorsController {
  constructor(
    private readonly nodes: ComputeNodeRepository,
    private readonly services: ServiceRepository,
    private readonly zones: ZonesService,
    private readonly policy: PolicyService,
    private readonly compute: ComputeRpcClient,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
    private readonly instances: InstanceRepository,
  ) {}

  /** The live instances on a node (Nova's `InstanceList.get_by_host_and_node`), as `{name, uuid}`. */
  private async serversOf(node: ComputeNodeRecord): Promise<Array<{ name: string; uuid: string }>> {
    const onHost = await this.instances.listByHost(node.host);
    return onHost
      .filter((i) => (i.node ?? node.hypervisor_hostname) === node.hypervisor_hostname)
      .map((i) => ({ name: instanceName(this.conf.DEFAULT.instance_name_template, i.id), uuid: i.uuid }));
  }

  @Get()
  list(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    this.checkListQuery(ctx, query);
    this.policy.authorize(ctx, `${P}:list`, {});
    return this.listing(ctx, query, false);
  }

  @Get('detail')
  detail(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    this.checkListQuery(ctx, query);
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
    let withServers = false;
    if (atLeast(ctx.version, '2.53')) {
      withServers = toBool(queryParam(query, 'with_servers', booleanCheck, true) ?? false);
      rejectUnknown(query, ['with_servers']);
    }
    this.policy.authorize(ctx, `${P}:show`, {});
    const node = await this.find(ctx, id);
    const service = await this.serviceOf(node);
    if (!service) throw notFound(id);
    return { hypervisor: this.view(ctx, node, service, true, withServers ? await this.serversOf(node) : undefined, withServers) };
  }

  @Get(':id/uptime')
  async uptime(@ReqCtx() ctx: RequestContext, @Param('id') id: string) {
    if (atLeast(ctx.version, '2.88')) throw new NotFound('The resource could not be found.');
    this.policy.authorize(ctx, `${P}:uptime`, {});
    const node = await this.find(ctx, id);
    const service = await this.serviceOf(node);
    if (!service) throw notFound(id);
    // Nova asks the host's compute service; a down service is a 400 (ComputeServiceUnavailable).
    if (!this.zones.isUp(service)) throw new Invalid(`Compute service of ${node.host} is unavailable at this time.`);
    let uptime: string;
    try {
      uptime = await this.compute.get_host_uptime(node.host, Math.min(this.conf.DEFAULT.rpc_response_timeout, 30) * 1000);
    } catch (err) {
      if (err instanceof NovaError && err.code < 500) throw err;
      throw new Invalid(`Compute service of ${node.host} is unavailable at this time.`);
    }
    return { hypervisor: { ...this.view(ctx, node, service, false), uptime } };
  }

  @Get(':pattern/search')
  async search(@ReqCtx() ctx: RequestContext, @Param('pattern') pattern: string) {
    if (atLeast(ctx.version, '2.53')) throw new NotFound('The resource could not be found.');
    this.policy.authorize(ctx, `${P}:search`, {});
    return { hypervisors: await this.views(ctx, await this.byPattern(pattern), false, false) };
  }

  @Get(':pattern/servers')
  async servers(@ReqCtx() ctx: RequestContext, @Param('pattern') pattern: string) {
    if (atLeast(ctx.version, '2.53')) throw new NotFound('The resource could not be found.');
    this.policy.authorize(ctx, `${P}:servers`, {});
    return { hypervisors: await this.views(ctx, await this.byPattern(pattern), false, true) };
  }

  /** The query schemas: unknown parameters are ignored before 2.53 and refused from it. */
  private checkListQuery(ctx: RequestContext, query: Query): void {
    if (!atLeast(ctx.version, '2.53')) return;
    // index_query_v253: the parameters (single_param each), then additionalProperties.
    queryParam(query, 'limit', nonNegativeIntegerCheck, true);
    queryParam(query, 'marker', typeCheck('string'), true);
    queryParam(query, 'hypervisor_hostname_pattern', fqdnCheck, true);
    queryParam(query, 'with_servers', booleanCheck, true);
    rejectUnknown(query, ['limit', 'marker', 'hypervisor_hostname_pattern', 'with_servers']);
  }

  private async listing(ctx: RequestContext, query: Query, detail: boolean) {
    let limit: number | undefined;
    let marker: string | undefined;
    if (atLeast(ctx.version, '2.33')) ({ limit, marker } = pageParams(query, this.conf.api.max_limit));
    const pattern = atLeast(ctx.version, '2.53') ? single(query, 'hypervisor_hostname_pattern') : undefined;
    const withServers = atLeast(ctx.version, '2.53') && toBool(single(query, 'with_servers'));
    let nodes: ComputeNodeRecord[];
    let links = limit !== undefined;
    if (pattern !== undefined) {
      if (query.limit !== undefined || marker) {
        throw new Invalid('Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.');
      }
      links = false;
      nodes = await this.byPattern(pattern);
    } else {
      // The marker is a node uuid from 2.53, its integer id before; anything else matches no node.
      if (marker !== undefined && !(atLeast(ctx.version, '2.53') ? UUID_RE.test(marker) : /^[0-9]+$/.test(marker))) {
        throw new Invalid(`marker [${marker}] not found`);
      }
      nodes = await this.nodes.list({ limit, marker });
    }
    const hypervisors = await this.views(ctx, nodes, detail, withServers);
    const body: Record<string, unknown> = { hypervisors };
    if (links && limit !== undefined) {
      const last = hypervisors[hypervisors.length - 1];
      const next = nextLinks(ctx, detail ? 'os-hypervisors/detail' : 'os-hypervisors', query, limit, hypervisors.length, last && String(last.id));
      if (next) body.hypervisors_links = next;
    }
    return body;
  }

  private async byPattern(pattern: string): Promise<ComputeNodeRecord[]> {
    const nodes = await this.nodes.list({ hostnamePattern: pattern });
    if (nodes.length === 0) throw new NotFound(`No hypervisor matching '${pattern}' could be found.`);
    return nodes;
  }

  /** `_validate_id` then the lookup: a uuid from 2.53 (400 otherwise), an integer before (404 otherwise). */
  private async find(ctx: RequestContext, id: string): Promise<ComputeNodeRecord> {
    if (atLeast(ctx.version, '2.53')) {
      if (!UUID_RE.test(id)) throw new Invalid(`Invalid uuid ${id}`);
      return this.nodes.getByUuid(id).catch(() => Promise.reject(notFound(id)));
    }
    if (!/^\s*[-+]?[0-9]+\s*$/.test(id)) throw notFound(id);
    return this.nodes.get(Number(id)).catch(() => Promise.reject(notFound(id)));
  }

  private async serviceOf(node: ComputeNodeRecord): Promise<ServiceRecord | undefined> {
    return (await this.services.list({ host: node.host, binary: 'nova-compute' }))[0];
  }

  /** Nodes whose compute service was deleted are left out, as Nova does. */
  private async views(ctx: RequestContext, nodes: ComputeNodeRecord[], detail: boolean, withServers: boolean) {
    const computes = await this.services.list({ binary: 'nova-compute' });
    const out: Array<Record<string, unknown>> = [];
    for (const node of nodes) {
      const service = computes.find((s) => s.host === node.host);
      if (service) out.push(this.view(ctx, node, service, detail, withServers ? await this.serversOf(node) : undefined, withServers));
    }
    return out;
  }

  private view(ctx: RequestContext, node: ComputeNodeRecord, service: ServiceRecord, detail: boolean, servers?: Array<{ name: string; uuid: string }>, withServers = false) {
    return hypervisorView(ctx.version, { node, service, up: this.zones.isUp(service), servers, withServers }, detail);
  }
}
