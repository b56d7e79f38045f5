import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { Invalid, NotFound } from '../../common/errors';
import { AggregateRepository } from '../../db/repositories/aggregate.repository';
import { ServiceRepository } from '../../db/repositories/service.repository';
import type { ServiceRecord } from '../../objects/service.object';
import { serviceZone, zonesByHost } from '../../servicegroup/availability-zones';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { Query, single } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { NovaBoolean, NovaEnum, NovaFqdn, NovaString, Optional, Required, toBool } from '../validation/nova-validators';
import { validateRoot } from '../validation/validate';
import { serviceView } from '../views/service.view';
import { ZonesService } from '../zones.service';

const P = 'os_compute_api:os-services';
/** API services are not RPC services and never heartbeat, so Nova leaves them out of the list. */
const HIDDEN_BINARIES = ['nova-api', 'nova-osapi_compute', 'nova-metadata'];
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** schemas/services.py `update` (2.0–2.10). */
class LegacyServiceUpdate {
  @Required() @NovaFqdn() host!: string;
  @Required() @NovaString(1, 255) binary!: string;
  @Optional() @NovaString(1, 255) disabled_reason?: string;
}

/** `update_v211`: adds forced_down. */
class LegacyServiceUpdate211 extends LegacyServiceUpdate {
  @Optional() @NovaBoolean() forced_down?: unknown;
}

/** `update_v253`. */
class ServiceUpdate253 {
  @Optional() @NovaEnum(['enabled', 'disabled'], 'string') status?: string;
  @Optional() @NovaString(1, 255) disabled_reason?: string;
  @Optional() @NovaBoolean() forced_down?: unknown;
}

/** `/os-services`: list, enable/disable (with reason), force down, delete. Admin only. */
@Controller('v2.1/os-services')
export class ServicesController {
  constructor(
    private readonly services: ServiceRepository,
    private readonly aggregates: AggregateRepository,
    private readonly zones: ZonesService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    this.policy.authorize(ctx, `${P}:list`, {});
    // Nova filters only on non-empty values: `?host=` lists every host.
    const host = single(query, 'host') || undefined;
    const binary = single(query, 'binary') || undefined;
    const rows = (await this.services.list({ host, binary })).filter((s) => !HIDDEN_BINARIES.includes(s.binary));
    const byHost = zonesByHost(await this.aggregates.list());
    return { services: rows.map((s) => this.view(ctx, s, byHost)) };
  }

  @Put(':id')
  async update(@ReqCtx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown) {
    if (atLeast(ctx.version, '2.53')) return this.updateByUuid(ctx, id, body);
    const b = validateRoot(body, atLeast(ctx.version, '2.11') ? LegacyServiceUpdate211 : LegacyServiceUpdate);
    this.policy.authorize(ctx, `${P}:update`, {});
    const action = id;
    const actions = ['enable', 'disable', 'disable-log-reason', ...(atLeast(ctx.version, '2.11') ? ['force-down'] : [])];
    if (!actions.includes(action)) throw new NotFound('Unknown action');
    if (action === 'force-down') {
      const forced = (b as LegacyServiceUpdate211).forced_down;
      if (forced === undefined) throw new Invalid('Missing forced_down field');
      const svc = await this.findComputeByHostBinary(b.host, b.binary);
      await this.services.setForcedDown(svc.id, toBool(forced));
      return { service: { host: b.host, binary: b.binary, forced_down: toBool(forced) } };
    }
    let reason: string | null = null;
    if (action === 'disable-log-reason') {
      if (b.disabled_reason === undefined) throw new Invalid('Missing disabled reason field');
      reason = b.disabled_reason;
    }
    const disabled = action !== 'enable';
    const svc = await this.findComputeByHostBinary(b.host, b.binary);
    await this.services.setDisabled(svc.id, disabled, reason);
    const service: Record<string, unknown> = { host: b.host, binary: b.binary, status: disabled ? 'disabled' : 'enabled' };
    if (reason) service.disabled_reason = reason;
    return { service };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@ReqCtx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    this.policy.authorize(ctx, `${P}:delete`, {});
    if (atLeast(ctx.version, '2.53')) {
      if (!UUID_RE.test(id)) throw new Invalid(`Invalid uuid ${id}`);
    } else if (!/^[-+]?[0-9]+$/.test(id)) {
      throw new Invalid('Invalid input received: id must be an integer');
    }
    const svc = await this.findById(id);
    if (!svc) throw new NotFound(`Service ${id} not found.`);
    if (svc.binary === 'nova-compute') {
      // Instances and migrations arrive with the lifecycle issue: no host carries any yet.
      // The host leaves every aggregate (so its zone goes with it), as Nova does.
      await this.aggregates.removeHostEverywhere(svc.host);
    }
    await this.services.softDelete(svc.id);
  }

  private async updateByUuid(ctx: RequestContext, id: string, body: unknown) {
    const b = validateRoot(body, ServiceUpdate253);
    if (!UUID_RE.test(id)) throw new Invalid(`Invalid uuid ${id}`);
    this.policy.authorize(ctx, `${P}:update`, {});
    let svc = await this.findById(id);
    if (!svc) throw new NotFound(`Service ${id} could not be found.`);
    if (svc.binary !== 'nova-compute') {
      throw new Invalid(`Updating a ${svc.binary} service is not supported. Only nova-compute services can be updated.`);
    }
    if (b.status === 'enabled' && b.disabled_reason) throw new Invalid("Specifying 'disabled_reason' with status 'enabled' is invalid.");
    // `disabled_reason` without `status` changes nothing, as in Nova.
    if (b.status === undefined && b.forced_down === undefined) {
      throw new Invalid("No updates were requested. Fields 'status' or 'forced_down' should be specified.");
    }
    if (b.status !== undefined) svc = await this.services.setDisabled(svc.id, b.status === 'disabled', b.status === 'disabled' ? b.disabled_reason ?? null : null);
    if (b.forced_down !== undefined) svc = await this.services.setForcedDown(svc.id, toBool(b.forced_down));
    const byHost = zonesByHost(await this.aggregates.listForHost(svc.host));
    return { service: this.view(ctx, svc, byHost) };
  }

  /** By uuid (≥2.53) or integer id, as Nova's `_find_service_in_cell` decides by the id's form. */
  private async findById(id: string): Promise<ServiceRecord | undefined> {
    const all = await this.services.list();
    return UUID_RE.test(id) ? all.find((s) => s.uuid === id) : all.find((s) => s.id === Number(id));
  }

  /**
   * Nova's `_update` + `service_update_by_host_and_binary`: only nova-compute may be updated; the
   * host must be mapped to a cell (it is once a nova-compute service registered on it).
   */
  private async findComputeByHostBinary(host: string, binary: string): Promise<ServiceRecord> {
    if (binary !== 'nova-compute') {
      throw new Invalid(`Updating a ${binary} service is not supported. Only nova-compute services can be updated.`);
    }
    const onHost = await this.services.list({ host });
    if (!onHost.some((s) => s.binary === 'nova-compute')) throw new NotFound(`Host '${host}' is not mapped to any cell`);
    const svc = onHost.find((s) => s.binary === binary);
    if (!svc) throw new NotFound(`Could not find binary ${binary} on host ${host}.`);
    return svc;
  }

  private view(ctx: RequestContext, s: ServiceRecord, byHost: Map<string, string[]>) {
    const zone = serviceZone(s, byHost, this.zones.options);
    return serviceView(ctx.version, { service: s, zone, up: this.zones.isUp(s) });
  }
}
