import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { Invalid } from '../../common/errors';
import { AggregateRepository } from '../../db/repositories/aggregate.repository';
import { ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { PolicyService } from '../policy/policy.service';
import { metadataCheck } from '../validation/metadata';
import { lengthCheck, nameFormatCheck, NovaCheck, NovaFqdn, NovaName, Optional, Required, typeCheck } from '../validation/nova-validators';
import { pyRepr } from '../validation/py-repr';
import { fieldError, requireObject, validateWrapped } from '../validation/validate';
import { aggregateView } from '../views/aggregate.view';
import { ZonesService } from '../zones.service';

const P = 'os_compute_api:os-aggregates';

/** `{'oneOf': [az_name, {'type': 'null'}]}`: any failure is the oneOf message (the causes are dropped). */
function availabilityZone(v: unknown): string | null {
  if (v === null) return null;
  const azName = [typeCheck('string'), nameFormatCheck('az_name'), lengthCheck(1, 255)];
  return azName.every((check) => check(v) === null) ? null : `${pyRepr(v)} is not valid under any of the given schemas`;
}

/** Nova's `utils.validate_integer(id, 'id')` (Python's int()). */
function aggregateId(id: string): number {
  if (!/^\s*[-+]?[0-9]+\s*$/.test(id)) throw new Invalid('Invalid input received: id must be an integer');
  return Number(id);
}

class AggregateCreate {
  @Required() @NovaName() name!: string;
  @Optional() @NovaCheck('availabilityZone', availabilityZone) availability_zone?: string | null;
}

class AggregateUpdate {
  @Optional() @NovaName('name_with_leading_trailing_spaces') name?: string;
  @Optional() @NovaCheck('availabilityZone', availabilityZone) availability_zone?: string | null;
}

class HostBody {
  @Required() @NovaFqdn() host!: string;
}

class MetadataBody {
  @Required() @NovaCheck('metadata', metadataCheck(['string', 'null'])) metadata!: Record<string, string | null>;
}

/** `/os-aggregates`: host aggregates and the availability zones they define. Admin only. */
@Controller('v2.1/os-aggregates')
export class AggregatesController {
  constructor(private readonly aggregates: AggregateRepository, private readonly zones: ZonesService, private readonly policy: PolicyService) {}

  @Get()
  async list(@ReqCtx() ctx: RequestContext) {
    this.policy.authorize(ctx, `${P}:index`, {});
    return { aggregates: (await this.aggregates.list()).map((a) => aggregateView(ctx.version, a)) };
  }

  /** 200, not 201, as Nova kept for compatibility; the body has no hosts or metadata. */
  @Post()
  @HttpCode(200)
  async create(@ReqCtx() ctx: RequestContext, @Body() body: unknown) {
    const b = validateWrapped(body, 'aggregate', AggregateCreate);
    this.policy.authorize(ctx, `${P}:create`, {});
    const agg = await this.aggregates.create(b.name.trim(), b.availability_zone ? b.availability_zone.trim() : null);
    return { aggregate: aggregateView(ctx.version, agg, false) };
  }

  @Get(':id')
  async show(@ReqCtx() ctx: RequestContext, @Param('id') id: string) {
    this.policy.authorize(ctx, `${P}:show`, {});
    return { aggregate: aggregateView(ctx.version, await this.aggregates.get(aggregateId(id))) };
  }

  @Put(':id')
  async update(@ReqCtx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown) {
    const b = validateWrapped(body, 'aggregate', AggregateUpdate, (inner) => {
      // anyOf [{required: [name]}, {required: [availability_zone]}], after additionalProperties
      if (!('name' in inner) && !('availability_zone' in inner)) throw fieldError('aggregate', inner, `${pyRepr(inner)} is not valid under any of the given schemas`);
    });
    this.policy.authorize(ctx, `${P}:update`, {});
    const aggId = aggregateId(id);
    const changes = { name: b.name?.trim(), availability_zone: b.availability_zone === undefined ? undefined : b.availability_zone };
    return { aggregate: aggregateView(ctx.version, await this.aggregates.update(aggId, changes, this.checks())) };
  }

  /** 200 with an empty body, as Nova kept for compatibility. */
  @Delete(':id')
  @HttpCode(200)
  async remove(@ReqCtx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    this.policy.authorize(ctx, `${P}:delete`, {});
    await this.aggregates.delete(aggregateId(id));
  }

  @Post(':id/action')
  @HttpCode(200)
  async action(@ReqCtx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown) {
    const top = requireObject(body);
    const keys = Object.keys(top);
    if (keys.length !== 1) throw new Invalid('Malformed request body');
    const [action] = keys;
    switch (action) {
      case 'add_host': {
        const b = validateWrapped(body, action, HostBody);
        this.policy.authorize(ctx, `${P}:add_host`, {});
        const agg = await this.aggregates.addHost(aggregateId(id), b.host, this.checks());
        return { aggregate: aggregateView(ctx.version, agg) };
      }
      case 'remove_host': {
        const b = validateWrapped(body, action, HostBody);
        this.policy.authorize(ctx, `${P}:remove_host`, {});
        const agg = await this.aggregates.removeHost(aggregateId(id), b.host, this.checks());
        return { aggregate: aggregateView(ctx.version, agg) };
      }
      case 'set_metadata': {
        const { metadata } = validateWrapped(body, action, MetadataBody);
        this.policy.authorize(ctx, `${P}:set_metadata`, {});
        const agg = await this.aggregates.setMetadata(aggregateId(id), metadata, this.checks());
        return { aggregate: aggregateView(ctx.version, agg) };
      }
      default:
        throw new Invalid(`There is no such action: ${action}`);
    }
  }

  private checks() {
    // Instances do not exist yet (the servers API comes with the lifecycle issue): no host carries any.
    return { hostExists: (host: string) => this.zones.computeHostExists(host) };
  }
}
