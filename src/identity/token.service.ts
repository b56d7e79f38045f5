/**
 * The token logic of the built-in identity service: password (and token) authentication with
 * project scope or none, the token document with its catalog, validation and revocation, and
 * the bootstrap of an admin (like `keystone-manage bootstrap`).
 */
import type { LoggerService } from '@nestjs/common';
import { IdentityProject, IdentityRepository, IdentityRole, IdentityUser, StoredToken } from '../db/repositories/identity.repository';
import { CatalogService } from './catalog';
import { hashPassword, newAuditId, newId, newTokenId, tokenHash, verifyPassword } from './identity-crypto';
import { badRequest, KeystoneError, unauthorized } from './keystone-errors';

export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' };

/** admin implies member implies reader (Keystone's bootstrap creates these implied roles). */
const IMPLIED: Record<string, string[]> = { admin: ['member', 'reader'], member: ['reader'] };
export const BOOTSTRAP_ROLES = ['admin', 'member', 'reader'];

export interface TokenServiceOptions {
  /** Token lifetime, seconds. */
  expiration: number;
  catalog: () => CatalogService[];
  logger?: LoggerService;
  clock?: () => number;
}

/** A valid token, resolved. */
export interface ValidToken {
  stored: StoredToken;
  user: IdentityUser;
  project: IdentityProject | null;
  roles: IdentityRole[];
}

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Keystone's time format: 2015-11-05T22:00:11.000000Z */
export function keystoneTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class TokenService {
  private lastPurge = 0;
  private readonly now: () => number;

  constructor(private readonly repo: IdentityRepository, private readonly opts: TokenServiceOptions) {
    this.now = opts.clock ?? Date.now;
  }

  /** The domain `ref` ({id} or {name}) names: only `default` exists. Case-insensitive, as Keystone on MariaDB. */
  private domainOf(ref: unknown, where: string): string {
    if (!isObj(ref)) throw badRequest(`Expecting to find domain in ${where}.`);
    const id = str(ref.id);
    const name = str(ref.name);
    if (id === undefined && name === undefined) throw badRequest(`Expecting to find id or name in ${where}/domain.`);
    if ((id !== undefined && id.toLowerCase() === DEFAULT_DOMAIN.id) || (name !== undefined && name.toLowerCase() === DEFAULT_DOMAIN.name.toLowerCase())) return DEFAULT_DOMAIN.id;
    throw unauthorized();
  }

  /**
   * POST /v3/auth/tokens. Returns the new token id and its document. Every authentication
   * failure is the same 401; the log says why, without the password.
   */
  async issue(body: unknown, remote: string): Promise<{ tokenId: string; token: ValidToken }> {
    const auth = isObj(body) ? body.auth : undefined;
    if (!isObj(auth)) throw badRequest('Expecting to find auth in request body.');
    const identity = auth.identity;
    if (!isObj(identity)) throw badRequest('Expecting to find identity in auth.');
    const methods = identity.methods;
    if (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string')) throw badRequest('Expecting to find methods in identity.');
    let user: IdentityUser;
    let inherited: StoredToken | null = null;
    if (methods.includes('password')) {
      user = await this.passwordUser(identity.password, remote);
    } else if (methods.includes('token')) {
      const t = isObj(identity.token) ? str(identity.token.id) : undefined;
      if (!t) throw badRequest('Expecting to find id in token.');
      const valid = await this.validate(t);
      if (!valid) {
        this.opts.logger?.warn(`Authorization failed: an invalid or expired token was presented for re-scoping from ${remote}`, 'identity');
        throw unauthorized();
      }
      user = valid.user;
      inherited = valid.stored;
    } else {
      throw new KeystoneError(401, `Attempted to authenticate with an unsupported method.`);
    }

    const project = await this.scopeOf(auth.scope, user, remote);
    const now = this.now();
    const issuedAt = new Date(Math.floor(now / 1000) * 1000);
    // A re-scoped token never outlives the one it came from (as Keystone).
    let expiresAt = new Date(issuedAt.getTime() + this.opts.expiration * 1000);
    if (inherited && inherited.expires_at < expiresAt) expiresAt = inherited.expires_at;
    const tokenId = newTokenId();
    const stored: StoredToken = {
      token_hash: tokenHash(tokenId), user_id: user.id, project_id: project?.id ?? null, audit_id: newAuditId(),
      methods: inherited ? [...new Set([...inherited.methods, 'token'])] : ['password'], issued_at: issuedAt, expires_at: expiresAt, revoked: false,
    };
    await this.repo.insertToken(stored);
    await this.maybePurge(now);
    const roles = project ? await this.effectiveRoles(user.id, project.id) : [];
    return { tokenId, token: { stored, user, project, roles } };
  }

  private async passwordUser(password: unknown, remote: string): Promise<IdentityUser> {
    if (!isObj(password)) throw badRequest('Expecting to find password in identity.');
    const u = password.user;
    if (!isObj(u)) throw badRequest('Expecting to find user in password.');
    const secret = u.password;
    if (typeof secret !== 'string') throw badRequest('Expecting to find password in user.');
    const id = str(u.id);
    const name = str(u.name);
    if (id === undefined && name === undefined) throw badRequest('Expecting to find id or name in user.');
    let user: IdentityUser | null;
    let who: string;
    if (id !== undefined) {
      user = await this.repo.getUser(id);
      who = `user id ${JSON.stringify(id)}`;
    } else {
      let domainId: string;
      try {
        domainId = this.domainOf(u.domain, 'user');
      } catch (err) {
        if (err instanceof KeystoneError && err.status === 401) this.opts.logger?.warn(`Authorization failed for user ${JSON.stringify(name)}: unknown domain, from ${remote}`, 'identity');
        throw err;
      }
      user = await this.repo.findUser(name as string, domainId);
      who = `user ${JSON.stringify(name)} in domain ${domainId}`;
    }
    // Same work whether or not the user exists.
    const ok = await verifyPassword(secret, user?.password_hash ?? null);
    if (!user || !ok || !user.enabled) {
      const why = !user ? 'no such user' : !ok ? 'wrong password' : 'user disabled';
      this.opts.logger?.warn(`Authorization failed for ${who} from ${remote}: ${why}`, 'identity');
      throw unauthorized();
    }
    return user;
  }

  private async scopeOf(scope: unknown, user: IdentityUser, remote: string): Promise<IdentityProject | null> {
    if (scope === undefined || scope === null || scope === 'unscoped') return null;
    if (!isObj(scope)) throw badRequest('Expecting to find project in scope.');
    if (!isObj(scope.project)) {
      if ('system' in scope || 'domain' in scope || 'OS-TRUST:trust' in scope) throw new KeystoneError(401, 'Only project scoped and unscoped tokens are supported by this identity service.');
      throw badRequest('Expecting to find project in scope.');
    }
    const p = scope.project;
    const id = str(p.id);
    const name = str(p.name);
    if (id === undefined && name === undefined) throw badRequest('Expecting to find id or name in project.');
    const project = id !== undefined ? await this.repo.getProject(id) : await this.repo.findProject(name as string, this.domainOf(p.domain, 'project'));
    const roles = project && project.enabled ? await this.repo.rolesOn(user.id, project.id) : [];
    if (!project || roles.length === 0) {
      this.opts.logger?.warn(`Authorization failed for user ${user.id}: no role on project ${JSON.stringify(id ?? name)} (or no such project), from ${remote}`, 'identity');
      throw unauthorized();
    }
    return project;
  }

  /** Assigned roles plus the ones they imply. */
  async effectiveRoles(userId: string, projectId: string): Promise<IdentityRole[]> {
    const direct = await this.repo.rolesOn(userId, projectId);
    const names = new Set(direct.map((r) => r.name));
    const out = [...direct];
    for (const r of direct) {
      for (const implied of IMPLIED[r.name] ?? []) {
        if (names.has(implied)) continue;
        const role = await this.repo.findRole(implied);
        if (role) {
          names.add(implied);
          out.push(role);
        }
      }
    }
    return out;
  }

  /** The token behind an id, if it is known, unexpired and unrevoked (and its user and project still enabled). */
  async validate(tokenId: string): Promise<ValidToken | null> {
    if (!tokenId || tokenId.length > 1024) return null;
    const stored = await this.repo.getToken(tokenHash(tokenId));
    if (!stored || stored.revoked || stored.expires_at.getTime() <= this.now()) return null;
    const user = await this.repo.getUser(stored.user_id);
    if (!user || !user.enabled) return null;
    let project: IdentityProject | null = null;
    let roles: IdentityRole[] = [];
    if (stored.project_id) {
      project = await this.repo.getProject(stored.project_id);
      if (!project || !project.enabled) return null;
      roles = await this.effectiveRoles(user.id, project.id);
      if (roles.length === 0) return null;
    }
    return { stored, user, project, roles };
  }

  /** True when a valid token was revoked. */
  async revoke(tokenId: string): Promise<boolean> {
    return this.repo.revokeToken(tokenHash(tokenId));
  }

  /** Keystone's token document. */
  document(t: ValidToken, withCatalog: boolean): Json {
    const domain = { id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name };
    const token: Json = {
      methods: t.stored.methods,
      user: { domain, id: t.user.id, name: t.user.name, password_expires_at: null },
      audit_ids: [t.stored.audit_id],
      expires_at: keystoneTime(t.stored.expires_at),
      issued_at: keystoneTime(t.stored.issued_at),
    };
    if (t.project) {
      token.project = { domain, id: t.project.id, name: t.project.name };
      token.is_domain = false;
      token.roles = t.roles.map((r) => ({ id: r.id, name: r.name }));
      if (withCatalog) token.catalog = this.opts.catalog();
    } else if (withCatalog) {
      token.catalog = [];
    }
    return { token };
  }

  private async maybePurge(now: number): Promise<void> {
    if (now - this.lastPurge < 600_000) return;
    this.lastPurge = now;
    const n = await this.repo.purgeExpired(new Date(now)).catch(() => 0);
    if (n > 0) this.opts.logger?.log(`purged ${n} expired tokens`, 'identity');
  }
}

export interface BootstrapResult {
  user: IdentityUser;
  project: IdentityProject;
  created: string[];
}

/**
 * Like `keystone-manage bootstrap`: the admin, member and reader roles, the project, the user
 * (its password set to `password` when given) and its admin role on the project. Idempotent.
 */
export async function bootstrapIdentity(repo: IdentityRepository, o: { username: string; password?: string; projectName: string }): Promise<BootstrapResult> {
  const created: string[] = [];
  for (const name of BOOTSTRAP_ROLES) {
    if (!await repo.findRole(name)) created.push(`role ${name}`);
    await repo.ensureRole(name, newId());
  }
  let project = await repo.findProject(o.projectName, DEFAULT_DOMAIN.id);
  if (!project) {
    project = await repo.createProject({ id: newId(), name: o.projectName, domain_id: DEFAULT_DOMAIN.id, description: 'Bootstrap project for initializing the cloud.' });
    created.push(`project ${o.projectName}`);
  }
  let user = await repo.findUser(o.username, DEFAULT_DOMAIN.id);
  if (!user) {
    user = await repo.createUser({ id: newId(), name: o.username, domain_id: DEFAULT_DOMAIN.id, password_hash: o.password !== undefined ? await hashPassword(o.password) : null });
    created.push(`user ${o.username}`);
  } else if (o.password !== undefined && !await verifyPassword(o.password, user.password_hash)) {
    await repo.setPassword(user.id, await hashPassword(o.password));
    created.push(`password of ${o.username}`);
  }
  const admin = (await repo.findRole('admin')) as IdentityRole;
  if (!(await repo.rolesOn(user.id, project.id)).some((r) => r.id === admin.id)) {
    await repo.addAssignment(user.id, project.id, admin.id);
    created.push(`role admin of ${o.username} on ${o.projectName}`);
  }
  return { user, project, created };
}
