/** The images proxy's views (nova/api/openstack/compute/views/images.py). Pure. */
import type { ProxyImage } from '../images/proxy-image';
import type { RequestContext } from '../http/request-context';
import { isoSeconds, resourceLinks } from './format';

/** `_get_status`: Glance status → the API's. */
export function imageStatus(status: string): string {
  switch (status) {
    case 'active': return 'ACTIVE';
    case 'queued':
    case 'saving':
    case 'importing':
      return 'SAVING';
    case 'deleted':
    case 'pending_delete':
      return 'DELETED';
    case 'killed': return 'ERROR';
    default: return 'UNKNOWN';
  }
}

/** `_get_progress`. */
export function imageProgress(status: string): number {
  return status === 'active' ? 100 : status === 'saving' ? 50 : status === 'queued' ? 25 : 0;
}

/**
 * `ViewBuilder._update_link_prefix`: the prefix's scheme and host replace the URL's, and its path
 * is put in front of the URL's path.
 */
export function withLinkPrefix(url: string, prefix: string | null | undefined): string {
  if (!prefix) return url;
  try {
    const u = new URL(url);
    const p = new URL(prefix);
    const path = p.pathname.replace(/\/+$/, '') + u.pathname;
    return `${p.protocol}//${p.host}${path}${u.search}${u.hash}`.replace(/\/+$/, '');
  } catch {
    return url;
  }
}

/** self, bookmark and the `alternate` link to the image service (`<glance url>/images/<id>`). */
export function imageLinks(ctx: RequestContext, id: string, glanceUrl: string) {
  return [
    ...resourceLinks(ctx, 'images', id),
    { rel: 'alternate', type: 'application/vnd.openstack.image', href: `${glanceUrl.replace(/\/+$/, '')}/images/${id}` },
  ];
}

/** `basic`: the index entry. */
export function imageIndexItem(ctx: RequestContext, img: ProxyImage, glanceUrl: string) {
  return { id: img.id, name: img.name, links: imageLinks(ctx, img.id, glanceUrl) };
}

/** oslo strutils.bool_from_string (not strict). */
function boolFromString(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return ['1', 't', 'true', 'on', 'y', 'yes'].includes(String(v).trim().toLowerCase());
}

/** `show`: the detailed image. */
export function imageDetail(ctx: RequestContext, img: ProxyImage, glanceUrl: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: img.id,
    name: img.name,
    minRam: img.min_ram,
    minDisk: img.min_disk,
    metadata: { ...img.properties },
    created: isoSeconds(img.created_at),
    updated: isoSeconds(img.updated_at),
    status: imageStatus(img.status),
    progress: imageProgress(img.status),
    'OS-EXT-IMG-SIZE:size': img.size,
    links: imageLinks(ctx, img.id, glanceUrl),
  };
  const instanceUuid = img.properties.instance_uuid;
  if (instanceUuid !== undefined && instanceUuid !== null) {
    const id = String(instanceUuid);
    out.server = { id, links: resourceLinks(ctx, 'servers', id) };
  }
  const autoDiskConfig = img.properties.auto_disk_config;
  if (autoDiskConfig !== undefined && autoDiskConfig !== null) out['OS-DCF:diskConfig'] = boolFromString(autoDiskConfig) ? 'AUTO' : 'MANUAL';
  return out;
}
