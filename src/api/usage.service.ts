import { Injectable } from '@nestjs/common';
import { InstanceUsageRepository } from '../db/repositories/instance-usage.repository';
import { KeyPairRepository } from '../db/repositories/keypair.repository';
import { ServerGroupRepository } from '../db/repositories/server-group.repository';
import type { UsageCounts } from '../objects/quota.object';

/** Counts what a project (and user) uses of each quota resource, as Nova counts it (no reservations). */
@Injectable()
export class UsageService {
  constructor(
    private readonly instances: InstanceUsageRepository,
    private readonly keypairs: KeyPairRepository,
    private readonly groups: ServerGroupRepository,
  ) {}

  async count(projectId: string, userId: string, perUser: boolean): Promise<UsageCounts> {
    const inst = await this.instances.usage(projectId, perUser ? userId : undefined);
    return {
      instances: inst.instances,
      cores: inst.cores,
      ram: inst.ram,
      key_pairs: await this.keypairs.countForUser(userId),
      server_groups: perUser ? await this.groups.countForUser(projectId, userId) : await this.groups.countForProject(projectId),
      server_group_members: 0,
      metadata_items: 0,
      injected_files: 0,
      injected_file_content_bytes: 0,
      injected_file_path_bytes: 0,
    };
  }
}
