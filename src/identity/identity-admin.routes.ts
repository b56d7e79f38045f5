/**
 * The built-in identity's admin writes over HTTP, what `openstack project create`, `user create`
 * and `role add` send (Keystone v3): POST /v3/projects, POST /v3/users,
 * PUT /v3/projects/{p}/users/{u}/roles/{r}; and GET /v3/roles/{id} (the CLI's lookups try it).
 * Admin only (403 otherwise); bodies validated like Keystone's schemas (400); duplicates 409.
 * Domain `default` only. Passwords are hashed and never logged or echoed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Conflict } from '../common/errors';
import type { IdentityProject, IdentityRepository, IdentityUser } from '../db/repositories/identity.repository';
import { hashPassword, newId } from './identity-crypto';
import { badRequest, forbidden, KeystoneError, notFound } from './keystone-errors';
import { DEFAULT_DOMAIN, ValidToken } from './token.service';

export interface AdminRouteDeps {
  repo: IdentityRepository;
  /** The caller's valid token, or a 401. */
  caller(req: FastifyRequest): Promise<ValidToken>;
  isAdmin(t: ValidToken): boolean;
  base(req: FastifyRequest): string;
  projectView(p: IdentityProject, base: string): Record<string, unknown>;
  userView(u: IdentityUser, base: string): Record<string, unknown>;
  log?: (message: string) => void;
}

const MAX_PASSWORD = 4096;

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(`Invalid input for field '${what}': expected an object.`);
  return v as Record<string, unknown>;
}

function hasControl(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function name(v: unknown, max: number): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max || hasControl(v)) {
    throw badRequest(`Invalid input for field 'name': a non-blank string of at most ${max} characters without control characters is required.`);
  }
  return v;
}

function optionalString(body: Record<string, unknown>, key: string, max: number): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw badRequest(`Invalid input for field '${key}': a string of at most ${max} characters is required.`);
  return v;
}

/** Only the default domain exists (by id or name). */
function checkDomain(body: Record<string, unknown>): void {
  const d = optionalString(body, 'domain_id', 64);
  if (d !== undefined && d.toLowerCase() !== DEFAULT_DOMAIN.id) throw notFound(`domain: ${d}`);
}

function checkEnabled(body: Record<string, unknown>): void {
  const e = body.enabled;
  if (e === undefined || e === true) return;
  if (e === false) throw badRequest('Disabled projects and users are not supported by this identity service.');
  throw badRequest("Invalid input for field 'enabled': a boolean is required.");
}

const UNKNOWN_OK = new Set(['name', 'domain_id', 'description', 'enabled', 'parent_id', 'is_domain', 'tags', 'options', 'password', 'default_project_id', 'email']);

function checkKeys(body: Record<string, unknown>): void {
  for (const k of Object.keys(body)) {
    if (!UNKNOWN_OK.has(k)) throw badRequest(`Additional properties are not allowed ('${k.slice(0, 64)}' was unexpected).`);
  }
}

/** Keystone's message for a duplicate name, with the nova Conflict turned into a Keystone 409. */
async function unique<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Conflict) throw new KeystoneError(409, err.message);
    throw err;
  }
}

export function registerAdminRoutes(app: FastifyInstance, d: AdminRouteDeps): void {
  const admin = async (req: FastifyRequest): Promise<ValidToken> => {
    const t = await d.caller(req);
    if (!d.isAdmin(t)) throw forbidden();
    return t;
  };

  app.post('/v3/projects', async (req, reply) => {
    const caller = await admin(req);
    const body = object(object(req.body ?? null, 'request body').project, 'project');
    checkKeys(body);
    const projectName = name(body.name, 64);
    checkDomain(body);
    checkEnabled(body);
    if (body.is_domain !== undefined && body.is_domain !== false) throw badRequest('Projects acting as domains are not supported by this identity service.');
    const parent = optionalString(body, 'parent_id', 64);
    if (parent !== undefined && parent !== DEFAULT_DOMAIN.id) throw badRequest('Project hierarchies are not supported by this identity service.');
    const description = optionalString(body, 'description', 65_535) ?? '';
    const p = await unique(() => d.repo.createProject({ id: newId(), name: projectName, domain_id: DEFAULT_DOMAIN.id, description }));
    d.log?.(`project ${p.id} (${p.name}) created by user ${caller.user.id}`);
    return reply.code(201).send({ project: d.projectView(p, d.base(req)) });
  });

  app.post('/v3/users', async (req, reply) => {
    const caller = await admin(req);
    const body = object(object(req.body ?? null, 'request body').user, 'user');
    checkKeys(body);
    const userName = name(body.name, 255);
    checkDomain(body);
    checkEnabled(body);
    const password = body.password;
    if (password !== undefined && password !== null && (typeof password !== 'string' || password.length > MAX_PASSWORD)) {
      throw badRequest(`Invalid input for field 'password': a string of at most ${MAX_PASSWORD} characters is required.`);
    }
    const defaultProject = optionalString(body, 'default_project_id', 64);
    if (defaultProject !== undefined && !await d.repo.getProject(defaultProject)) throw badRequest(`default_project_id ${defaultProject.slice(0, 64)} is not a project.`);
    const hash = typeof password === 'string' ? await hashPassword(password) : null;
    const u = await unique(() => d.repo.createUser({ id: newId(), name: userName, domain_id: DEFAULT_DOMAIN.id, password_hash: hash }));
    d.log?.(`user ${u.id} (${u.name}) created by user ${caller.user.id}`);
    const view = d.userView(u, d.base(req));
    return reply.code(201).send({ user: defaultProject !== undefined ? { ...view, default_project_id: defaultProject } : view });
  });

  app.put<{ Params: { project: string; user: string; role: string } }>('/v3/projects/:project/users/:user/roles/:role', async (req, reply) => {
    const caller = await admin(req);
    const { project, user, role } = req.params;
    const p = await d.repo.getProject(project);
    if (!p) throw notFound(`project: ${project}`);
    const u = await d.repo.getUser(user);
    if (!u) throw notFound(`user: ${user}`);
    const r = await d.repo.getRole(role);
    if (!r) throw notFound(`role: ${role}`);
    await d.repo.addAssignment(u.id, p.id, r.id);
    d.log?.(`role ${r.name} of user ${u.id} on project ${p.id} granted by user ${caller.user.id}`);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>('/v3/roles/:id', async (req) => {
    await admin(req);
    const r = await d.repo.getRole(req.params.id);
    if (!r) throw notFound(`role: ${req.params.id}`);
    return { role: { id: r.id, name: r.name, domain_id: null, description: null, options: {}, links: { self: `${d.base(req)}/v3/roles/${r.id}` } } };
  });
}
