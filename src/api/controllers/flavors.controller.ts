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
import {
  allOf, enumCheck, lengthCheck, NovaBoolean, NovaCheck, NovaInt, NovaName, NovaNullableString, Optional, patternCheck, rangeCheck, Required, toBool, typeCheck,
} from '../validation/nova-validators';
import { PropertyRule, queryParamError, schemaClass, validateWrapped } from '../validation/validate';
import { flavorSummaryView, flavorView } from '../views/flavor.view';
import { nextLinks } from '../views/format';

const P = 'os_compute_api:os-flavor-manage';

interface FlavorCreateBody {
  name: string;
  id?: string | number | null;
  ram: number | string;
  vcpus: number | string;
  disk: number | string;
  'OS-FLV-EXT-DATA:ephemeral'?: number | string;
  swap?: number | string;
  rxtx_factor?: number | string;
  'os-flavor-access:is_public'?: unknown;
  description?: string | null;
}

/** schemas/flavors.py `create`, in its `properties` order; 2.55 adds description, 2.102 drops rxtx_factor. */
function createSchema(description: boolean, rxtxFactor: boolean) {
  const rules: Record<string, PropertyRule[]> = {
    name: [Required(), NovaName()],
    // forbid leading/trailing whitespaces
    id: [Optional(), NovaCheck('flavorId', allOf(typeCheck('string', 'number', 'null'), lengthCheck(1, 255), patternCheck('^(?! )[a-zA-Z0-9. _-]+(?<! )$')))],
    ram: [Required(), NovaInt(1)],
    vcpus: [Required(), NovaInt(1)],
    disk: [Required(), NovaInt(0)],
    'OS-FLV-EXT-DATA:ephemeral': [Optional(), NovaInt(0)],
    swap: [Optional(), NovaInt(0)],
  };
  if (rxtxFactor) {
    // a positive float: exclusiveMinimum (numbers only), maximum SQL_SP_FLOAT_MAX
    const check = allOf(typeCheck('number', 'string'), patternCheck('^[0-9]+(\\.[0-9]+)?$'), rangeCheck(0, 3.40282e38, { exclusiveMin: true, maxText: '3.40282e+38' }));
    rules.rxtx_factor = [Optional(), NovaCheck('rxtxFactor', check)];
  }
  rules['os-flavor-access:is_public'] = [Optional(), NovaBoolean()];
  if (description) rules.description = [Optional(), NovaNullableString(0, 65535)];
  return schemaClass<FlavorCreateBody>(rules);
}

const FlavorCreate = createSchema(false, true);
const FlavorCreate255 = createSchema(true, true);
const FlavorCreate2102 = createSchema(true, false);

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
    const v = ctx.version;
    const b = validateWrapped(body, 'flavor', atLeast(v, '2.102') ? FlavorCreate2102 : atLeast(v, '2.55') ? FlavorCreate255 : FlavorCreate);
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
      description: b.description ?? null,
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
    const sortKeys = FLAVOR_SORT_KEYS.filter((k) => k !== 'rxtx_factor' || !atLeast(ctx.version, '2.102'));
    const sortKey = single(query, 'sort_key') ?? 'flavorid';
    const badKey = enumCheck(sortKeys)(sortKey);
    if (badKey !== null) throw queryParamError('sort_key', sortKey, badKey);
    const sortDir = single(query, 'sort_dir') ?? 'asc';
    const badDir = enumCheck(['asc', 'desc'])(sortDir);
    if (badDir !== null) throw queryParamError('sort_dir', sortDir, badDir);
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
      sortDir: sortDir as 'asc' | 'desc',
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
