import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { Invalid, NotFound } from '../../common/errors';
import { ImageTaskRpcClient } from '../../conductor/image-task.rpc-client';
import { ImageRepository } from '../../db/repositories/image.repository';
import { AggregateRepository } from '../../db/repositories/aggregate.repository';
import { ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { callerOf, imageMeta } from '../servers/server-create.service';
import { UUID } from '../servers/create-request';
import { metadataCheck } from '../validation/metadata';
import { lengthCheck, nameFormatCheck, NovaCheck, NovaFqdn, NovaName, Optional, Required, typeCheck } from '../validation/nova-validators';
import { pyRepr } from '../validation/py-repr';
import { additionalPropertiesMessage, fieldError, requireObject, validateWrapped } from '../validation/validate';
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
  constructor(
    private readonly aggregates: AggregateRepository,
    private readonly zones: ZonesService,
    private readonly policy: PolicyService,
    private readonly imageRepo: ImageRepository,
    private readonly tasks: ImageTaskRpcClient,
  ) {}

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

  /**
   * 2.81 `POST /os-aggregates/{id}/images` `{"cache": [{"id": <image>}, ...]}`: each image must
   * exist (400), then the conductor asks every compute of the aggregate to cache them (202, no
   * body; the outcome is only logged, as Nova's notifications are not emitted here).
   */
  @Post(':id/images')
  @HttpCode(202)
  async images(@ReqCtx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown): Promise<void> {
    if (!atLeast(ctx.version, '2.81')) throw new NotFound('The resource could not be found.');
    const ids = cacheBody(body);
    this.policy.authorize(ctx, `${P}:images`, {});
    const aggId = aggregateId(id);
    if (new Set(ids).size !== ids.length) throw new Invalid('Duplicate images in request');
    const agg = await this.aggregates.get(aggId);
    const metas = [];
    for (const imageId of ids) {
      const img = await this.imageRepo.get(imageId);
      if (!img || img.status === 'deleted' || !(ctx.isAdmin || img.owner === ctx.projectId || img.visibility === 'public' || img.visibility === 'community')) {
        throw new Invalid(`Image ${imageId} could not be found.`);
      }
      metas.push(imageMeta(img));
    }
    await this.tasks.cache_images({ ctx: callerOf(ctx), aggregate_id: agg.id, hosts: [...agg.hosts], images: metas });
  }

  private checks() {
    // Instances do not exist yet (the servers API comes with the lifecycle issue): no host carries any.
    return { hostExists: (host: string) => this.zones.computeHostExists(host) };
  }
}

/**
 * schemas/aggregate_images.py `aggregate_images_v2_81` in jsonschema's order (properties, then
 * required, then additionalProperties); a failure names the last element of its path as Nova.
 */
function cacheBody(body: unknown): string[] {
  const root = requireObject(body);
  let ids: string[] = [];
  if ('cache' in root) {
    const cache = root.cache;
    if (!Array.isArray(cache)) throw fieldError('cache', cache, `${pyRepr(cache)} is not of type 'array'`);
    if (cache.length < 1) throw fieldError('cache', cache, `${pyRepr(cache)} is too short`);
    ids = cache.map((item: unknown, i) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) throw fieldError(i, item, `${pyRepr(item)} is not of type 'object'`);
      const obj = item as Record<string, unknown>;
      if ('id' in obj) {
        const err = UUID(obj.id);
        if (err !== null) throw fieldError('id', obj.id, err);
      }
      const bad = Object.keys(obj).filter((k) => k !== 'id');
      if (bad.length > 0) throw fieldError(i, obj, additionalPropertiesMessage(bad));
      if (!('id' in obj)) throw fieldError(i, obj, "'id' is a required property");
      return obj.id as string;
    });
  }
  if (!('cache' in root)) throw fieldError(undefined, root, "'cache' is a required property");
  const extra = Object.keys(root).filter((k) => k !== 'cache');
  if (extra.length > 0) throw fieldError(undefined, root, additionalPropertiesMessage(extra));
  return ids;
}
