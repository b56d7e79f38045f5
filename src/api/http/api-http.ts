/**
 * The HTTP edge of the Compute API, as fastify hooks around the Nest controllers:
 * - `/v2.1/{project_id}/...` is routed like `/v2.1/...` (the project id is checked against the token);
 * - every `/v2.1` response carries `x-openstack-request-id` and `x-compute-request-id`;
 * - `/v2.1/<anything>` needs a valid token (401 otherwise), then the microversion is negotiated
 *   (400 malformed, 406 out of range) and echoed with `Vary` on every versioned response;
 * - bodies must be JSON (415 otherwise; 400 `Malformed request body` when they do not parse);
 * - unrouted paths answer as Nova's router does: plain-text 404 under /v2.1, 300 elsewhere.
 * Errors raised here or by fastify reach Nest's exception filter (ApiExceptionFilter).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Invalid, UnsupportedMediaType } from '../../common/errors';
import { ApiVersion, fmt, negotiate, VersionNotAcceptable } from '../microversion/api-version';
import { renderFault } from '../errors/fault';
import type { AuthStrategy } from '../auth/identity';
import type { RequestContext } from './request-context';

const URL_PROJECT = Symbol('urlProjectId');
const GLOBAL_REQ_ID_RE = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

declare module 'fastify' {
  interface FastifyRequest {
    nova?: RequestContext;
    novaRequestId?: string;
    novaVersion?: ApiVersion;
  }
}

type RawWithProject = IncomingMessage & { [URL_PROJECT]?: string };

/**
 * fastify `rewriteUrl`: strips a project id segment (remembering it) and a trailing slash, so
 * `/v2.1/{project_id}/flavors/` routes as `/v2.1/flavors`.
 */
export function rewriteProjectUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let path = q >= 0 ? url.slice(0, q) : url;
  const query = q >= 0 ? url.slice(q) : '';
  const m = /^\/v2\.1\/([0-9a-f-]+)(\/.*)$/.exec(path);
  if (m) {
    (req as RawWithProject)[URL_PROJECT] = m[1];
    path = `/v2.1${m[2]}`;
  }
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path + query;
}

export interface ApiHttpDeps {
  auth: AuthStrategy;
  isAdmin(roles: string[], userId: string, projectId: string): boolean;
  authUri?: string;
}

function sendFault(reply: FastifyReply, err: unknown, authUri?: string): FastifyReply {
  const f = renderFault(err, authUri);
  reply.code(f.status);
  for (const [k, v] of Object.entries(f.headers)) reply.header(k, v);
  return reply.send(JSON.stringify(f.body));
}

function isVersionDoc(path: string): boolean {
  return path === '/v2.1' || path === '/v2.1/' || path.startsWith('/v2.1/versions/');
}

export function installApiHooks(app: FastifyInstance, deps: ApiHttpDeps): void {
  // Bodies: JSON only. An empty body reaches the controller as undefined.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'application/vnd.openstack.compute+json'], { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new Invalid('Malformed request body'), undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    if (String(body).length === 0) return done(null, undefined);
    done(new UnsupportedMediaType('Unsupported Content-Type'), undefined);
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0];
    if (!(path === '/v2.1' || path.startsWith('/v2.1/'))) return;
    req.novaRequestId = `req-${randomUUID()}`;
    try {
      let identity = null;
      if (!isVersionDoc(path)) identity = await deps.auth.authenticate(req.headers);
      try {
        req.novaVersion = negotiate(req.headers);
      } catch (err) {
        if (err instanceof VersionNotAcceptable) req.novaVersion = err.requested;
        throw err;
      }
      if (identity) {
        const urlProjectId = (req.raw as RawWithProject)[URL_PROJECT] ?? null;
        if (urlProjectId !== null && urlProjectId !== identity.projectId) {
          throw new Invalid(`Malformed request URL: URL's project_id '${urlProjectId}' doesn't match Context's project_id '${identity.projectId}'`);
        }
        const inbound = req.headers['x-openstack-request-id'];
        const globalId = typeof inbound === 'string' && GLOBAL_REQ_ID_RE.test(inbound) ? inbound : null;
        req.nova = {
          requestId: req.novaRequestId,
          globalRequestId: globalId,
          userId: identity.userId,
          projectId: identity.projectId,
          roles: identity.roles,
          isAdmin: deps.isAdmin(identity.roles, identity.userId, identity.projectId),
          authToken: String(req.headers['x-auth-token'] ?? ''),
          version: req.novaVersion,
          urlProjectId,
          baseUrl: `${req.protocol}://${req.headers.host ?? 'localhost'}`,
        };
      }
    } catch (err) {
      return sendFault(reply, err, deps.authUri);
    }
  });

  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (req.novaRequestId) {
      if (!reply.hasHeader('x-openstack-request-id')) reply.header('x-openstack-request-id', req.novaRequestId);
      if (!reply.hasHeader('x-compute-request-id')) reply.header('x-compute-request-id', req.novaRequestId);
    }
    if (req.novaVersion) {
      const v = fmt(req.novaVersion);
      reply.header('openstack-api-version', `compute ${v}`);
      reply.header('x-openstack-nova-api-version', v);
      reply.header('vary', ['OpenStack-API-Version', 'X-OpenStack-Nova-API-Version']);
    }
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json; charset=utf-8')) reply.header('content-type', 'application/json');
    return payload;
  });
}

/** What an unrouted path gets: Nova's router answers plain text under /v2.1, and 300 elsewhere. */
export function sendUnrouted(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = req.url.split('?')[0];
  if (path === '/v2.1' || path.startsWith('/v2.1/') || path === '/v2' || path.startsWith('/v2/')) {
    reply.code(404).header('content-type', 'text/plain; charset=UTF-8');
    return reply.send('404 Not Found\n\nThe resource could not be found.\n\n   ');
  }
  const base = `${req.protocol}://${req.headers.host ?? 'localhost'}`;
  const choice = (id: string, status: string, prefix: string) => ({
    id,
    status,
    links: [{ rel: 'self', href: `${base}/${prefix}${path}` }],
    'media-types': [{ base: 'application/json', type: `application/vnd.openstack.compute+json;version=${id.slice(1)}` }],
  });
  reply.code(300).header('content-type', 'application/json');
  return reply.send(JSON.stringify({ choices: [choice('v2.0', 'SUPPORTED', 'v2'), choice('v2.1', 'CURRENT', 'v2.1')] }));
}
