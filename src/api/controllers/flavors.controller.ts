import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { Invalid, NotFound } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { FlavorRepository } from '../../db/repositories/flavor.repository';
import { FLAVOR_SORT_KEYS, FlavorRecord, FlavorSortKey } from '../../objects/flavor.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { pageParams, Query, single } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { validateWrapped } from '../validation/validate';
import { NovaBoolean, NovaInt, NovaNullableString, NovaNumber, NovaString, NovaType, Optional, Required, toBool } from '../validation/nova-validators';
import { pyRepr } from '../validation/py-repr';
import { flavorSummaryView, flavorView } from '../views/flavor.view';
import { nextLinks } from '../views/format';

const P = 'os_compute_api:os-flavor-manage';
const NAME = /^(?!\s)[^\p{Cc}]*(?<!\s)$/u;
const FLAVOR_ID = /^(?! )[a-zA-Z0-9. _-]+(?<! )$/;
const MAX_INT = 2147483647;

class FlavorCreateBody {
  @Required() @NovaString(1, 255, NAME) name!: string;
  @Optional() @NovaType('string', 'integer', 'null') id?: string | number | null;
  @Required() @NovaInt(1, MAX_INT) ram!: number | string;
  @Required() @NovaInt(1, MAX_INT) vcpus!: number | string;
  @Required() @NovaInt(0, MAX_INT) disk!: number | string;
  @Optional() @NovaInt(0, MAX_INT) 'OS-FLV-EXT-DATA:ephemeral'?: number | string;
  @Optional() @NovaInt(0, MAX_INT) swap?: number | string;
  @Optional() @NovaNumber(0, 3.40282e38, true) rxtx_factor?: number | string;
  @Optional() @NovaBoolean() 'os-flavor-access:is_public'?: unknown;
}

class FlavorCreateBody255 extends FlavorCreateBody {
  @Optional() @NovaNullableString(0, 65535) description?: string | null;
}

class FlavorUpdateBody {
  @Required() @NovaNullableString(0, 65535) description!: string | null;
}

/** `/flavors`: list (with Nova's visibility rules), show, and the admin's create, update, delete. */
@Controller('v2.1/flavors')
export class FlavorsController {
  constructor(private readonly flavors: FlavorRepository, private readonly policy: PolicyService, @Inject(NOVA_CONF) private readonly conf: NovaConf) {}

  @Get()
  async list(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    const { rows, limit } = await this.listRows(ctx, query);
    return this.withLinks(ctx, 'flavors', query, limit, rows, { flavors: rows.map((f) => flavorSummaryView(ctx, f)) });
  }

  @Get('detail')
  async detail(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    const { rows, limit } = await this.listRows(ctx, query);
    const specs = this.showSpecs(ctx);
    return this.withLinks(ctx, 'flavors/detail', query, limit, rows, { flavors: rows.map((f) => flavorView(ctx, f, specs)) });
  }

  @Get(':id')
  async show(@ReqCtx() ctx: RequestContext, @Param('id') id: string) {
    return { flavor: flavorView(ctx, await this.flavors.getByFlavorId(id), this.showSpecs(ctx)) };
  }

  @Post()
  async create(@ReqCtx() ctx: RequestContext, @Body() body: unknown) {
    this.policy.authorize(ctx, `${P}:create`, {});
    const b = validateWrapped(body, 'flavor', atLeast(ctx.version, '2.55') ? FlavorCreateBody255 : FlavorCreateBody);
    if (typeof b.id === 'string' && !FLAVOR_ID.test(b.id)) throw new Invalid(`Invalid input for field/attribute id. Value: ${pyRepr(b.id)}. ${pyRepr(b.id)} does not match '${FLAVOR_ID.source}'`);
    const flavor = await this.flavors.create({
      name: b.name,
      flavorid: b.id ?? null,
      memory_mb: Number(b.ram),
      vcpus: Number(b.vcpus),
      root_gb: Number(b.disk),
      ephemeral_gb: Number(b['OS-FLV-EXT-DATA:ephemeral'] ?? 0),
      swap: Number(b.swap ?? 0),
      rxtx_factor: b.rxtx_factor === undefined ? 1 : Number(b.rxtx_factor),
      is_public: b['os-flavor-access:is_public'] === undefined ? true : toBool(b['os-flavor-access:is_public']),
      description: (b as FlavorCreateBody255).description ?? null,
    });
    return { flavor: flavorView(ctx, flavor, this.showSpecs(ctx)) };
  }

  @Put(':id')
  async update(@ReqCtx() ctx: RequestContext, @Param('id') id: string, @Body() body: unknown) {
    if (!atLeast(ctx.version, '2.55')) throw new NotFound('The resource could not be found.');
    this.policy.authorize(ctx, `${P}:update`, {});
    const b = validateWrapped(body, 'flavor', FlavorUpdateBody);
    return { flavor: flavorView(ctx, await this.flavors.updateDescription(id, b.description), this.showSpecs(ctx)) };
  }

  @Delete(':id')
  @HttpCode(202)
  async remove(@ReqCtx() ctx: RequestContext, @Param('id') id: string): Promise<void> {
    this.policy.authorize(ctx, `${P}:delete`, {});
    await this.flavors.delete(id);
  }

  private showSpecs(ctx: RequestContext): boolean {
    return atLeast(ctx.version, '2.61') && this.policy.check(ctx, 'os_compute_api:os-flavor-extra-specs:index', { project_id: ctx.projectId });
  }

  private async listRows(ctx: RequestContext, query: Query): Promise<{ rows: FlavorRecord[]; limit: number }> {
    const { limit, marker } = pageParams(query, this.conf.api.max_limit);
    const minRam = intFilter(query, 'minRam');
    const minDisk = intFilter(query, 'minDisk');
    const sortKey = single(query, 'sort_key') ?? 'flavorid';
    if (!(FLAVOR_SORT_KEYS as readonly string[]).includes(sortKey) || (sortKey === 'rxtx_factor' && atLeast(ctx.version, '2.102'))) {
      throw new Invalid(`Invalid input for query parameters sort_key. Value: ${sortKey}. '${sortKey}' is not one of ${pyRepr([...FLAVOR_SORT_KEYS])}`);
    }
    const sortDir = single(query, 'sort_dir') ?? 'asc';
    if (sortDir !== 'asc' && sortDir !== 'desc') throw new Invalid(`Invalid input for query parameters sort_dir. Value: ${sortDir}. '${sortDir}' is not one of ['asc', 'desc']`);
    let isPublic: boolean | null = true;
    if (ctx.isAdmin) {
      const raw = single(query, 'is_public');
      if (raw !== undefined) {
        if (raw.toLowerCase() === 'none') isPublic = null;
        else if (['true', 't', 'yes', 'y', 'on', '1'].includes(raw.toLowerCase())) isPublic = true;
        else if (['false', 'f', 'no', 'n', 'off', '0'].includes(raw.toLowerCase())) isPublic = false;
        else throw new Invalid(`Invalid is_public filter [${raw}]`);
      }
    }
    const rows = await this.flavors.list({
      isPublic,
      projectId: ctx.projectId,
      includeDisabled: ctx.isAdmin,
      minMemoryMb: minRam,
      minRootGb: minDisk,
      sortKey: sortKey as FlavorSortKey,
      sortDir,
      limit,
      marker,
    });
    return { rows, limit };
  }

  private withLinks(ctx: RequestContext, collection: string, query: Query, limit: number, rows: FlavorRecord[], body: Record<string, unknown>) {
    const links = nextLinks(ctx, collection, query, limit, rows.length, rows[rows.length - 1]?.flavorid);
    if (links) body.flavors_links = links;
    return body;
  }
}

function intFilter(query: Query, name: string): number | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v)) throw new Invalid(`Invalid ${name} filter [${v}]`);
  return Number(v);
}
