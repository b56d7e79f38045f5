import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { Invalid, NotFound } from '../../common/errors';
import { FlavorRepository } from '../../db/repositories/flavor.repository';
import { ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { validateExtraSpec } from '../validation/extra-specs';
import { checkMetadata } from '../validation/metadata';
import { NovaString, Required } from '../validation/nova-validators';
import { pyRepr } from '../validation/py-repr';
import { fieldError, requireObject, validateBody, validateWrapped } from '../validation/validate';

const SPECS = 'os_compute_api:os-flavor-extra-specs';
const ACCESS = 'os_compute_api:os-flavor-access';
/** Extra-spec values may be numbers (stored as strings). */
const SPEC_VALUE_TYPES = ['string', 'number'];

/**
 * Nova's `_check_extra_specs_value`: a numeric value is taken as its string (at most 255
 * characters); from 2.86 each spec of a known namespace is validated.
 */
function checkSpecValues(ctx: RequestContext, specs: Record<string, string | number>): void {
  const validate = atLeast(ctx.version, '2.86');
  for (const [name, raw] of Object.entries(specs)) {
    const value = String(raw);
    if (typeof raw === 'number' && value.length > 255) throw new Invalid(`extra_specs value has ${value.length} characters, more than 255.`);
    if (validate) validateExtraSpec(name, value);
  }
}

/** schemas/flavor_access.py: the body of addTenantAccess and removeTenantAccess. */
class TenantBody {
  @Required() @NovaString(1, 255) tenant!: string;
}

/** Flavor extra specs and project access (`/flavors/{id}/os-extra_specs`, `/os-flavor-access`, access actions). */
@Controller('v2.1/flavors/:flavorId')
export class FlavorExtrasController {
  constructor(private readonly flavors: FlavorRepository, private readonly policy: PolicyService) {}

  @Get('os-extra_specs')
  async listSpecs(@ReqCtx() ctx: RequestContext, @Param('flavorId') id: string) {
    this.policy.authorize(ctx, `${SPECS}:index`, { project_id: ctx.projectId });
    return { extra_specs: await this.flavors.getExtraSpecs(id) };
  }

  @Post('os-extra_specs')
  async createSpecs(@ReqCtx() ctx: RequestContext, @Param('flavorId') id: string, @Body() body: unknown) {
    this.policy.authorize(ctx, `${SPECS}:create`, {});
    const specs = validateBody(body, 'extra_specs', (inner) => checkMetadata<string | number>(inner, 'extra_specs', SPEC_VALUE_TYPES));
    checkSpecValues(ctx, specs);
    await this.flavors.updateExtraSpecs(id, specs);
    return { extra_specs: specs };
  }

  @Get('os-extra_specs/:key')
  async showSpec(@ReqCtx() ctx: RequestContext, @Param('flavorId') id: string, @Param('key') key: string) {
    this.policy.authorize(ctx, `${SPECS}:show`, { project_id: ctx.projectId });
    const specs = await this.flavors.getExtraSpecs(id);
    if (!(key in specs)) throw new NotFound(`Flavor ${id} has no extra specs with key ${key}.`);
    return { [key]: specs[key] };
  }

  @Put('os-extra_specs/:key')
  async updateSpec(@ReqCtx() ctx: RequestContext, @Param('flavorId') id: string, @Param('key') key: string, @Body() body: unknown) {
    this.policy.authorize(ctx, `${SPECS}:update`, {});
    // schemas/flavors_extraspecs.py `update`: the metadata schema at the root, then min/maxProperties 1.
    const specs = checkMetadata<string | number>(body, undefined, SPEC_VALUE_TYPES);
    const keys = Object.keys(specs);
    if (keys.length < 1) throw fieldError(undefined, specs, `${pyRepr(specs)} does not have enough properties`);
    if (keys.length > 1) throw fieldError(undefined, specs, `${pyRepr(specs)} has too many properties`);
    checkSpecValues(ctx, specs);
    if (keys[0] !== key) throw new Invalid('Request body and URI mismatch');
    await this.flavors.updateExtraSpecs(id, specs);
    return specs;
  }

  @Delete('os-extra_specs/:key')
  @HttpCode(200)
  async deleteSpec(@ReqCtx() ctx: RequestContext, @Param('flavorId') id: string, @Param('key') key: string): Promise<void> {
    this.policy.authorize(ctx, `${SPECS}:delete`, {});
    await this.flavors.deleteExtraSpec(id, key);
  }

  @Get('os-flavor-access')
  async listAccess(@ReqCtx() ctx: RequestContext, @Param('flavorId') id: string) {
    this.policy.authorize(ctx, ACCESS, {});
    return { flavor_access: (await this.flavors.listAccess(id)).map((p) => ({ flavor_id: id, tenant_id: p })) };
  }

  @Post('action')
  @HttpCode(200)
  async action(@ReqCtx() ctx: RequestContext, @Param('flavorId') id: string, @Body() body: unknown) {
    const top = requireObject(body);
    const keys = Object.keys(top);
    if (keys.length !== 1) throw new Invalid('Malformed request body');
    const [action] = keys;
    if (action !== 'addTenantAccess' && action !== 'removeTenantAccess') throw new Invalid(`There is no such action: ${action}`);
    const { tenant } = validateWrapped(body, action, TenantBody);
    let projects: string[];
    if (action === 'addTenantAccess') {
      this.policy.authorize(ctx, `${ACCESS}:add_tenant_access`, {});
      projects = await this.flavors.addAccess(id, tenant, { allowPublic: !atLeast(ctx.version, '2.7') });
    } else {
      this.policy.authorize(ctx, `${ACCESS}:remove_tenant_access`, {});
      projects = await this.flavors.removeAccess(id, tenant);
    }
    return { flavor_access: projects.map((p) => ({ flavor_id: id, tenant_id: p })) };
  }
}
