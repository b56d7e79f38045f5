/**
 * `/images/{id}/metadata` rules (nova/api/openstack/compute/image_metadata.py), pure: the
 * metadata_items limit (`common.check_img_metadata_properties_quota`) and the keys that name a
 * Glance base attribute rather than a custom property.
 */
import { Forbidden } from '../../common/errors';
import { READ_ONLY, RESERVED } from '../../image/image-rules';
import { GLANCE_BASE_ATTRIBUTES } from './proxy-image';

/** 403 `Image metadata limit exceeded` when the resulting properties exceed `metadata_items` (-1 = unlimited). */
export function checkImageMetadataQuota(items: number, limit: number): void {
  if (items === 0 || limit < 0) return;
  if (items > limit) throw new Forbidden('Image metadata limit exceeded');
}

/**
 * Glance refuses to treat its own attributes (and reserved names) as custom properties; Nova
 * reports the refusal as ImageNotAuthorized (403).
 */
export function checkPropertyNames(imageId: string, keys: string[]): void {
  for (const k of keys) {
    if (GLANCE_BASE_ATTRIBUTES.includes(k) || READ_ONLY.includes(k) || RESERVED.includes(k) || k.startsWith('os_glance')) {
      throw new Forbidden(`Not authorized for image ${imageId}.`);
    }
  }
}

/** `create`: the current properties with the body's merged in. */
export function mergedProperties(current: Record<string, unknown>, update: Record<string, string>): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(current)) out[k] = v;
  for (const [k, v] of Object.entries(update)) out[k] = v;
  return out;
}
