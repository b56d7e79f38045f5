import { Controller, Get, Param } from '@nestjs/common';
import { Invalid, NotFound } from '../../common/errors';
import { ConsoleAuthTokenStore } from '../../consoleauth/console-auth-token.store';
import { InstanceRepository } from '../../db/repositories/instance.repository';
import { rejectUnknown, type Query } from '../http/query';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';

/**
 * `GET /os-console-auth-tokens/{token}` (nova/api/openstack/compute/console_auth_tokens.py):
 * what a token grants, for admins. Up to 2.30 only RDP tokens could be shown and RDP is gone, so
 * every request there is a 400; from 2.31 any type. Looking a token up does not use it up.
 */
@Controller('v2.1/os-console-auth-tokens')
export class ConsoleAuthTokensController {
  constructor(
    private readonly tokens: ConsoleAuthTokenStore,
    private readonly instances: InstanceRepository,
    private readonly policy: PolicyService,
  ) {}

  @Get(':token')
  async show(@ReqCtx() ctx: RequestContext, @Param('token') token: string, @QueryParams() query: Query) {
    if (!atLeast(ctx.version, '2.31')) throw new Invalid('The requested console type details are not accessible');
    if (atLeast(ctx.version, '2.99')) rejectUnknown(query, []);
    this.policy.authorize(ctx, 'os_compute_api:os-console-auth-tokens', { project_id: ctx.projectId, user_id: ctx.userId });
    if (!token) throw new Invalid('token not provided');
    const found = await this.tokens.validate(token);
    if (!found || !(await this.instanceAlive(found.instance_uuid))) throw new NotFound('Token not found');
    // tls_port (spice-direct, 2.99) never applies: nova-ts has no SPICE consoles.
    return { console: { instance_uuid: found.instance_uuid, host: found.host, port: found.port, internal_access_path: found.internal_access_path } };
  }

  /** Tokens of a deleted instance are dropped here (lazily; see ConsoleAuthManager). */
  private async instanceAlive(uuid: string): Promise<boolean> {
    try {
      await this.instances.get(uuid);
      return true;
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
      await this.tokens.deleteForInstance(uuid);
      return false;
    }
  }
}
