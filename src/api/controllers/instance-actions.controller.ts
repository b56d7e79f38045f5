import { Controller, Get, Inject, Param } from '@nestjs/common';
import { NotFound } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { InstanceActionRepository } from '../../db/repositories/instance-action.repository';
import { instanceNotFound, InstanceRepository } from '../../db/repositories/instance.repository';
import type { InstanceActionRecord } from '../../objects/instance-action.object';
import type { InstanceRecord } from '../../objects/instance.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import type { Query } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { checkNoQuery, markerNotFound, pageSizeOf, parseInstanceActionsQuery } from '../servers/subresource-requests';
import { instanceActionItem, instanceActionShow, instanceActionsLinks } from '../views/instance-action.view';

const P = 'os_compute_api:os-instance-actions';

/**
 * `/servers/{id}/os-instance-actions` (nova/api/openstack/compute/instance_actions.py): the
 * actions recorded for a server and, per action, its events. From 2.21 the actions of a deleted
 * server stay readable; from 2.58 the list pages (limit, marker = request id, changes-since,
 * and changes-before from 2.66).
 */
@Controller('v2.1/servers/:server_id/os-instance-actions')
export class InstanceActionsController {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly policy: PolicyService,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  /** `_get_instance`: project-scoped; deleted instances too from 2.21 (read_deleted='yes'). */
  private async instance(ctx: RequestContext, id: string): Promise<InstanceRecord> {
    const inst = await this.instances.get(id, { readDeleted: atLeast(ctx.version, '2.21') });
    if (!ctx.isAdmin && inst.project_id !== ctx.projectId) throw instanceNotFound(id);
    return inst;
  }

  @Get()
  async index(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @QueryParams() query: Query) {
    const maxLimit = this.conf.api.max_limit;
    const opts = parseInstanceActionsQuery(query, ctx.version, maxLimit);
    const inst = await this.instance(ctx, id);
    this.policy.authorize(ctx, `${P}:list`, { project_id: inst.project_id });
    let rows: InstanceActionRecord[] = [];
    if (opts.limit !== 0) {
      try {
        rows = await this.actions.list(inst.uuid, opts);
      } catch (err) {
        if (err instanceof NotFound && opts.marker !== undefined) throw markerNotFound(opts.marker);
        throw err;
      }
    }
    const body: Record<string, unknown> = { instanceActions: rows.map((a) => instanceActionItem(ctx, a)) };
    if (atLeast(ctx.version, '2.58')) {
      const links = instanceActionsLinks(ctx, id, query, pageSizeOf(query, maxLimit), rows);
      if (links) body.links = links;
    }
    return body;
  }

  @Get(':request_id')
  async show(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Param('request_id') requestId: string, @QueryParams() query: Query) {
    checkNoQuery(query, ctx.version);
    const inst = await this.instance(ctx, id);
    const target = { project_id: inst.project_id };
    this.policy.authorize(ctx, `${P}:show`, target);
    let row: InstanceActionRecord;
    try {
      row = await this.actions.get(inst.uuid, requestId);
    } catch (err) {
      if (err instanceof NotFound) throw new NotFound(`Action ${requestId} not found`);
      throw err;
    }
    const canSeeEvents = this.policy.check(ctx, `${P}:events`, target);
    const canSeeEventDetails = atLeast(ctx.version, '2.84') && this.policy.check(ctx, `${P}:events:details`, target);
    return { instanceAction: instanceActionShow(ctx, row, { canSeeEvents, canSeeEventDetails, instanceProjectId: inst.project_id }) };
  }
}

