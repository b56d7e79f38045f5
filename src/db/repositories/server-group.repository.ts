import { randomUUID } from 'node:crypto';
import { DataSource, FindOptionsWhere, In } from 'typeorm';
import { Invalid, NotFound } from '../../common/errors';
import { isServerGroupPolicy, SERVER_GROUP_POLICIES, ServerGroupPolicy, ServerGroupRecord } from '../../objects/server-group.object';
import { InstanceGroupEntity, InstanceGroupMemberEntity, InstanceGroupPolicyEntity } from '../entities';
import { inTransaction, uniqueViolation } from '../db-helpers';
import { nowSeconds } from './service.repository';

export interface ServerGroupCreate {
  name: string | null;
  policy: ServerGroupPolicy;
  rules?: Record<string, unknown>;
  projectId: string;
  userId: string;
  members?: string[];
}

export interface ServerGroupListOptions {
  /** Only this project's groups; absent = every project (`all_projects`, admin). */
  projectId?: string;
  limit?: number;
  offset?: number;
}

/** Server groups of the API database (instance_groups, instance_group_policy, instance_group_member). */
export class ServerGroupRepository {
  constructor(private readonly ds: DataSource) {}

  async create(req: ServerGroupCreate): Promise<ServerGroupRecord> {
    if (!isServerGroupPolicy(req.policy)) {
      throw new Invalid(`Invalid server group policy ${String(req.policy)}: must be one of ${SERVER_GROUP_POLICIES.join(', ')}.`);
    }
    const uuid = randomUUID();
    const now = nowSeconds();
    await inTransaction(this.ds, async (em) => {
      const group = await em.save(em.create(InstanceGroupEntity, {
        uuid, name: req.name, project_id: req.projectId, user_id: req.userId, created_at: now, updated_at: null,
      }));
      await em.insert(InstanceGroupPolicyEntity, {
        group_id: group.id, policy: req.policy, rules: JSON.stringify(req.rules ?? {}), created_at: now, updated_at: null,
      });
      const members = [...new Set(req.members ?? [])];
      if (members.length > 0) {
        await em.insert(InstanceGroupMemberEntity, members.map((m) => ({ group_id: group.id, instance_uuid: m, created_at: now, updated_at: null })));
      }
    });
    return this.get(uuid);
  }

  /** `projectId` scopes the lookup as Nova does for non-admin contexts. */
  async get(uuid: string, projectId?: string): Promise<ServerGroupRecord> {
    const [group] = await this.load({ uuid, ...(projectId !== undefined ? { project_id: projectId } : {}) });
    if (!group) throw notFound(uuid);
    return group;
  }

  /** Ordered by creation (id), then `offset`/`limit` applied, as Nova's `common.limited`. */
  async list(opts: ServerGroupListOptions = {}): Promise<ServerGroupRecord[]> {
    return this.load(opts.projectId !== undefined ? { project_id: opts.projectId } : {}, opts.limit, opts.offset);
  }

  /** Deletes the group with its policy and member rows, in one transaction. */
  async delete(uuid: string, projectId?: string): Promise<void> {
    await inTransaction(this.ds, async (em) => {
      const where = { uuid, ...(projectId !== undefined ? { project_id: projectId } : {}) };
      const group = await em.findOneBy(InstanceGroupEntity, where);
      if (!group) throw notFound(uuid);
      await em.delete(InstanceGroupPolicyEntity, { group_id: group.id });
      await em.delete(InstanceGroupMemberEntity, { group_id: group.id });
      const result = await em.delete(InstanceGroupEntity, { id: group.id });
      if (!result.affected) throw notFound(uuid);
    });
  }

  /** Adds instances to the group; members already present are left alone (idempotent). */
  async addMembers(uuid: string, instanceUuids: string[]): Promise<ServerGroupRecord> {
    const group = await this.row(uuid);
    const members = this.ds.getRepository(InstanceGroupMemberEntity);
    const wanted = [...new Set(instanceUuids)];
    const present = new Set(
      wanted.length === 0 ? [] : (await members.findBy({ group_id: group.id, instance_uuid: In(wanted) })).map((m) => m.instance_uuid),
    );
    const now = nowSeconds();
    for (const instanceUuid of wanted.filter((u) => !present.has(u))) {
      try {
        await members.insert({ group_id: group.id, instance_uuid: instanceUuid, created_at: now, updated_at: null });
      } catch (err) {
        if (uniqueViolation(err) === null) throw err; // a concurrent add of the same member won
      }
    }
    return this.get(uuid);
  }

  /** Removes one member (Nova only does this to undo a quota race); absent members are ignored. */
  async removeMember(uuid: string, instanceUuid: string): Promise<void> {
    const group = await this.row(uuid);
    await this.ds.getRepository(InstanceGroupMemberEntity).delete({ group_id: group.id, instance_uuid: instanceUuid });
  }

  /** Drops these instances from every group (they were deleted); returns the rows removed. */
  async removeInstancesEverywhere(instanceUuids: string[]): Promise<number> {
    if (instanceUuids.length === 0) return 0;
    const result = await this.ds.getRepository(InstanceGroupMemberEntity).delete({ instance_uuid: In(instanceUuids) });
    return result.affected ?? 0;
  }

  /** Server groups of a project, for the `server_groups` quota. */
  async countForProject(projectId: string): Promise<number> {
    return this.ds.getRepository(InstanceGroupEntity).countBy({ project_id: projectId });
  }

  /** Server groups of one user in a project (per-user quota). */
  async countForUser(projectId: string, userId: string): Promise<number> {
    return this.ds.getRepository(InstanceGroupEntity).countBy({ project_id: projectId, user_id: userId });
  }

  /** Recorded members, deleted instances included (for `server_group_members`, filter them first). */
  async countMembers(uuid: string): Promise<number> {
    const group = await this.row(uuid);
    return this.ds.getRepository(InstanceGroupMemberEntity).countBy({ group_id: group.id });
  }

  /** The groups an instance belongs to (at most one through the API). */
  async groupsOfInstance(instanceUuid: string): Promise<ServerGroupRecord[]> {
    const links = await this.ds.getRepository(InstanceGroupMemberEntity).findBy({ instance_uuid: instanceUuid });
    if (links.length === 0) return [];
    return this.load({ id: In(links.map((l) => l.group_id)) });
  }

  private async row(uuid: string): Promise<InstanceGroupEntity> {
    const group = await this.ds.getRepository(InstanceGroupEntity).findOneBy({ uuid });
    if (!group) throw notFound(uuid);
    return group;
  }

  private async load(where: FindOptionsWhere<InstanceGroupEntity>, limit?: number, offset?: number): Promise<ServerGroupRecord[]> {
    const groups = await this.ds.getRepository(InstanceGroupEntity).find({
      where, order: { id: 'ASC' }, skip: offset,
      // MariaDB has no OFFSET without LIMIT.
      take: limit ?? (offset ? Number.MAX_SAFE_INTEGER : undefined),
    });
    if (groups.length === 0) return [];
    const ids = groups.map((g) => g.id);
    const [policies, members] = await Promise.all([
      this.ds.getRepository(InstanceGroupPolicyEntity).find({ where: { group_id: In(ids) }, order: { id: 'ASC' } }),
      this.ds.getRepository(InstanceGroupMemberEntity).find({ where: { group_id: In(ids) }, order: { id: 'ASC' } }),
    ]);
    return groups.map((g) => {
      const policy = policies.find((p) => p.group_id === g.id);
      return {
        id: g.uuid,
        db_id: g.id,
        name: g.name,
        policy: (policy?.policy ?? null) as ServerGroupPolicy,
        rules: parseRules(policy?.rules ?? null),
        members: members.filter((m) => m.group_id === g.id && m.instance_uuid !== null).map((m) => m.instance_uuid as string),
        project_id: g.project_id,
        user_id: g.user_id,
        created_at: iso(g.created_at),
        updated_at: iso(g.updated_at),
      };
    });
  }
}

function notFound(uuid: string): NotFound {
  return new NotFound(`Instance group ${uuid} could not be found.`);
}

/** Nova's `InstanceGroup.rules`: only `max_server_per_host`, coerced to an integer. */
function parseRules(text: string | null): Record<string, unknown> {
  if (!text) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  const max = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).max_server_per_host : undefined;
  if (max === undefined || max === null) return {};
  const n = parseInt(String(max), 10);
  return Number.isNaN(n) ? {} : { max_server_per_host: n };
}

function iso(d: Date | string | null): string | null {
  if (d === null || d === undefined) return null;
  return (d instanceof Date ? d : new Date(d)).toISOString();
}
