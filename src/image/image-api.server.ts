/**
 * The built-in image endpoint: a standalone fastify server speaking the subset of Glance v2 that
 * the openstack CLI and compute hosts use. Same noauth2 tokens as the Compute API (X-Auth-Token
 * `user:project`; user admin is admin). Upload bodies are streamed to disk, never parsed.
 */
import { randomUUID } from 'node:crypto';
import { AddressInfo } from 'node:net';
import type { LoggerService } from '@nestjs/common';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthStrategy } from '../api/auth/identity';
import { ImageRepository } from '../db/repositories/image.repository';
import { ImageRecord } from '../objects/image.object';
import { conflict, forbidden, ImageApiError, notFound, renderError } from './image-errors';
import { nextLink, pageImages, parseListQuery } from './image-list';
import { applyPatch, PATCH_MEDIA_TYPES } from './image-patch';
import { Caller, parseCreateBody } from './image-rules';
import { ImageSizeExceeded, ImageStore } from './image-store';
import { imageView, versionsView } from './image.views';

export interface ImageApiOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  repo: ImageRepository;
  store: ImageStore;
  auth: AuthStrategy;
  logger?: LoggerService;
  /** Largest upload accepted, bytes (Glance's image_size_cap, 1 TiB). */
  maxImageSize?: number;
  /**
   * The identity URL announced on 401 as `WWW-Authenticate: Keystone uri="..."` (what
   * keystonemiddleware adds in front of Glance); read per response (the built-in identity's port
   * may be known only after start). Undefined: no header (noauth2).
   */
  authUri?: () => string | undefined;
}

type Params = { id: string };

/** How long close() lets requests in flight finish before it closes their connections. */
const CLOSE_GRACE_MS = 3_000;

export class ImageApiServer {
  private readonly app: FastifyInstance;

  constructor(private readonly opts: ImageApiOptions) {
    this.app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true }, bodyLimit: 1024 * 1024 });
    this.routes();
  }

  async start(): Promise<{ port: number }> {
    await this.opts.store.init();
    await this.app.listen({ host: this.opts.host, port: this.opts.port });
    return { port: (this.app.server.address() as AddressInfo).port };
  }

  /**
   * Stops listening and waits for requests in flight. A keep-alive connection whose last response
   * was a large streamed file still looks busy to node's idle check, so fastify's close would wait
   * for the client to drop it (undici keeps it for minutes); after `graceMs` such connections are
   * closed.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    const timer = setTimeout(() => this.app.server.closeAllConnections(), graceMs);
    try {
      await this.app.close();
    } finally {
      clearTimeout(timer);
    }
  }

  private async caller(req: FastifyRequest): Promise<Caller> {
    try {
      const id = await this.opts.auth.authenticate(req.headers);
      return { projectId: id.projectId, admin: id.roles.includes('admin') };
    } catch {
      throw new ImageApiError(401, 'This server could not verify that you are authorized to access the document you requested.');
    }
  }

  /** The image if the caller may see it; else Glance's 404. */
  private async visible(id: string, caller: Caller): Promise<ImageRecord> {
    const image = await this.opts.repo.get(id);
    if (!image || !(caller.admin || image.owner === caller.projectId || image.visibility === 'public' || image.visibility === 'community')) {
      throw notFound(`No image found with ID ${id}`);
    }
    return image;
  }

  private mayModify(image: ImageRecord, caller: Caller): boolean {
    return caller.admin || image.owner === caller.projectId;
  }

  private routes(): void {
    const app = this.app;
    const opts = this.opts;
    // Upload bodies stay unread streams (request.raw); the JSON-patch media types parse as JSON.
    app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    app.addContentTypeParser(PATCH_MEDIA_TYPES, { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new ImageApiError(400, 'Malformed JSON in request body.'), undefined);
      }
    });
    app.setErrorHandler((err, req, reply) => {
      let status = 500;
      let message = 'The server has either erred or is incapable of performing the requested operation.';
      const e = err as { statusCode?: number; message?: string };
      if (err instanceof ImageApiError) ({ status, message } = err);
      else if (typeof e.statusCode === 'number' && e.statusCode < 500) {
        status = e.statusCode;
        message = e.statusCode === 400 ? 'Malformed JSON in request body.' : (e.message ?? '');
      } else opts.logger?.error(`image API ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`, 'image');
      if (!req.raw.readableEnded) req.raw.resume();
      const r = renderError(status, message, req.headers.accept);
      const uri = status === 401 ? opts.authUri?.() : undefined;
      if (uri) void reply.header('www-authenticate', `Keystone uri="${uri}"`);
      void reply.code(status).header('content-type', r.contentType).send(r.body);
    });
    app.setNotFoundHandler((req, reply) => {
      const r = renderError(404, 'The resource could not be found.', req.headers.accept);
      if (!req.raw.readableEnded) req.raw.resume();
      void reply.code(404).header('content-type', r.contentType).send(r.body);
    });

    const versions = (req: FastifyRequest, reply: FastifyReply, code: number) =>
      reply.code(code).send(versionsView(`${req.protocol}://${req.headers.host ?? req.hostname}`));
    app.get('/', (req, reply) => versions(req, reply, 300));
    app.get('/versions', (req, reply) => versions(req, reply, 200));
    app.get('/v2', (req, reply) => versions(req, reply, 200));

    app.get('/v2/images', async (req) => {
      const caller = await this.caller(req);
      const q = req.query as Record<string, string | string[]>;
      const query = parseListQuery(q);
      const all = await opts.repo.list({ projectId: caller.projectId, admin: caller.admin }, query.filters);
      const { page, nextMarker } = pageImages(all, query);
      const body: Record<string, unknown> = { images: page.map(imageView), first: '/v2/images', schema: '/v2/schemas/images' };
      if (nextMarker) body.next = nextLink(q, nextMarker);
      return body;
    });

    app.post('/v2/images', async (req, reply) => {
      const caller = await this.caller(req);
      const { id, changes } = parseCreateBody(req.body, caller);
      const image = await opts.repo.create(id ?? randomUUID(), caller.projectId, changes);
      return reply.code(201).header('location', `/v2/images/${image.id}`).send(imageView(image));
    });

    app.get<{ Params: Params }>('/v2/images/:id', async (req) => {
      const caller = await this.caller(req);
      return imageView(await this.visible(req.params.id, caller));
    });

    app.patch<{ Params: Params }>('/v2/images/:id', async (req) => {
      const caller = await this.caller(req);
      const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
      if (!PATCH_MEDIA_TYPES.includes(type)) {
        throw new ImageApiError(415, `Unsupported Content-Type; supported: ${PATCH_MEDIA_TYPES.join(', ')}`);
      }
      const image = await this.visible(req.params.id, caller);
      if (!this.mayModify(image, caller)) throw forbidden('You are not permitted to modify this image.');
      const changes = applyPatch(image, req.body, caller);
      if (Object.keys(changes).length) {
        if (!await opts.repo.update(image.id, changes)) throw notFound(`No image found with ID ${image.id}`);
      }
      return imageView(await this.visible(image.id, caller));
    });

    app.delete<{ Params: Params }>('/v2/images/:id', async (req, reply) => {
      const caller = await this.caller(req);
      const image = await this.visible(req.params.id, caller);
      if (!this.mayModify(image, caller)) throw forbidden('You are not permitted to delete this image.');
      if (image.protected) throw forbidden(`Image ${image.id} is protected and cannot be deleted.`);
      if (!await opts.repo.softDelete(image.id)) throw notFound(`No image found with ID ${image.id}`);
      await opts.store.delete(image.id);
      return reply.code(204).send();
    });

    app.put<{ Params: Params }>('/v2/images/:id/file', async (req, reply) => this.upload(req, reply));

    app.get<{ Params: Params }>('/v2/images/:id/file', async (req, reply) => {
      const caller = await this.caller(req);
      const image = await this.visible(req.params.id, caller);
      const data = image.status === 'active' ? await opts.store.read(image.id) : null;
      if (!data) return reply.code(204).send();
      reply.code(200).header('content-type', 'application/octet-stream').header('content-length', String(data.size));
      if (image.checksum) reply.header('content-md5', image.checksum);
      return reply.send(data.stream);
    });
  }

  /** PUT /v2/images/{id}/file: queued → saving → active (back to queued on failure); 204. */
  private async upload(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply): Promise<FastifyReply> {
    const caller = await this.caller(req);
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (type !== 'application/octet-stream') throw new ImageApiError(415, `Content type ${type || '(none)'} not supported; use application/octet-stream.`);
    const image = await this.visible(req.params.id, caller);
    if (!this.mayModify(image, caller)) throw forbidden('You are not permitted to upload data for this image.');
    if (!image.disk_format || !image.container_format) {
      throw new ImageApiError(400, 'Properties disk_format, container_format must be set prior to saving data.');
    }
    if (!await this.opts.repo.update(image.id, { status: 'saving' }, ['queued'])) {
      const now = await this.opts.repo.get(image.id);
      throw conflict(`Image status transition from ${now?.status ?? 'deleted'} to saving is not allowed`);
    }
    let data;
    try {
      data = await this.opts.store.write(image.id, req.raw, image.disk_format, this.opts.maxImageSize);
    } catch (err) {
      await this.opts.repo.update(image.id, { status: 'queued' }, ['saving']);
      if (err instanceof ImageSizeExceeded) throw new ImageApiError(413, err.message);
      throw err;
    }
    if (!await this.opts.repo.update(image.id, { status: 'active', ...data }, ['saving'])) {
      // Deleted while its data arrived.
      await this.opts.store.delete(image.id);
      throw conflict(`Image ${image.id} could not be found after upload. The image may have been deleted during the upload.`);
    }
    return reply.code(204).send();
  }
}
