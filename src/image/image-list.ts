/** GET /v2/images: query parsing, Glance's ordering and marker paging, the `next` link. Pure. */
import { ImageListFilters, ImageRecord } from '../objects/image.object';
import { badRequest } from './image-errors';

export const SORT_KEYS = ['name', 'status', 'container_format', 'disk_format', 'size', 'id', 'created_at', 'updated_at',
  'visibility', 'owner', 'min_disk', 'min_ram', 'protected', 'virtual_size'];
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;

export interface ListQuery {
  filters: ImageListFilters;
  sort: Array<{ key: string; dir: 'asc' | 'desc' }>;
  marker?: string;
  limit: number;
}

type Query = Record<string, string | string[] | undefined>;
const one = (q: Query, k: string): string | undefined => (Array.isArray(q[k]) ? (q[k] as string[])[0] : (q[k] as string | undefined));

export function parseListQuery(q: Query): ListQuery {
  const filters: ImageListFilters = {};
  for (const k of ['name', 'status', 'visibility', 'owner'] as const) {
    const v = one(q, k);
    if (v !== undefined) filters[k] = v;
  }
  if (filters.visibility !== undefined && ![...['public', 'private', 'shared', 'community'], 'all'].includes(filters.visibility)) {
    throw badRequest(`Invalid visibility value: ${filters.visibility}`);
  }
  const hidden = one(q, 'os_hidden');
  if (hidden !== undefined) {
    if (!['true', 'false'].includes(hidden.toLowerCase())) throw badRequest(`Invalid value '${hidden}' for 'os_hidden' filter. Valid values are 'true' or 'false'.`);
    filters.os_hidden = hidden.toLowerCase() === 'true';
  }
  let limit = DEFAULT_LIMIT;
  const rawLimit = one(q, 'limit');
  if (rawLimit !== undefined) {
    if (!/^-?\d+$/.test(rawLimit)) throw badRequest('limit param must be an integer');
    limit = Number(rawLimit);
    if (limit < 0) throw badRequest('limit param must be positive');
    limit = Math.min(limit, MAX_LIMIT);
  }
  const sort: ListQuery['sort'] = [];
  const checkKey = (k: string) => {
    if (!SORT_KEYS.includes(k)) throw badRequest(`Invalid sort key: ${k}. It must be one of the following: ${SORT_KEYS.join(', ')}.`);
  };
  const checkDir = (d: string): 'asc' | 'desc' => {
    if (d !== 'asc' && d !== 'desc') throw badRequest(`Invalid sort direction: ${d}`);
    return d;
  };
  const sortParam = one(q, 'sort');
  const keys = ([] as string[]).concat(q.sort_key ?? []);
  const dirs = ([] as string[]).concat(q.sort_dir ?? []);
  if (sortParam !== undefined) {
    if (keys.length || dirs.length) throw badRequest('The "sort" parameter cannot be combined with "sort_key" or "sort_dir".');
    for (const part of sortParam.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [key, dir = 'desc'] = part.split(':');
      checkKey(key);
      sort.push({ key, dir: checkDir(dir) });
    }
  } else {
    if (dirs.length > 1 && dirs.length !== keys.length) throw badRequest('Number of sort dirs does not match the number of sort keys');
    keys.forEach((k, i) => {
      checkKey(k);
      sort.push({ key: k, dir: checkDir(dirs[i] ?? dirs[0] ?? 'desc') });
    });
    if (!keys.length) sort.push({ key: 'created_at', dir: checkDir(dirs[0] ?? 'desc') });
  }
  // Glance's tie-breakers: created_at, then id, in the first key's direction.
  const dir0 = sort[0].dir;
  if (!sort.some((s) => s.key === 'created_at')) sort.push({ key: 'created_at', dir: dir0 });
  if (!sort.some((s) => s.key === 'id')) sort.push({ key: 'id', dir: dir0 });
  return { filters, sort, marker: one(q, 'marker'), limit };
}

function value(image: ImageRecord, key: string): string | number | boolean | null {
  const v = (image as unknown as Record<string, unknown>)[key];
  if (v instanceof Date) return v.getTime();
  return v === undefined ? null : (v as string | number | boolean | null);
}

/** Nulls sort first ascending (as both SQL engines do); strings by code point. */
function compare(a: ImageRecord, b: ImageRecord, sort: ListQuery['sort']): number {
  for (const { key, dir } of sort) {
    const x = value(a, key);
    const y = value(b, key);
    let c = 0;
    if (x === y) c = 0;
    else if (x === null) c = -1;
    else if (y === null) c = 1;
    else c = x < y ? -1 : 1;
    if (c !== 0) return dir === 'asc' ? c : -c;
  }
  return 0;
}

/**
 * Sorts the visible images, starts after the marker (which must be one of them: else Glance's
 * 400 "Marker ... could not be found."), and cuts the page; `nextMarker` is set when the page is full.
 */
export function pageImages(images: ImageRecord[], query: ListQuery): { page: ImageRecord[]; nextMarker?: string } {
  const sorted = [...images].sort((a, b) => compare(a, b, query.sort));
  let start = 0;
  if (query.marker !== undefined) {
    const i = sorted.findIndex((im) => im.id === query.marker);
    if (i < 0) throw badRequest(`Marker ${query.marker} could not be found.`);
    start = i + 1;
  }
  const page = sorted.slice(start, start + query.limit);
  const full = query.limit > 0 && page.length === query.limit;
  return { page, nextMarker: full ? page[page.length - 1].id : undefined };
}

/** `/v2/images?<the request's parameters, marker replaced>` */
export function nextLink(q: Query, marker: string): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (k === 'marker' || v === undefined) continue;
    for (const x of ([] as string[]).concat(v)) params.append(k, x);
  }
  params.append('marker', marker);
  return `/v2/images?${params.toString()}`;
}
