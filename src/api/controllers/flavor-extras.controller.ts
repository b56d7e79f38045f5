import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { Invalid, NotFound } from '../../common/errors';
import { FlavorRepository } from '../../db/repositories/flavor.repository';
import { ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { requireObject } from '../validation/validate';
import { pyRepr } from '../validation/py-repr';

const SPECS = 'os_compute_api:os-flavor-extra-specs';
const ACCESS = 'os_compute_api:os-flavor-access';
const KEY_RE = /^[a-zA-Z0-9-_:. ]{1,255}$/;

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
    const top = requireObject(body);
    if (!('extra_specs' in top)) throw new Invalid("'extra_specs' is a required property");
    const specs = checkSpecs(top.extra_specs);
    await this.flavors.updateExtraSpecs(id, specs);
    return { extra_specs: top.extra_specs };
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
    const top = requireObject(body);
    const keys = Object.keys(top);
    if (keys.length !== 1) throw new Invalid(`Invalid input for field/attribute extra_specs. Value: ${pyRepr(top)}. ${pyRepr(top)} has too ${keys.length > 1 ? 'many' : 'few'} properties`);
    if (keys[0] !== key) throw new Invalid('Request body and URI mismatch');
    await this.flavors.updateExtraSpecs(id, checkSpecs(top));
    return top;
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
    const inner = top[action];
    const tenant = inner && typeof inner === 'object' ? (inner as Record<string, unknown>).tenant : undefined;
    if (typeof tenant !== 'string' || tenant.length < 1 || tenant.length > 255) {
      throw new Invalid(tenant === undefined ? `Invalid input for field/attribute ${action}. Value: ${pyRepr(inner)}. 'tenant' is a required property` : `Invalid input for field/attribute tenant. Value: ${pyRepr(tenant)}. ${pyRepr(tenant)} is not of type 'string'`);
    }
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

/** Extra-spec keys and values as Nova's schema allows them; values may be numbers (stored as strings). */
function checkSpecs(specs: unknown): Record<string, string | number> {
  if (specs === null || typeof specs !== 'object' || Array.isArray(specs)) {
    throw new Invalid(`Invalid input for field/attribute extra_specs. Value: ${pyRepr(specs)}. ${pyRepr(specs)} is not of type 'object'`);
  }
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(specs as Record<string, unknown>)) {
    if (!KEY_RE.test(k)) throw new Invalid(`Invalid input for field/attribute extra_specs. Value: ${pyRepr(specs)}. '${k}' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'`);
    if (typeof v !== 'string' && typeof v !== 'number') throw new Invalid(`Invalid input for field/attribute ${k}. Value: ${pyRepr(v)}. ${pyRepr(v)} is not of type 'string', 'number'`);
    if (typeof v === 'string' && v.length > 255) throw new Invalid(`Invalid input for field/attribute ${k}. Value: ${pyRepr(v)}. ${pyRepr(v)} is too long`);
    out[k] = v;
  }
  return out;
}
