/**
 * The request spec of an existing instance (a move, an unshelve), rebuilt from the instance
 * (nova-ts keeps no RequestSpec rows): the flavor to place, the image properties kept in system
 * metadata (`image_*`), the instance's availability zone and its server group.
 */
import type { ServerGroupRepository } from '../db/repositories/server-group.repository';
import type { InstanceFlavor, InstanceRecord } from '../objects/instance.object';
import type { RequestSpec } from '../scheduler/request-spec';

export async function moveRequestSpec(inst: InstanceRecord, flavor: InstanceFlavor, groups: ServerGroupRepository, ignoreHosts: string[]): Promise<RequestSpec> {
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(inst.system_metadata)) if (k.startsWith('image_')) props[k.slice('image_'.length)] = v;
  const [group] = await groups.groupsOfInstance(inst.uuid);
  return {
    flavor: { name: flavor.name, vcpus: flavor.vcpus, memory_mb: flavor.memory_mb, root_gb: flavor.root_gb, ephemeral_gb: flavor.ephemeral_gb, swap: flavor.swap, extra_specs: flavor.extra_specs },
    image: { properties: props },
    availability_zone: inst.availability_zone,
    scheduler_hints: {},
    instance_group: group ? { uuid: group.id, policy: group.policy, rules: group.rules as Record<string, string | number>, hosts: [], members: group.members } : null,
    num_instances: 1,
    instance_uuid: inst.uuid,
    project_id: inst.project_id,
    ignore_hosts: ignoreHosts,
    is_bfv: !inst.image_ref,
  };
}
