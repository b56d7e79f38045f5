/**
 * The image record Nova creates for a snapshot, backup or shelve (`compute/utils.py
 * create_image`, `initialize_instance_snapshot_metadata`): the instance's image metadata from
 * its system metadata (`image_*`), non-inheritable properties dropped, then `instance_uuid`,
 * `user_id`, `image_type` (and the caller's extra properties) on top. Formats are left to the
 * compute, which knows what its driver produced. Pure.
 */
import type { NewGlanceImage } from '../../image/glance-client';
import type { InstanceRecord } from '../../objects/instance.object';

/** Nova's NON_INHERITABLE_IMAGE_PROPERTIES plus the default `[DEFAULT] non_inheritable_image_properties`. */
export const NON_INHERITABLE = new Set([
  'cache_in_nova', 'bittorrent', 'img_signature_hash_method', 'img_signature', 'img_signature_key_type',
  'img_signature_certificate_uuid', 'signature_verified', 'cinder_encryption_key_id', 'cinder_encryption_key_deletion_policy',
]);

/** System metadata keys that are not image properties (`SM_SKIP_KEYS` and the base attributes). */
const SKIP = new Set(['name', 'checksum', 'size', 'disk_format', 'container_format', 'min_ram', 'min_disk', 'owner_id', 'id']);

export function snapshotImage(
  caller: { user_id: string; project_id: string },
  inst: InstanceRecord,
  name: string,
  imageType: 'snapshot' | 'backup',
  extra: Record<string, string> = {},
): NewGlanceImage {
  const sys = inst.system_metadata;
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(sys)) {
    if (!k.startsWith('image_')) continue;
    const key = k.slice(6);
    if (!SKIP.has(key) && !NON_INHERITABLE.has(key)) properties[key] = v;
  }
  properties.base_image_ref ??= inst.image_ref ?? '';
  Object.assign(properties, { instance_uuid: inst.uuid, user_id: caller.user_id, image_type: imageType }, extra);
  const image: NewGlanceImage = {
    name,
    min_ram: toInt(sys.image_min_ram),
    min_disk: Math.max(toInt(sys.image_min_disk), inst.flavor.root_gb),
    properties,
  };
  // Someone else's server (an admin's snapshot): the image belongs to the server's project.
  if (caller.project_id !== inst.project_id) {
    image.owner = inst.project_id;
    image.visibility = 'private';
  }
  return image;
}

function toInt(v: string | undefined): number {
  const n = Number(v ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}
