import { DataSource, In, LessThan } from 'typeorm';
import { Conflict } from '../../common/errors';
import { IdentityAssignmentEntity, IdentityProjectEntity, IdentityRoleEntity, IdentityTokenEntity, IdentityUserEntity } from '../entities';
import { uniqueViolation } from '../db-helpers';
import { nowSeconds } from './service.repository';

export interface IdentityUser {
  id: string;
  name: string;
  domain_id: string;
  enabled: boolean;
  password_hash: string | null;
}

export interface IdentityProject {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: boolean;
}

export interface IdentityRole {
  id: string;
  name: string;
}

export interface StoredToken {
  token_hash: string;
  user_id: string;
  project_id: string | null;
  audit_id: string;
  methods: string[];
  issued_at: Date;
  expires_at: Date;
  revoked: boolean;
}

/** Users, projects, roles, assignments and tokens of the built-in identity service (API database). */
export class IdentityRepository {
  constructor(private readonly ds: DataSource) {}

  private get users() { return this.ds.getRepository(IdentityUserEntity); }
  private get projects() { return this.ds.getRepository(IdentityProjectEntity); }
  private get roles() { return this.ds.getRepository(IdentityRoleEntity); }
  private get assignments() { return this.ds.getRepository(IdentityAssignmentEntity); }
  private get tokens() { return this.ds.getRepository(IdentityTokenEntity); }

  // ---- users ----
  async getUser(id: string): Promise<IdentityUser | null> {
    return toUser(await this.users.findOneBy({ id }));
  }

  async findUser(name: string, domainId: string): Promise<IdentityUser | null> {
    return toUser(await this.users.findOneBy({ name, domain_id: domainId }));
  }

  async listUsers(filter: { name?: string } = {}): Promise<IdentityUser[]> {
    const rows = await this.users.find({ where: filter.name !== undefined ? { name: filter.name } : {}, order: { name: 'ASC' } });
    return rows.map((r) => toUser(r) as IdentityUser);
  }

  /** Conflict when the name is taken in the domain. */
  async createUser(u: { id: string; name: string; domain_id: string; password_hash: string | null; enabled?: boolean }): Promise<IdentityUser> {
    try {
      await this.users.insert({ ...u, enabled: u.enabled ?? true, created_at: nowSeconds(), updated_at: null });
    } catch (err) {
      if (uniqueViolation(err) !== null) throw new Conflict(`Duplicate entry found with name ${u.name} at domain ID ${u.domain_id}.`);
      throw err;
    }
    return (await this.getUser(u.id)) as IdentityUser;
  }

  async setPassword(userId: string, passwordHash: string): Promise<void> {
    await this.users.update({ id: userId }, { password_hash: passwordHash, updated_at: nowSeconds() });
  }

  // ---- projects ----
  async getProject(id: string): Promise<IdentityProject | null> {
    return toProject(await this.projects.findOneBy({ id }));
  }

  async findProject(name: string, domainId: string): Promise<IdentityProject | null> {
    return toProject(await this.projects.findOneBy({ name, domain_id: domainId }));
  }

  async listProjects(filter: { name?: string; domain_id?: string; ids?: string[] } = {}): Promise<IdentityProject[]> {
    if (filter.ids && filter.ids.length === 0) return [];
    const where: Record<string, unknown> = {};
    if (filter.name !== undefined) where.name = filter.name;
    if (filter.domain_id !== undefined) where.domain_id = filter.domain_id;
    if (filter.ids) where.id = In(filter.ids);
    const rows = await this.projects.find({ where, order: { name: 'ASC' } });
    return rows.map((r) => toProject(r) as IdentityProject);
  }

  async createProject(p: { id: string; name: string; domain_id: string; description?: string }): Promise<IdentityProject> {
    try {
      await this.projects.insert({ ...p, description: p.description ?? '', enabled: true, created_at: nowSeconds() });
    } catch (err) {
      if (uniqueViolation(err) !== null) throw new Conflict(`Duplicate entry found with name ${p.name} at domain ID ${p.domain_id}.`);
      throw err;
    }
    return (await this.getProject(p.id)) as IdentityProject;
  }

  // ---- roles and assignments ----
  async findRole(name: string): Promise<IdentityRole | null> {
    const r = await this.roles.findOneBy({ name });
    return r ? { id: r.id, name: r.name } : null;
  }

  async getRole(id: string): Promise<IdentityRole | null> {
    const r = await this.roles.findOneBy({ id });
    return r ? { id: r.id, name: r.name } : null;
  }

  async listRoles(): Promise<IdentityRole[]> {
    return (await this.roles.find({ order: { name: 'ASC' } })).map((r) => ({ id: r.id, name: r.name }));
  }

  /** The role of that name, created with `id` if missing (a concurrent creator wins). */
  async ensureRole(name: string, id: string): Promise<IdentityRole> {
    const found = await this.findRole(name);
    if (found) return found;
    try {
      await this.roles.insert({ id, name, created_at: nowSeconds() });
    } catch (err) {
      if (uniqueViolation(err) === null) throw err;
    }
    return (await this.findRole(name)) as IdentityRole;
  }

  /** Idempotent. */
  async addAssignment(userId: string, projectId: string, roleId: string): Promise<void> {
    try {
      await this.assignments.insert({ user_id: userId, project_id: projectId, role_id: roleId });
    } catch (err) {
      if (uniqueViolation(err) === null) throw err;
    }
  }

  async rolesOn(userId: string, projectId: string): Promise<IdentityRole[]> {
    const rows = await this.assignments.findBy({ user_id: userId, project_id: projectId });
    if (rows.length === 0) return [];
    return (await this.roles.findBy({ id: In(rows.map((r) => r.role_id)) })).map((r) => ({ id: r.id, name: r.name }));
  }

  /** Ids of the projects the user has any role on. */
  async projectIdsOf(userId: string): Promise<string[]> {
    const rows = await this.assignments.findBy({ user_id: userId });
    return [...new Set(rows.map((r) => r.project_id))];
  }

  /** Every user with a role on a project (for `nova identity user list`). */
  async allAssignments(): Promise<Array<{ user_id: string; project_id: string; role_id: string }>> {
    return (await this.assignments.find()).map((a) => ({ user_id: a.user_id, project_id: a.project_id, role_id: a.role_id }));
  }

  // ---- tokens ----
  async insertToken(t: Omit<StoredToken, 'revoked'>): Promise<void> {
    await this.tokens.insert({ ...t, methods: t.methods.join(','), revoked: false });
  }

  async getToken(hash: string): Promise<StoredToken | null> {
    const r = await this.tokens.findOneBy({ token_hash: hash });
    if (!r) return null;
    return {
      token_hash: r.token_hash, user_id: r.user_id, project_id: r.project_id, audit_id: r.audit_id,
      methods: r.methods.split(',').filter(Boolean), issued_at: new Date(r.issued_at), expires_at: new Date(r.expires_at), revoked: Boolean(r.revoked),
    };
  }

  /** True when a live (unrevoked) token was revoked. */
  async revokeToken(hash: string): Promise<boolean> {
    const r = await this.tokens.update({ token_hash: hash, revoked: false }, { revoked: true });
    return (r.affected ?? 0) > 0;
  }

  /** Deletes tokens that expired before `before`; returns how many. */
  async purgeExpired(before: Date): Promise<number> {
    const r = await this.tokens.delete({ expires_at: LessThan(before) });
    return r.affected ?? 0;
  }
}

function toUser(r: IdentityUserEntity | null): IdentityUser | null {
  return r ? { id: r.id, name: r.name, domain_id: r.domain_id, enabled: Boolean(r.enabled), password_hash: r.password_hash } : null;
}

function toProject(r: IdentityProjectEntity | null): IdentityProject | null {
  return r ? { id: r.id, name: r.name, domain_id: r.domain_id, description: r.description ?? '', enabled: Boolean(r.enabled) } : null;
}
