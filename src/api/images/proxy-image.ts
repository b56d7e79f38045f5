/**
 * The image as the Compute API's images proxy sees it (nova/image/glance.py
 * `_translate_from_glance`): Glance's base attributes plus `properties`, the rest of the
 * document. Built from either backend: a built-in image service record or a Glance v2 document.
 * Pure.
 */
import type { ImageRecord } from '../../objects/image.object';

export interface ProxyImage {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner: string | null;
  protected: boolean;
  min_ram: number;
  min_disk: number;
  /** Glance's null size becomes 0, as `_extract_attributes_v2` does. */
  size: number;
  /** ISO 8601 timestamps (UTC), or null when absent. */
  created_at: string | null;
  updated_at: string | null;
  /** Custom properties; Glance only stores strings, but Nova JSON-decodes `block_device_mapping` and `mappings`. */
  properties: Record<string, unknown>;
}

/** Glance v2's base (schema) attributes: everything else in a document is a custom property. */
export const GLANCE_BASE_ATTRIBUTES: readonly string[] = [
  'id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value', 'size',
  'virtual_size', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'owner', 'tags', 'created_at', 'updated_at',
  'self', 'file', 'schema', 'locations', 'direct_url', 'stores',
];

/** nova.image.glance._CONVERT_PROPS: stored as JSON strings, shown decoded. */
const JSON_PROPERTIES = ['block_device_mapping', 'mappings'];

function decodeProperties(props: Record<string, unknown>): Record<string, unknown> {
  // A null prototype: `__proto__` or `constructor` are valid property names.
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(props)) out[k] = v;
  for (const k of JSON_PROPERTIES) {
    const v = out[k];
    if (typeof v !== 'string') continue;
    try {
      out[k] = JSON.parse(v) as unknown;
    } catch {
      // left as stored
    }
  }
  return out;
}

function isoOf(v: unknown): string | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v !== 'string' || v === '') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function intOf(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : 0;
  return Number.isFinite(n) ? Math.trunc(n) : 0;
}

/** An image of the built-in image service (API database). */
export function fromRecord(r: ImageRecord): ProxyImage {
  return {
    id: r.id, name: r.name, status: r.status, visibility: r.visibility, owner: r.owner, protected: r.protected,
    min_ram: r.min_ram, min_disk: r.min_disk, size: r.size ?? 0,
    created_at: isoOf(r.created_at), updated_at: isoOf(r.updated_at),
    properties: decodeProperties(r.properties),
  };
}

/** A Glance v2 image document (GET /v2/images/{id}). */
export function fromGlanceDocument(doc: Record<string, unknown>): ProxyImage {
  const props: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (!GLANCE_BASE_ATTRIBUTES.includes(k)) props[k] = v;
  return {
    id: String(doc.id),
    name: typeof doc.name === 'string' ? doc.name : null,
    status: typeof doc.status === 'string' ? doc.status : '',
    visibility: typeof doc.visibility === 'string' ? doc.visibility : '',
    owner: typeof doc.owner === 'string' ? doc.owner : null,
    protected: doc.protected === true,
    min_ram: intOf(doc.min_ram), min_disk: intOf(doc.min_disk), size: intOf(doc.size),
    created_at: isoOf(doc.created_at), updated_at: isoOf(doc.updated_at),
    properties: decodeProperties(props),
  };
}

/** Glance's visibility rule for one image: admins see all; others public, community and their own. */
export function visibleTo(image: Pick<ProxyImage, 'visibility' | 'owner'>, viewer: { projectId: string; admin: boolean }): boolean {
  return viewer.admin || image.owner === viewer.projectId || image.visibility === 'public' || image.visibility === 'community';
}

/** Glance's rule for changing or deleting an image: admin or owner. */
export function mayModify(image: Pick<ProxyImage, 'owner'>, viewer: { projectId: string; admin: boolean }): boolean {
  return viewer.admin || image.owner === viewer.projectId;
}
