import type { ImageMeta } from '../objects/build.object';
import type { InstanceFlavor, InstanceRecord } from '../objects/instance.object';
import type { GuestFlavor, GuestImage, GuestSpec } from './driver/compute-driver';

/** `[DEFAULT] instance_name_template` (`instance-%08x`) applied to the instance's database id. */
export function instanceName(template: string, id: number): string {
  return template.replace(/%(0?)(\d*)([xd])/, (_m, zero: string, width: string, kind: string) => {
    const text = kind === 'x' ? id.toString(16) : String(id);
    return width ? text.padStart(Number(width), zero ? '0' : ' ') : text;
  });
}

export function guestImage(image: ImageMeta | null): GuestImage | null {
  if (!image) return null;
  return {
    id: image.id, name: image.name ?? undefined, disk_format: image.disk_format ?? undefined,
    container_format: image.container_format ?? undefined, size: image.size ?? undefined, properties: image.properties,
  };
}

export function guestFlavor(f: InstanceFlavor): GuestFlavor {
  return { name: f.name, vcpus: f.vcpus, memory_mb: f.memory_mb, root_gb: f.root_gb, ephemeral_gb: f.ephemeral_gb, swap: f.swap };
}

/** What the driver needs to create the instance's guest. */
export function guestSpec(inst: InstanceRecord, image: ImageMeta | null, template: string, adminPassword: string | null = null, flavor = inst.flavor): GuestSpec {
  return {
    ...guestFlavor(flavor),
    uuid: inst.uuid,
    name: instanceName(template, inst.id),
    hostname: inst.hostname ?? inst.uuid,
    image: guestImage(image),
    user_data: inst.user_data,
    admin_password: adminPassword,
    key_data: inst.key_data,
    metadata: inst.metadata,
    node: inst.node ?? '',
    display_name: inst.display_name,
    flavor_name: flavor.name,
    project_id: inst.project_id,
    user_id: inst.user_id,
  };
}

/** The image metadata an instance was built from, when the build request is gone (reboot-recreate, reconciliation). */
export function imageFromInstance(inst: InstanceRecord): ImageMeta | null {
  if (!inst.image_ref) return null;
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(inst.system_metadata)) if (k.startsWith('image_')) props[k.slice(6)] = v;
  return {
    id: inst.image_ref, name: null, disk_format: props.disk_format ?? null, container_format: props.container_format ?? null,
    size: null, min_disk: Number(props.min_disk ?? 0), min_ram: Number(props.min_ram ?? 0), properties: props,
  };
}
