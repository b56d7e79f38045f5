/**
 * The built-in identity endpoint: a standalone fastify server speaking the subset of Keystone v3
 * that the openstack CLI, keystoneauth and the api role use (admin writes: identity-admin.routes.ts). Errors are Keystone's bodies; a 401
 * carries `WWW-Authenticate: Keystone uri="<this endpoint>"`.
 */
import { AddressInfo } from 'node:net';
import type { LoggerService } from '@nestjs/common';
import Fastify, { FastifyInstance, FastifyRequest } from 'fastify';
import { IdentityProject, IdentityRepository } from '../db/repositories/identity.repository';
import { registerAdminRoutes } from './identity-admin.routes';
import { forbidden, KeystoneError, keystoneErrorBody, notFound, unauthorized } from './keystone-errors';
import { DEFAULT_DOMAIN, TokenService, ValidToken } from './token.service';

export interface IdentityApiOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  repo: IdentityRepository;
  tokens: TokenService;
  logger?: LoggerService;
  /** Called with a revoked token's id (the api role drops it from its validation cache). */
  onRevoke?: (tokenId: string) => void;
}

const V3_MEDIA = [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }];

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s?.trim() || undefined;
}

const truthy = (v: unknown) => v !== undefined && !['0', 'false', 'no', 'off'].includes(String(v).toLowerCase());

export class IdentityApiServer {
  private readonly app: FastifyInstance;
  private publicUrl = '';

  constructor(private readonly opts: IdentityApiOptions) {
    this.app = Fastify({ logger: false, exposeHeadRoutes: false, routerOptions: { ignoreTrailingSlash: true }, bodyLimit: 64 * 1024 });
    this.routes();
  }

  /** Listens; `publicBase` (e.g. http://127.0.0.1:5000) is what 401s announce. */
  async start(publicBase: (port: number) => string): Promise<{ port: number }> {
    await this.app.listen({ host: this.opts.host, port: this.opts.port });
    const port = (this.app.server.address() as AddressInfo).port;
    this.publicUrl = publicBase(port);
    return { port };
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  private base(req: FastifyRequest): string {
    return `${req.protocol}://${req.headers.host ?? req.hostname}`;
  }

  /** The caller's token (X-Auth-Token), valid, or 401. */
  private async caller(req: FastifyRequest): Promise<ValidToken> {
    const t = header(req, 'x-auth-token');
    const valid = t ? await this.opts.tokens.validate(t) : null;
    if (!valid) throw unauthorized();
    return valid;
  }

  private isAdmin(t: ValidToken): boolean {
    return t.roles.some((r) => r.name === 'admin');
  }

  private async mayRead(t: ValidToken, project: IdentityProject): Promise<boolean> {
    return this.isAdmin(t) || (await this.opts.repo.projectIdsOf(t.user.id)).includes(project.id);
  }

  private projectView(p: IdentityProject, base: string) {
    return {
      id: p.id, name: p.name, domain_id: p.domain_id, description: p.description, enabled: p.enabled,
      is_domain: false, parent_id: p.domain_id, tags: [], options: {}, links: { self: `${base}/v3/projects/${p.id}` },
    };
  }

  private versionView(base: string) {
    return { id: 'v3.14', status: 'stable', updated: '2020-04-07T00:00:00Z', links: [{ rel: 'self', href: `${base}/v3/` }], 'media-types': V3_MEDIA };
  }

  private listLinks(req: FastifyRequest) {
    return { self: `${this.base(req)}${req.url}`, previous: null, next: null };
  }

  private routes(): void {
    const app = this.app;
    const { repo, tokens } = this.opts;
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(new KeystoneError(400, 'Malformed request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'), undefined);
      }
    });
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
      if (String(body).length === 0) return done(null, undefined);
      done(new KeystoneError(415, 'Unsupported Content-Type: use application/json.'), undefined);
    });
    app.setErrorHandler((err, req, reply) => {
      let status = 500;
      let message = 'An unexpected error prevented the server from fulfilling your request.';
      const e = err as { statusCode?: number; message?: string };
      if (err instanceof KeystoneError) ({ status, message } = err);
      else if (typeof e.statusCode === 'number' && e.statusCode < 500) {
        status = e.statusCode;
        message = status === 413 ? 'Request is too large.' : 'The request could not be understood.';
      } else this.opts.logger?.error(`identity API ${req.method} ${req.url.split('?')[0]}: ${err instanceof Error ? err.stack : String(err)}`, 'identity');
      if (status === 401 && this.publicUrl) void reply.header('www-authenticate', `Keystone uri="${this.publicUrl}"`);
      void reply.code(status).header('content-type', 'application/json').send(JSON.stringify(keystoneErrorBody(status, message)));
    });
    app.setNotFoundHandler((_req, reply) => {
      void reply.code(404).header('content-type', 'application/json').send(JSON.stringify(keystoneErrorBody(404, 'The resource could not be found.')));
    });

    app.get('/', async (req, reply) => reply.code(300).send({ versions: { values: [this.versionView(this.base(req))] } }));
    app.get('/v3', async (req) => ({ version: this.versionView(this.base(req)) }));

    app.post('/v3/auth/tokens', async (req, reply) => {
      const { tokenId, token } = await tokens.issue(req.body, req.ip);
      const q = req.query as Record<string, string>;
      return reply.code(201).header('x-subject-token', tokenId).send(tokens.document(token, !truthy(q.nocatalog)));
    });

    /** The subject token, after checking the caller may look at it (admin, service, or its own user). */
    const subject = async (req: FastifyRequest): Promise<{ id: string; token: ValidToken | null; caller: ValidToken }> => {
      const caller = await this.caller(req);
      const id = header(req, 'x-subject-token');
      if (!id) throw new KeystoneError(400, 'Expecting to find X-Subject-Token in request headers.');
      const token = await tokens.validate(id);
      if (token && !(this.isAdmin(caller) || caller.roles.some((r) => r.name === 'service') || caller.user.id === token.user.id)) throw forbidden();
      return { id, token, caller };
    };

    app.get('/v3/auth/tokens', async (req, reply) => {
      const { id, token } = await subject(req);
      if (!token) throw notFound('token');
      const q = req.query as Record<string, string>;
      return reply.header('x-subject-token', id).send(tokens.document(token, !truthy(q.nocatalog)));
    });
    app.head('/v3/auth/tokens', async (req, reply) => {
      const { id, token } = await subject(req);
      if (!token) throw notFound('token');
      return reply.code(200).header('x-subject-token', id).send();
    });
    app.delete('/v3/auth/tokens', async (req, reply) => {
      const { id, token, caller } = await subject(req);
      if (!token || !await tokens.revoke(id)) throw notFound('token');
      this.opts.onRevoke?.(id);
      this.opts.logger?.log(`token ${token.stored.audit_id} of user ${token.user.id} revoked by user ${caller.user.id}`, 'identity');
      return reply.code(204).send();
    });

    app.get('/v3/auth/catalog', async (req) => {
      const caller = await this.caller(req);
      const doc = tokens.document(caller, true).token as { catalog?: unknown[] };
      return { catalog: doc.catalog ?? [], links: this.listLinks(req) };
    });

    const ownProjects = async (userId: string, base: string) => {
      const ids = await repo.projectIdsOf(userId);
      return (await repo.listProjects({ ids })).filter((p) => p.enabled).map((p) => this.projectView(p, base));
    };
    app.get('/v3/auth/projects', async (req) => {
      const caller = await this.caller(req);
      return { projects: await ownProjects(caller.user.id, this.base(req)), links: this.listLinks(req) };
    });
    app.get<{ Params: { id: string } }>('/v3/users/:id/projects', async (req) => {
      const caller = await this.caller(req);
      if (caller.user.id !== req.params.id && !this.isAdmin(caller)) throw forbidden();
      if (!await repo.getUser(req.params.id)) throw notFound(`user: ${req.params.id}`);
      return { projects: await ownProjects(req.params.id, this.base(req)), links: this.listLinks(req) };
    });

    app.get('/v3/projects', async (req) => {
      const caller = await this.caller(req);
      const q = req.query as Record<string, string>;
      let projects = await repo.listProjects({ name: str(q.name), domain_id: str(q.domain_id) });
      if (!this.isAdmin(caller)) {
        const mine = new Set(await repo.projectIdsOf(caller.user.id));
        projects = projects.filter((p) => mine.has(p.id));
      }
      return { projects: projects.map((p) => this.projectView(p, this.base(req))), links: this.listLinks(req) };
    });
    app.get<{ Params: { id: string } }>('/v3/projects/:id', async (req) => {
      const caller = await this.caller(req);
      const p = await repo.getProject(req.params.id);
      // Not distinguishing "forbidden" from "absent" keeps other projects' ids private.
      if (!p || !await this.mayRead(caller, p)) {
        if (p && !this.isAdmin(caller)) throw forbidden();
        throw notFound(`project: ${req.params.id}`);
      }
      return { project: this.projectView(p, this.base(req)) };
    });

    const userView = (u: { id: string; name: string; domain_id: string; enabled: boolean }, base: string) => ({
      id: u.id, name: u.name, domain_id: u.domain_id, enabled: u.enabled, password_expires_at: null, options: {}, links: { self: `${base}/v3/users/${u.id}` },
    });
    registerAdminRoutes(app, {
      repo, caller: (req) => this.caller(req), isAdmin: (t) => this.isAdmin(t), base: (req) => this.base(req),
      projectView: (p, base) => this.projectView(p, base), userView,
      log: (message) => this.opts.logger?.log(message, 'identity'),
    });
    app.get('/v3/users', async (req) => {
      const caller = await this.caller(req);
      if (!this.isAdmin(caller)) throw forbidden();
      const q = req.query as Record<string, string>;
      return { users: (await repo.listUsers({ name: str(q.name) })).map((u) => userView(u, this.base(req))), links: this.listLinks(req) };
    });
    app.get<{ Params: { id: string } }>('/v3/users/:id', async (req) => {
      const caller = await this.caller(req);
      if (caller.user.id !== req.params.id && !this.isAdmin(caller)) throw forbidden();
      const u = await repo.getUser(req.params.id);
      if (!u) throw notFound(`user: ${req.params.id}`);
      return { user: userView(u, this.base(req)) };
    });

    app.get('/v3/roles', async (req) => {
      const caller = await this.caller(req);
      if (!this.isAdmin(caller)) throw forbidden();
      const q = req.query as Record<string, string>;
      const roles = (await repo.listRoles()).filter((r) => q.name === undefined || r.name === q.name);
      return { roles: roles.map((r) => ({ id: r.id, name: r.name, domain_id: null, description: null, options: {}, links: { self: `${this.base(req)}/v3/roles/${r.id}` } })), links: this.listLinks(req) };
    });

    const domainView = (base: string) => ({
      id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name, description: 'The default domain', enabled: true, tags: [], options: {}, links: { self: `${base}/v3/domains/${DEFAULT_DOMAIN.id}` },
    });
    app.get('/v3/domains', async (req) => {
      await this.caller(req);
      const q = req.query as Record<string, string>;
      const match = q.name === undefined || q.name.toLowerCase() === DEFAULT_DOMAIN.name.toLowerCase();
      return { domains: match ? [domainView(this.base(req))] : [], links: this.listLinks(req) };
    });
    app.get<{ Params: { id: string } }>('/v3/domains/:id', async (req) => {
      await this.caller(req);
      if (req.params.id.toLowerCase() !== DEFAULT_DOMAIN.id) throw notFound(`domain: ${req.params.id}`);
      return { domain: domainView(this.base(req)) };
    });
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
