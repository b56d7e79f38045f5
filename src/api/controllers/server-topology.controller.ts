import { Controller, Get, Param } from '@nestjs/common';
import { NotFound } from '../../common/errors';
import { InstanceRepository } from '../../db/repositories/instance.repository';
import { ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';

const P = 'compute:server:topology';

/**
 * 2.78 `GET /servers/{id}/topology` (Nova's `ServerTopologyController`): the guest's NUMA
 * topology. nova-ts builds no guest with a NUMA topology (no `hw:numa_*` placement, no CPU
 * pinning), so every instance answers as Nova does for `instance.numa_topology is None`:
 * `{"nodes": [], "pagesize_kb": null}`. The `host:index` rule (host NUMA node ids and CPU
 * pinning) is still checked, as Nova does, though no node carries host information.
 */
@Controller('v2.1/servers/:server_id/topology')
export class ServerTopologyController {
  constructor(private readonly instances: InstanceRepository, private readonly policy: PolicyService) {}

  @Get()
  async index(@ReqCtx() ctx: RequestContext, @Param('server_id') serverId: string) {
    if (!atLeast(ctx.version, '2.78')) throw new NotFound('The resource could not be found.');
    const inst = await this.instances.get(serverId);
    if (!ctx.isAdmin && inst.project_id !== ctx.projectId) throw new NotFound(`Instance ${serverId} could not be found.`);
    this.policy.authorize(ctx, `${P}:index`, { project_id: inst.project_id });
    this.policy.check(ctx, `${P}:host:index`, { project_id: inst.project_id });
    return { nodes: [], pagesize_kb: null };
  }
}
