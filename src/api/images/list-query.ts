/**
 * `GET /images` and `/images/detail` query handling (nova/api/openstack/compute/images.py
 * `_get_filters`, `common.get_pagination_params`, and what Glance v2 then does with them). Pure.
 *
 * Filters (unknown parameters are ignored, as Nova's query schema allows):
 *   name, status (lower-cased)   exact match;
 *   changes-since                Glance `updated_at=gte:<time>`;
 *   server                       property `instance_uuid` (the last path segment of a URL);
 *   type                         property `image_type` (`snapshot`, `backup`);
 *   minRam, minDisk              Glance `min_ram` / `min_disk`, which Glance v2 matches exactly;
 *   property-<key>               custom property <key>, exact match.
 * Order is Glance's default: created_at, then id, newest first. `marker` must be an image of the
 * filtered list; `limit` bounds the page (not capped at max_limit: Glance pages until `limit`
 * images, or every image when no limit is given).
 */
import { Invalid } from '../../common/errors';
import type { Query } from '../http/query';
import { single } from '../http/query';
import { parseIsoTime } from '../servers/list-query';
import { positiveIntegerCheck } from '../validation/nova-validators';
import { queryParam } from '../validation/validate';
import type { ProxyImage } from './proxy-image';

export interface ImageFilters {
  name?: string;
  status?: string;
  /** ms since the epoch (UTC) */
  changesSince?: number;
  minRam?: number;
  minDisk?: number;
  /** Custom property → value, exact match. */
  properties: Record<string, string>;
}

export interface ImageListQuery {
  filters: ImageFilters;
  limit?: number;
  marker?: string;
}

function intFilter(query: Query, name: string): number | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,15}$/.test(v)) throw new Invalid(`Invalid ${name} filter [${v}]`);
  return Number(v);
}

export function parseImageListQuery(query: Query): ImageListQuery {
  // index_query: limit, page_size, offset are multi_params(positive_integer); marker anything.
  const rawLimit = queryParam(query, 'limit', positiveIntegerCheck);
  queryParam(query, 'page_size', positiveIntegerCheck);
  queryParam(query, 'offset', positiveIntegerCheck);
  const properties = Object.create(null) as Record<string, string>;
  for (const key of Object.keys(query)) {
    if (key.startsWith('property-') && key.length > 'property-'.length) properties[key.slice('property-'.length)] = single(query, key) as string;
  }
  const server = single(query, 'server');
  if (server !== undefined) properties.instance_uuid = server.includes('/') ? server.slice(server.lastIndexOf('/') + 1) : server;
  const type = single(query, 'type');
  if (type !== undefined) properties.image_type = type;
  const filters: ImageFilters = { properties };
  const name = single(query, 'name');
  if (name !== undefined) filters.name = name;
  const status = single(query, 'status');
  if (status !== undefined) filters.status = status.toLowerCase();
  const since = single(query, 'changes-since');
  if (since !== undefined) {
    const t = parseIsoTime(since);
    if (!t) throw new Invalid(`Invalid changes-since value: ${since}`);
    filters.changesSince = t.utcMs;
  }
  filters.minRam = intFilter(query, 'minRam');
  filters.minDisk = intFilter(query, 'minDisk');
  const out: ImageListQuery = { filters };
  if (rawLimit !== undefined) out.limit = Math.min(Number(rawLimit), Number.MAX_SAFE_INTEGER);
  const marker = single(query, 'marker');
  if (marker !== undefined) out.marker = marker;
  return out;
}

export function matchesFilters(image: ProxyImage, f: ImageFilters): boolean {
  if (f.name !== undefined && image.name !== f.name) return false;
  if (f.status !== undefined && image.status !== f.status) return false;
  if (f.minRam !== undefined && image.min_ram !== f.minRam) return false;
  if (f.minDisk !== undefined && image.min_disk !== f.minDisk) return false;
  if (f.changesSince !== undefined) {
    const t = image.updated_at === null ? NaN : Date.parse(image.updated_at);
    if (!(t >= f.changesSince)) return false;
  }
  for (const [k, v] of Object.entries(f.properties)) {
    if (!Object.prototype.hasOwnProperty.call(image.properties, k)) return false;
    const have = image.properties[k];
    if ((typeof have === 'string' ? have : JSON.stringify(have)) !== v) return false;
  }
  return true;
}

/** Glance's default order: created_at desc, then id desc. */
export function sortImages(images: ProxyImage[]): ProxyImage[] {
  const ts = (i: ProxyImage) => (i.created_at === null ? -Infinity : Date.parse(i.created_at));
  return [...images].sort((a, b) => {
    const c = ts(b) - ts(a);
    if (c !== 0) return c;
    return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
  });
}

/** Filters, sorts, starts after the marker (400 when it is not in the list) and cuts at `limit`. */
export function pageOfImages(images: ProxyImage[], q: ImageListQuery): ProxyImage[] {
  const sorted = sortImages(images.filter((i) => matchesFilters(i, q.filters)));
  let start = 0;
  if (q.marker !== undefined) {
    const at = sorted.findIndex((i) => i.id === q.marker);
    if (at < 0) throw new Invalid(`Marker ${q.marker} could not be found.`);
    start = at + 1;
  }
  return q.limit === undefined ? sorted.slice(start) : sorted.slice(start, start + q.limit);
}

/**
 * `ViewBuilder._get_collection_links`: a next link only when the page holds exactly
 * min(limit or max_limit, max_limit) images.
 */
export function nextLinkPageSize(q: ImageListQuery, maxLimit: number, count: number): number | undefined {
  const maxItems = Math.min(q.limit ?? maxLimit, maxLimit);
  return maxItems > 0 && count === maxItems ? maxItems : undefined;
}
