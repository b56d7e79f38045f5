/**
 * A Glance v2 client over HTTP (node's fetch), used by the api role (snapshot records, rebuild
 * image checks) and by computes (snapshot uploads, unshelve). Image data streams both ways:
 * nothing is buffered in memory.
 *
 * Endpoint: the first `[glance] api_servers` entry when set, else the built-in image service of
 * the api role: `http://<[image_service] listen, 0.0.0.0 → 127.0.0.1>:<listen_port>`. With
 * `listen_port = 0` (tests) the api role learns its port only after start and announces it with
 * `setBuiltInImageEndpoint`; a compute in another process then needs a fixed port.
 *
 * Authentication: with `auth_strategy = noauth2` the caller's identity is sent as the token
 * `user_id:project_id` (what the built-in service and the Compute API accept). With keystone the
 * user's token when it travels with the work (`authToken`), else a token of nova's service user
 * from `[keystone_authtoken]` (auth_url, username, password, project_name: admin in Glance's
 * eyes), e.g. a compute downloading an image for a build or acting long after the request.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Conflict, Forbidden, Invalid, NotFound, NovaError, ServiceUnavailable, Unauthorized } from '../common/errors';
import type { NovaConf } from '../config/options';
import type { CallerContext, ImageMeta } from '../objects/build.object';
import { sharedServiceTokenSource } from '../api/auth/service-token';

/** Glance's image document as this client returns it: base attributes plus custom properties. */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: string;
  visibility: string;
  owner: string | null;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  min_disk: number;
  min_ram: number;
  created_at: string;
  /** Custom properties (string values only). */
  properties: Record<string, string>;
}

/** Fields of a new image (custom properties are flattened into the body, as Glance v2 wants). */
export interface NewGlanceImage {
  name: string;
  owner?: string;
  visibility?: string;
  disk_format?: string | null;
  container_format?: string | null;
  min_disk?: number;
  min_ram?: number;
  properties?: Record<string, string>;
}

export class ImageNotFound extends NotFound {}
export class ImageServiceError extends NovaError {}
export class ImageServiceUnavailable extends ServiceUnavailable {}

const BASE_KEYS = new Set(['id', 'name', 'status', 'visibility', 'protected', 'os_hidden', 'checksum', 'os_hash_algo', 'os_hash_value',
  'size', 'virtual_size', 'disk_format', 'container_format', 'min_disk', 'min_ram', 'owner', 'tags', 'created_at', 'updated_at',
  'self', 'file', 'schema', 'locations', 'direct_url', 'stores']);

let builtInEndpoint: string | null = null;

/** Called by serve.ts once the built-in image service listens (its port may have been 0). */
export function setBuiltInImageEndpoint(url: string | null): void {
  builtInEndpoint = url ? url.replace(/\/+$/, '') : null;
}

/** The image API base URL (without `/v2`). */
export function imageEndpoint(conf: NovaConf): string {
  const servers = conf.glance.api_servers ?? [];
  if (servers.length > 0) return servers[0].replace(/\/+$/, '').replace(/\/v2$/, '');
  if (builtInEndpoint) return builtInEndpoint;
  const s = conf.image_service;
  const host = s.listen === '0.0.0.0' || s.listen === '::' || s.listen === '' ? '127.0.0.1' : s.listen;
  return `http://${host.includes(':') ? `[${host}]` : host}:${s.listen_port}`;
}

/** The token to send for the caller (see the header comment). */
export function imageToken(conf: NovaConf, ctx: Pick<CallerContext, 'user_id' | 'project_id'>, authToken?: string | null): string {
  if (conf.api.auth_strategy === 'noauth2') return `${ctx.user_id}:${ctx.project_id}`;
  if (authToken) return authToken;
  throw new ImageServiceError('No token to call the image service with: keystone service tokens are not supported yet.');
}

/** A token, or a source of (service) tokens. */
export type ImageToken = string | (() => Promise<string>);

/** imageToken, falling back to nova's service token (see the header comment). */
export function imageTokenOrService(conf: NovaConf, ctx: Pick<CallerContext, 'user_id' | 'project_id'>, authToken?: string | null): ImageToken {
  if (conf.api.auth_strategy === 'noauth2' || authToken) return imageToken(conf, ctx, authToken);
  const service = sharedServiceTokenSource(conf);
  if (service) return () => service.get();
  throw new ImageServiceError('No token to call the image service with: the request carried none and [keystone_authtoken] has no service user (auth_url, username, password).');
}

/** A client for one caller. */
export function glanceFor(conf: NovaConf, ctx: Pick<CallerContext, 'user_id' | 'project_id'>, authToken?: string | null): GlanceClient {
  return new GlanceClient(imageEndpoint(conf), imageTokenOrService(conf, ctx, authToken));
}

/** Nova's ImageMeta (what the scheduler and the driver read) of a Glance image. */
export function glanceImageMeta(img: GlanceImage): ImageMeta {
  return {
    id: img.id, name: img.name, disk_format: img.disk_format, container_format: img.container_format, size: img.size,
    min_disk: img.min_disk, min_ram: img.min_ram, properties: img.properties,
  };
}

export class GlanceClient {
  constructor(readonly endpoint: string, private readonly token: ImageToken) {}

  async create(image: NewGlanceImage): Promise<GlanceImage> {
    const body: Record<string, unknown> = { ...(image.properties ?? {}), name: image.name };
    for (const k of ['owner', 'visibility', 'disk_format', 'container_format', 'min_disk', 'min_ram'] as const) {
      if (image[k] !== undefined && image[k] !== null) body[k] = image[k];
    }
    const res = await this.send('POST', '/v2/images', { json: body });
    return toImage(await res.json());
  }

  async get(id: string): Promise<GlanceImage> {
    const res = await this.send('GET', `/v2/images/${encodeURIComponent(id)}`, { notFound: id });
    return toImage(await res.json());
  }

  /** Every image matching `query` (pages followed), newest first. */
  async list(query: Record<string, string> = {}): Promise<GlanceImage[]> {
    const out: GlanceImage[] = [];
    let marker: string | undefined;
    for (;;) {
      const params = new URLSearchParams({ ...query, limit: '1000', sort_key: 'created_at', sort_dir: 'desc' });
      if (marker) params.set('marker', marker);
      const res = await this.send('GET', `/v2/images?${params.toString()}`);
      const page = (await res.json()) as { images?: unknown[]; next?: string };
      const images = (page.images ?? []).map(toImage);
      out.push(...images);
      if (!page.next || images.length === 0) return out;
      marker = images[images.length - 1].id;
    }
  }

  /** JSON-patch `replace`/`add` of base attributes or properties. */
  async update(id: string, changes: Record<string, string | number | null>): Promise<GlanceImage> {
    const current = await this.get(id);
    const ops = Object.entries(changes).map(([k, v]) => {
      const exists = BASE_KEYS.has(k) || Object.prototype.hasOwnProperty.call(current.properties, k);
      return { op: exists ? 'replace' : 'add', path: `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: v };
    });
    const res = await this.send('PATCH', `/v2/images/${encodeURIComponent(id)}`, {
      body: JSON.stringify(ops), contentType: 'application/openstack-images-v2.1-json-patch', notFound: id,
    });
    return toImage(await res.json());
  }

  /** Deletes the image; an image already gone is fine. */
  async delete(id: string): Promise<void> {
    try {
      await this.send('DELETE', `/v2/images/${encodeURIComponent(id)}`, { notFound: id });
    } catch (err) {
      if (!(err instanceof ImageNotFound)) throw err;
    }
  }

  /** Streams `data` into the image (PUT /v2/images/{id}/file). */
  async upload(id: string, data: NodeJS.ReadableStream): Promise<void> {
    const source = data instanceof Readable ? data : Readable.from(data as AsyncIterable<Buffer>);
    await this.send('PUT', `/v2/images/${encodeURIComponent(id)}/file`, {
      body: Readable.toWeb(source) as unknown as ReadableStream, contentType: 'application/octet-stream', notFound: id,
    });
  }

  /** The image's data as a stream (null when the image has none). */
  async download(id: string): Promise<Readable | null> {
    const res = await this.send('GET', `/v2/images/${encodeURIComponent(id)}/file`, { notFound: id });
    if (res.status === 204 || !res.body) return null;
    return Readable.fromWeb(res.body as unknown as WebReadableStream);
  }

  private async send(method: string, path: string, opts: { json?: unknown; body?: RequestInit['body']; contentType?: string; notFound?: string } = {}): Promise<Response> {
    const headers: Record<string, string> = { 'X-Auth-Token': typeof this.token === 'string' ? this.token : await this.token(), Accept: 'application/json' };
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers['Content-Type'] = 'application/json';
    } else if (opts.contentType) headers['Content-Type'] = opts.contentType;
    let res: Response;
    try {
      res = await fetch(`${this.endpoint}${path}`, { method, headers, body, ...(body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err instanceof Error ? err.message : String(err));
      throw new ImageServiceUnavailable(`Connection to glance host ${this.endpoint} failed: ${cause}`);
    }
    if (res.ok) return res;
    const message = await errorMessage(res);
    switch (res.status) {
      case 400: throw new Invalid(`Image service refused the request: ${message}`);
      case 401: throw new Unauthorized(`Image service did not accept the token: ${message}`);
      case 403: throw new Forbidden(`Not authorized for image ${opts.notFound ?? ''}: ${message}`.replace(' image :', ':'));
      case 404: throw opts.notFound ? new ImageNotFound(`Image ${opts.notFound} could not be found.`) : new ImageServiceError(`Image service ${method} ${path}: 404 ${message}`);
      case 409: throw new Conflict(`Image service conflict: ${message}`);
      case 413: throw new Forbidden(`Image storage quota exceeded: ${message}`);
      default: throw new ImageServiceError(`Image service ${method} ${path} failed: ${res.status} ${message}`);
    }
  }

  /** The image document exactly as Glance returns it (every attribute; the images proxy needs them all). */
  async getDocument(id: string): Promise<Record<string, unknown>> {
    const res = await this.send('GET', `/v2/images/${encodeURIComponent(id)}`, { notFound: id });
    return (await res.json()) as Record<string, unknown>;
  }

  /** Every image document matching `query` (Glance's filters), pages followed, in Glance's default order. */
  async listDocuments(query: Record<string, string> = {}): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    let marker: string | undefined;
    for (;;) {
      const params = new URLSearchParams({ ...query, limit: '1000' });
      if (marker) params.set('marker', marker);
      const res = await this.send('GET', `/v2/images?${params.toString()}`);
      const page = (await res.json()) as { images?: unknown[]; next?: string };
      const images = (page.images ?? []).filter((i): i is Record<string, unknown> => typeof i === 'object' && i !== null && !Array.isArray(i));
      out.push(...images);
      if (!page.next || images.length === 0) return out;
      marker = String(images[images.length - 1].id);
    }
  }

  /** Applies JSON-patch operations (add/replace/remove of `/<attribute>`); returns the updated document. */
  async patchDocument(id: string, ops: Array<{ op: 'add' | 'replace' | 'remove'; path: string; value?: unknown }>): Promise<Record<string, unknown>> {
    const res = await this.send('PATCH', `/v2/images/${encodeURIComponent(id)}`, {
      body: JSON.stringify(ops), contentType: 'application/openstack-images-v2.1-json-patch', notFound: id,
    });
    return (await res.json()) as Record<string, unknown>;
  }
}

async function errorMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { message?: string };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // plain text body
  }
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length > 1 ? lines.slice(1).join(' ') : (lines[0] ?? res.statusText);
}

function toImage(raw: unknown): GlanceImage {
  const o = (raw ?? {}) as Record<string, unknown>;
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) if (!BASE_KEYS.has(k) && typeof v === 'string') properties[k] = v;
  const num = (v: unknown) => (typeof v === 'number' ? v : v === null || v === undefined ? null : Number(v));
  return {
    id: String(o.id), name: (o.name as string | null) ?? null, status: String(o.status ?? ''), visibility: String(o.visibility ?? ''),
    owner: (o.owner as string | null) ?? null, disk_format: (o.disk_format as string | null) ?? null,
    container_format: (o.container_format as string | null) ?? null, size: num(o.size), min_disk: Number(o.min_disk ?? 0),
    min_ram: Number(o.min_ram ?? 0), created_at: String(o.created_at ?? ''), properties,
  };
}
