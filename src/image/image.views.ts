/** Glance v2's image document and list page. Pure. */
import { ImageRecord } from '../objects/image.object';

/** Glance's timestamps: `YYYY-MM-DDTHH:MM:SSZ`. */
export function glanceTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function imageView(image: ImageRecord): Record<string, unknown> {
  return {
    // Custom properties first, so a base attribute always wins.
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: image.os_hidden,
    checksum: image.checksum,
    os_hash_algo: image.os_hash_algo,
    os_hash_value: image.os_hash_value,
    size: image.size,
    virtual_size: image.virtual_size,
    disk_format: image.disk_format,
    container_format: image.container_format,
    min_disk: image.min_disk,
    min_ram: image.min_ram,
    owner: image.owner,
    tags: image.tags,
    created_at: glanceTime(image.created_at),
    updated_at: glanceTime(image.updated_at),
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: '/v2/schemas/image',
  };
}

/** GET /versions and GET /: the v2 minor versions served (no interoperable import). */
export function versionsView(baseUrl: string): { versions: Array<Record<string, unknown>> } {
  const ids = ['v2.7', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1', 'v2.0'];
  return {
    versions: ids.map((id, i) => ({ id, status: i === 0 ? 'CURRENT' : 'SUPPORTED', links: [{ rel: 'self', href: `${baseUrl}/v2/` }] })),
  };
}
