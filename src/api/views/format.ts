/** Timestamp and link formats clients parse. Pure. */
import type { RequestContext } from '../http/request-context';

/** oslo jsonutils' datetime form: `YYYY-MM-DDTHH:MM:SS.ffffff`, no zone. */
export function isoMicro(iso: string | null | undefined): string | null {
  if (!iso) return null;
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds() * 1000).padStart(6, '0')}`;
}

/** nova.utils.isotime: `YYYY-MM-DDTHH:MM:SSZ`. */
export function isoSeconds(iso: string | null | undefined): string | null {
  if (!iso) return null;
  return `${new Date(iso).toISOString().slice(0, 19)}Z`;
}

function projectPart(ctx: RequestContext): string {
  return ctx.urlProjectId ? `/${ctx.urlProjectId}` : '';
}

/** `self` and `bookmark` links of a resource, as Nova's views build them. */
export function resourceLinks(ctx: RequestContext, collection: string, id: string | number) {
  return [
    { rel: 'self', href: `${ctx.baseUrl}/v2.1${projectPart(ctx)}/${collection}/${id}` },
    { rel: 'bookmark', href: `${ctx.baseUrl}${projectPart(ctx)}/${collection}/${id}` },
  ];
}

/**
 * The `<collection>_links` next link: present when the page is full; repeats every query
 * parameter (sorted) with `marker` replaced.
 */
export function nextLinks(ctx: RequestContext, collection: string, query: Record<string, string[]>, pageSize: number, itemCount: number, lastMarker: string | undefined) {
  if (lastMarker === undefined || itemCount === 0 || itemCount < pageSize) return undefined;
  const params = new URLSearchParams();
  for (const key of Object.keys(query).filter((k) => k !== 'marker').sort()) for (const v of query[key]) params.append(key, v);
  params.append('marker', lastMarker);
  return [{ rel: 'next', href: `${ctx.baseUrl}/v2.1${projectPart(ctx)}/${collection}?${params.toString()}` }];
}
