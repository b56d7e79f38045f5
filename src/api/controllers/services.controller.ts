import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { IsDefined, IsOptional } from 'class-validator';
import { Invalid, NotFound } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { ServiceRepository } from '../../db/repositories/service.repository';
import type { ServiceRecord } from '../../objects/service.object';
import { isServiceUp } from '../../servicegroup/liveness';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { Query, single } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { requireObject, validateObject } from '../validation/validate';
import { NovaBoolean, NovaEnum, NovaString, toBool } from '../validation/nova-validators';
import { serviceView } from '../views/service.view';

const P = 'os_compute_api:os-services';
/** The API service does not list itself, as Nova hides nova-osapi_compute and nova-metadata. */
const HIDDEN_BINARIES = ['nova-api'];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class LegacyServiceUpdate {
  @IsDefined() @NovaString(1, 255) host!: string;
  @IsDefined() @NovaString(1, 255) binary!: string;
  @IsOptional() @NovaString(1, 255) disabled_reason?: string;
  @IsOptional() @NovaBoolean() forced_down?: unknown;
}

class ServiceUpdate253 {
  @IsOptional() @NovaEnum(['enabled', 'disabled']) status?: string;
  @IsOptional() @NovaString(1, 255) disabled_reason?: string;
  @IsOptional() @NovaBoolean() forced_down?: unknown;
}

/** `/os-services`: list, enable/disable (with reason), force down, delete. Admin only. */
@Controller('v2.1/os-services')
export class ServicesController {
  constructor(
    private readonly services: ServiceRepository,
    private readonly policy: PolicyService,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  @Get()
  async list(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    this.policy.authorize(ctx, `${P}:list`, {});
    const rows = await this.services.list({ host: single(query, 'host'), binary: single(query, 'binary') });
    return { services: rows.filter((s) => !HIDDEN_BINARIES.includes(s.binary)).map((s) => this.view(ctx, s)) };
  }

  @Put(':action')
  async update(@ReqCtx() ctx: RequestContext, @Param('action') action: string, @Body() body: unknown) {
    this.policy.authorize(ctx, `${P}:update`, {});
    if (atLeast(ctx.version, '2.53')) return this.updateByUuid(ctx, action, body);
    const b = validateObject(requireObject(body), LegacyServiceUpdate, 'body');
    const svc = await this.findByHostBinary(b.host, b.binary);
    switch (action) {
      case 'enable':
        await this.services.setDisabled(svc.id, false, null);
        return { service: { host: svc.host, binary: svc.binary, status: 'enabled' } };
      case 'disable':
        await this.services.setDisabled(svc.id, true, null);
        return { service: { host: svc.host, binary: svc.binary, status: 'disabled' } };
      case 'disable-log-reason':
        if (!b.disabled_reason) throw new Invalid('Missing disabled reason field');
        await this.services.setDisabled(svc.id, true, b.disabled_reason);
        return { service: { host: svc.host, binary: svc.binary, status: 'disabled', disabled_reason: b.disabled_reason } };
      case 'force-down': {
        if (!atLeast(ctx.version, '2.11')) throw new NotFound('Unknown action');
        if (b.forced_down === undefined) throw new Invalid('Missing forced_down field');
        const forced = toBool(b.forced_down);
        await this.services.setForcedDown(svc.id, forced);
        return { service: { host: svc.host, binary: svc.binary, forced_down: forced } };
      }
      default:
        throw new NotFound('Unknown action');
    }
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@ReqCtx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    this.policy.authorize(ctx, `${P}:delete`, {});
    const svc = await this.findById(ctx, id);
    await this.services.softDelete(svc.id);
  }

  private async updateByUuid(ctx: RequestContext, id: string, body: unknown) {
    const b = validateObject(requireObject(body), ServiceUpdate253, 'body');
    if (b.status === undefined && b.forced_down === undefined && b.disabled_reason === undefined) {
      throw new Invalid('No updates were requested. Fields \'status\' or \'forced_down\' should be specified.');
    }
    if (b.disabled_reason !== undefined && b.status !== 'disabled') {
      throw new Invalid("Specifying 'disabled_reason' with status 'enabled' is invalid.");
    }
    let svc = await this.findById(ctx, id);
    if (svc.binary !== 'nova-compute') throw new Invalid(`Updating a ${svc.binary} service is not supported. Only nova-compute services can be updated.`);
    if (b.status !== undefined) svc = await this.services.setDisabled(svc.id, b.status === 'disabled', b.disabled_reason ?? null);
    if (b.forced_down !== undefined) svc = await this.services.setForcedDown(svc.id, toBool(b.forced_down));
    return { service: this.view(ctx, svc) };
  }

  private async findById(ctx: RequestContext, id: string): Promise<ServiceRecord> {
    const all = await this.services.list();
    if (atLeast(ctx.version, '2.53')) {
      if (!UUID_RE.test(id)) throw new Invalid(`Invalid uuid ${id}`);
      const found = all.find((s) => s.uuid === id);
      if (!found) throw new NotFound(`Service with uuid ${id} could not be found.`);
      return found;
    }
    if (!/^[0-9]+$/.test(id)) throw new Invalid(`Invalid service id ${id}`);
    const found = all.find((s) => s.id === Number(id));
    if (!found) throw new NotFound(`Service ${id} could not be found.`);
    return found;
  }

  private async findByHostBinary(host: string, binary: string): Promise<ServiceRecord> {
    const [svc] = await this.services.list({ host, binary });
    if (!svc) throw new NotFound(`Service ${binary} on host ${host} could not be found.`);
    return svc;
  }

  private view(ctx: RequestContext, s: ServiceRecord) {
    const zone = s.binary === 'nova-compute' ? this.conf.DEFAULT.default_availability_zone : this.conf.DEFAULT.internal_service_availability_zone;
    return serviceView(ctx.version, { service: s, zone, up: isServiceUp(s, this.conf.DEFAULT.service_down_time) });
  }
}
