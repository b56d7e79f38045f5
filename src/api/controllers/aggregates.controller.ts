import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { Allow } from 'class-validator';
import { Invalid } from '../../common/errors';
import { AggregateRepository } from '../../db/repositories/aggregate.repository';
import { ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { PolicyService } from '../policy/policy.service';
import { requireObject, validateObject } from '../validation/validate';
import { NovaString, NovaType, Optional, Required } from '../validation/nova-validators';
import { pyRepr } from '../validation/py-repr';
import { aggregateView } from '../views/aggregate.view';
import { ZonesService } from '../zones.service';

const P = 'os_compute_api:os-aggregates';
/** parameter_types.fqdn */
const FQDN = /^[a-zA-Z0-9-._]*$/;
/** parameter_types.metadata_with_null: the key pattern. */
const METADATA_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;

// ---- Nova's jsonschema formats and message shapes the shared validators do not cover ----

/** Nova's `Value: %(value)s`: Python's str(), so strings appear bare and everything else as repr. */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/** A jsonschema failure at a (non-root) path, as Nova words it. */
export function fieldError(field: string | number, value: unknown, message: string): Invalid {
  return new Invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(value)}. ${message}`);
}

/** A printable character as Nova's name regexes define it: BMP only, no C* category, Zs the only space. */
function printable(ch: string, allowSpace: boolean): boolean {
  if ((ch.codePointAt(0) ?? 0) >= 0xffff || /\p{C}/u.test(ch)) return false;
  return !/\p{Z}/u.test(ch) || (allowSpace && /\p{Zs}/u.test(ch));
}

/**
 * The `name` / `az_name` formats (valid_name_regex): printable characters, not starting or
 * ending with whitespace; the empty string passes (minLength decides).
 */
function isStrictName(s: string, excludeColon = false): boolean {
  const chars = [...s];
  if (chars.some((c) => !printable(c, true) || (excludeColon && c === ':'))) return false;
  return chars.length === 0 || (printable(chars[0], false) && printable(chars[chars.length - 1], false));
}

/** `name_with_leading_trailing_spaces`: printable characters with at least one non-space one. */
function isLooseName(s: string): boolean {
  const chars = [...s];
  return chars.every((c) => printable(c, true)) && chars.some((c) => printable(c, false));
}

const STRICT_NAME_REASON = 'printable characters. Can not start or end with whitespace.';
const LOOSE_NAME_REASON = 'printable characters with at least one non space character';

/** Nova's InvalidName, raised by the name format checkers (the message has no field prefix). */
export function checkNameFormat(v: unknown, loose = false): void {
  if (typeof v !== 'string') return; // the type check reports it
  if (loose ? !isLooseName(v) : !isStrictName(v)) {
    throw new Invalid(`An invalid 'name' value was provided. The name must be: ${loose ? LOOSE_NAME_REASON : STRICT_NAME_REASON}`);
  }
}

/** `{"oneOf": [az_name, {"type": "null"}]}`: any failure is the oneOf message. */
function checkAvailabilityZone(inner: Record<string, unknown>): void {
  if (!('availability_zone' in inner)) return;
  const v = inner.availability_zone;
  if (v === null) return;
  const ok = typeof v === 'string' && isStrictName(v, true) && [...v].length >= 1 && [...v].length <= 255;
  if (!ok) throw fieldError('availability_zone', v, `${pyRepr(v)} is not valid under any of the given schemas`);
}

/**
 * A body `{"<key>": {...}}`, checked in jsonschema's order: the inner object first (its type,
 * then `validateInner`), then the root's `required` and `additionalProperties`, which carry no
 * field prefix in Nova (their path is empty).
 */
export function validateBody<T>(body: unknown, key: string, validateInner: (inner: Record<string, unknown>) => T): T {
  const top = requireObject(body);
  let result: T | undefined;
  if (key in top) {
    const inner = top[key];
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) throw fieldError(key, inner, `${pyRepr(inner)} is not of type 'object'`);
    result = validateInner(inner as Record<string, unknown>);
  } else {
    throw new Invalid(`'${key}' is a required property`);
  }
  const extra = Object.keys(top).filter((k) => k !== key);
  if (extra.length > 0) {
    throw new Invalid(`Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`);
  }
  return result;
}

/** Nova's `utils.validate_integer(id, 'id')` (Python's int()). */
function aggregateId(id: string): number {
  if (!/^\s*[-+]?[0-9]+\s*$/.test(id)) throw new Invalid('Invalid input received: id must be an integer');
  return Number(id);
}

class AggregateCreate {
  @Required() @NovaString(1, 255) name!: string;
  @Allow() availability_zone?: string | null;
}

class AggregateUpdate {
  @Optional() @NovaString(1, 255) name?: string;
  @Allow() availability_zone?: string | null;
}

class HostBody {
  @Required() @NovaString(1, 255, FQDN) host!: string;
}

class MetadataBody {
  @Required() @NovaType('object') metadata!: Record<string, unknown>;
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
    const b = validateBody(body, 'aggregate', (inner) => {
      checkNameFormat(inner.name);
      checkAvailabilityZone(inner);
      return validateObject(inner, AggregateCreate, 'aggregate');
    });
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
    const b = validateBody(body, 'aggregate', (inner) => {
      checkNameFormat(inner.name, true);
      checkAvailabilityZone(inner);
      const v = validateObject(inner, AggregateUpdate, 'aggregate');
      // anyOf [{required: [name]}, {required: [availability_zone]}]
      if (!('name' in inner) && !('availability_zone' in inner)) throw fieldError('aggregate', inner, `${pyRepr(inner)} is not valid under any of the given schemas`);
      return v;
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
        const b = validateBody(body, action, (inner) => validateObject(inner, HostBody, action));
        this.policy.authorize(ctx, `${P}:add_host`, {});
        const agg = await this.aggregates.addHost(aggregateId(id), b.host, this.checks());
        return { aggregate: aggregateView(ctx.version, agg) };
      }
      case 'remove_host': {
        const b = validateBody(body, action, (inner) => validateObject(inner, HostBody, action));
        this.policy.authorize(ctx, `${P}:remove_host`, {});
        const agg = await this.aggregates.removeHost(aggregateId(id), b.host, this.checks());
        return { aggregate: aggregateView(ctx.version, agg) };
      }
      case 'set_metadata': {
        const metadata = validateBody(body, action, (inner) => {
          const b = validateObject(inner, MetadataBody, action);
          return checkMetadata(b.metadata);
        });
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

/** parameter_types.metadata_with_null: values first (patternProperties), then unmatched keys. */
function checkMetadata(metadata: Record<string, unknown>): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(k)) continue;
    if (v !== null && typeof v !== 'string') throw fieldError(k, v, `${pyRepr(v)} is not of type 'string', 'null'`);
    if (typeof v === 'string' && [...v].length > 255) throw fieldError(k, v, `${pyRepr(v)} is too long`);
    out[k] = v;
  }
  const bad = Object.keys(metadata).filter((k) => !METADATA_KEY.test(k)).sort();
  if (bad.length > 0) {
    const verb = bad.length === 1 ? 'does' : 'do';
    throw fieldError('metadata', metadata, `${bad.map((k) => pyRepr(k)).join(', ')} ${verb} not match any of the regexes: '${METADATA_KEY.source}'`);
  }
  return out;
}
