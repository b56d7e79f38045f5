import { Controller, Get, Param } from '@nestjs/common';
import { NotFound } from '../../common/errors';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import type { Query } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { ServerActionsService } from '../servers/server-actions.service';
import { checkNoQuery } from '../servers/subresource-requests';

/**
 * `/servers/{id}/ips` (nova/api/openstack/compute/ips.py): the server's addresses by network
 * label. This cloud has no networking service, so a server is on no network: the list is empty
 * and every label is unknown.
 */
@Controller('v2.1/servers/:server_id/ips')
export class ServerIpsController {
  constructor(private readonly servers: ServerActionsService) {}

  @Get()
  async index(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @QueryParams() query: Query) {
    checkNoQuery(query, ctx.version);
    const inst = await this.servers.visible(ctx, id);
    this.servers.authorize(ctx, 'ips:index', inst);
    return { addresses: {} };
  }

  @Get(':network')
  async show(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @QueryParams() query: Query): Promise<Record<string, unknown>> {
    checkNoQuery(query, ctx.version);
    const inst = await this.servers.visible(ctx, id);
    this.servers.authorize(ctx, 'ips:show', inst);
    throw new NotFound('Instance is not a member of specified network');
  }
}
