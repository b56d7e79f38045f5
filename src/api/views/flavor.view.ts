import type { FlavorRecord } from '../../objects/flavor.object';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { resourceLinks } from './format';

/** A flavor list item (`GET /flavors`). */
export function flavorSummaryView(ctx: RequestContext, f: FlavorRecord) {
  const body: Record<string, unknown> = { id: f.flavorid, name: f.name, links: resourceLinks(ctx, 'flavors', f.flavorid) };
  if (atLeast(ctx.version, '2.55')) body.description = f.description;
  return body;
}

/** A full flavor (detail, show, create, update) at the request's version. */
export function flavorView(ctx: RequestContext, f: FlavorRecord, showExtraSpecs: boolean) {
  const v = ctx.version;
  const body: Record<string, unknown> = {
    id: f.flavorid,
    name: f.name,
    ram: f.memory_mb,
    disk: f.root_gb,
    vcpus: f.vcpus,
    swap: f.swap === 0 && !atLeast(v, '2.75') ? '' : f.swap,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral_gb,
    'os-flavor-access:is_public': f.is_public,
    links: resourceLinks(ctx, 'flavors', f.flavorid),
  };
  if (!atLeast(v, '2.102')) {
    body['OS-FLV-DISABLED:disabled'] = f.disabled;
    body.rxtx_factor = f.rxtx_factor;
  }
  if (atLeast(v, '2.55')) body.description = f.description;
  if (atLeast(v, '2.61') && showExtraSpecs) body.extra_specs = f.extra_specs;
  return body;
}
