import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ConsoleTypeUnavailable } from '../../consoleauth/console-errors';
import { ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { parseRemoteConsole } from '../servers/remote-console-request';
import { REMOTE_CONSOLES_POLICY, RemoteConsolesService } from '../servers/remote-consoles.service';
import { ServerActionsService } from '../servers/server-actions.service';
import { versionNotFound } from '../servers/subresource-requests';

/**
 * `POST /servers/{id}/remote-consoles` (nova/api/openstack/compute/remote_consoles.py `create`),
 * microversion 2.6 and later: `{"remote_console": {"protocol", "type", "url"}}`, 200.
 */
@Controller('v2.1/servers/:server_id/remote-consoles')
export class RemoteConsolesController {
  constructor(
    private readonly servers: ServerActionsService,
    private readonly consoles: RemoteConsolesService,
    private readonly policy: PolicyService,
  ) {}

  @Post()
  @HttpCode(200)
  async create(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Body() body: unknown) {
    if (!atLeast(ctx.version, '2.6')) throw versionNotFound();
    const req = parseRemoteConsole(body, ctx.version);
    const inst = await this.servers.visible(ctx, id);
    this.policy.authorize(ctx, REMOTE_CONSOLES_POLICY, { project_id: inst.project_id });
    // RDP consoles went with the Hyper-V driver; the schema still lists them.
    if (req.protocol === 'rdp') throw ConsoleTypeUnavailable.forType(req.protocol);
    const url = await this.consoles.consoleUrl(ctx, inst, req.protocol, req.type);
    return { remote_console: { protocol: req.protocol, type: req.type, url } };
  }
}
