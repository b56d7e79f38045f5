import { Controller, Get } from '@nestjs/common';
import { ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { PolicyService } from '../policy/policy.service';
import { isoMicro } from '../views/format';
import { ZonesService } from '../zones.service';

@Controller('v2.1/os-availability-zone')
export class AvailabilityZonesController {
  constructor(private readonly zones: ZonesService, private readonly policy: PolicyService) {}

  @Get()
  async list(@ReqCtx() ctx: RequestContext) {
    this.policy.authorize(ctx, 'os_compute_api:os-availability-zone:list', {});
    return { availabilityZoneInfo: await this.zones.list() };
  }

  @Get('detail')
  async detail(@ReqCtx() ctx: RequestContext) {
    this.policy.authorize(ctx, 'os_compute_api:os-availability-zone:detail', {});
    const zones = await this.zones.detail();
    for (const z of zones) {
      for (const binaries of Object.values(z.hosts ?? {})) for (const state of Object.values(binaries)) state.updated_at = isoMicro(state.updated_at);
    }
    return { availabilityZoneInfo: zones };
  }
}
