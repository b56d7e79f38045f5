/**
 * Where the images proxy reads and changes images, on either backend:
 *   - `[glance] api_servers` unset: the built-in image service's images, straight from the API
 *     database (ImageRepository) and its image directory (for the data of a deleted image);
 *   - set: that Glance, over HTTP with the caller's identity (GlanceClient).
 * Both apply Glance's visibility (admins everything; others public, community and their
 * project's images) and its ownership rule for changes, and answer with Nova's errors.
 */
import { Conflict, Forbidden, NotFound } from '../../common/errors';
import type { NovaConf } from '../../config/options';
import type { ImageRepository } from '../../db/repositories/image.repository';
import { GlanceClient, glanceFor, imageEndpoint, ImageNotFound } from '../../image/glance-client';
import { ImageStore } from '../../image/image-store';
import type { RequestContext } from '../http/request-context';
import { callerOf } from '../servers/server-create.service';
import { withLinkPrefix } from '../views/image.view';
import type { ImageFilters } from './list-query';
import { fromGlanceDocument, fromRecord, mayModify, ProxyImage, visibleTo } from './proxy-image';

export const IMAGE_NOT_FOUND = 'Image not found.';

export interface ImageSource {
  /** The image service's URL for `alternate` links (with `[api] glance_link_prefix` applied). */
  readonly glanceUrl: string;
  /** Images the caller may see; `filters` may be applied partly (the caller filters again). */
  list(filters: ImageFilters): Promise<ProxyImage[]>;
  /** 404 `Image not found.` when missing or not visible. */
  get(id: string): Promise<ProxyImage>;
  /** 404 as get; 403 `You are not allowed to delete the image.` for non-owners and protected images. */
  delete(id: string): Promise<void>;
  /** Replaces the custom properties (purge_props=True); 403 `Not authorized for image <id>.` for non-owners. */
  setProperties(image: ProxyImage, properties: Record<string, unknown>): Promise<ProxyImage>;
}

/** Glance stores strings only: Nova JSON-encodes anything else (`_convert_to_string`). */
function stored(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? 'null';
}

class BuiltInImageSource implements ImageSource {
  private readonly viewer: { projectId: string; admin: boolean };

  constructor(private readonly repo: ImageRepository, private readonly store: ImageStore, ctx: RequestContext, readonly glanceUrl: string) {
    this.viewer = { projectId: ctx.projectId, admin: ctx.isAdmin };
  }

  async list(filters: ImageFilters): Promise<ProxyImage[]> {
    const rows = await this.repo.list({ projectId: this.viewer.projectId, admin: true }, { name: filters.name, status: filters.status });
    return rows.map(fromRecord).filter((i) => visibleTo(i, this.viewer));
  }

  async get(id: string): Promise<ProxyImage> {
    const row = await this.repo.get(id);
    const image = row ? fromRecord(row) : null;
    if (!image || !visibleTo(image, this.viewer)) throw new NotFound(IMAGE_NOT_FOUND);
    return image;
  }

  async delete(id: string): Promise<void> {
    const image = await this.get(id);
    if (!mayModify(image, this.viewer) || image.protected) throw new Forbidden('You are not allowed to delete the image.');
    if (!await this.repo.softDelete(image.id)) throw new NotFound(IMAGE_NOT_FOUND);
    await this.store.delete(image.id).catch(() => undefined);
  }

  async setProperties(image: ProxyImage, properties: Record<string, unknown>): Promise<ProxyImage> {
    if (!mayModify(image, this.viewer)) throw new Forbidden(`Not authorized for image ${image.id}.`);
    const props = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(properties)) props[k] = stored(v);
    if (!await this.repo.update(image.id, { properties: props })) throw new NotFound(IMAGE_NOT_FOUND);
    return this.get(image.id);
  }
}

class GlanceImageSource implements ImageSource {
  constructor(private readonly client: GlanceClient, private readonly admin: boolean, readonly glanceUrl: string) {}

  async list(filters: ImageFilters): Promise<ProxyImage[]> {
    const query: Record<string, string> = {};
    if (filters.name !== undefined) query.name = filters.name;
    if (filters.status !== undefined) query.status = filters.status;
    const docs = await this.client.listDocuments(query);
    // Glance lists community images of other projects only when asked for them.
    if (!this.admin) docs.push(...await this.client.listDocuments({ ...query, visibility: 'community' }));
    const seen = new Set<string>();
    const out: ProxyImage[] = [];
    for (const d of docs) {
      const image = fromGlanceDocument(d);
      if (seen.has(image.id)) continue;
      seen.add(image.id);
      out.push(image);
    }
    return out;
  }

  async get(id: string): Promise<ProxyImage> {
    try {
      return fromGlanceDocument(await this.client.getDocument(id));
    } catch (err) {
      if (err instanceof ImageNotFound) throw new NotFound(IMAGE_NOT_FOUND);
      throw err;
    }
  }

  async delete(id: string): Promise<void> {
    const image = await this.get(id);
    try {
      await this.client.delete(image.id);
    } catch (err) {
      if (err instanceof Forbidden) throw new Forbidden('You are not allowed to delete the image.');
      if (err instanceof Conflict) throw new Conflict(`Conflict deleting image. Reason: ${err.message}.`);
      throw err;
    }
  }

  async setProperties(image: ProxyImage, properties: Record<string, unknown>): Promise<ProxyImage> {
    const path = (k: string) => `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const ops: Array<{ op: 'add' | 'replace' | 'remove'; path: string; value?: unknown }> = [];
    for (const k of Object.keys(image.properties)) if (!Object.prototype.hasOwnProperty.call(properties, k)) ops.push({ op: 'remove', path: path(k) });
    for (const [k, v] of Object.entries(properties)) {
      const had = Object.prototype.hasOwnProperty.call(image.properties, k);
      if (had && image.properties[k] === v) continue;
      ops.push({ op: had ? 'replace' : 'add', path: path(k), value: stored(v) });
    }
    if (ops.length === 0) return image;
    try {
      return fromGlanceDocument(await this.client.patchDocument(image.id, ops));
    } catch (err) {
      if (err instanceof ImageNotFound) throw new NotFound(IMAGE_NOT_FOUND);
      if (err instanceof Forbidden) throw new Forbidden(`Not authorized for image ${image.id}.`);
      throw err;
    }
  }
}

/** The source for this request: the built-in service's database, or the configured Glance. */
export function imageSourceFor(conf: NovaConf, repo: ImageRepository, ctx: RequestContext): ImageSource {
  const glanceUrl = withLinkPrefix(imageEndpoint(conf), conf.api.glance_link_prefix);
  if ((conf.glance.api_servers ?? []).length === 0) {
    return new BuiltInImageSource(repo, new ImageStore(conf.image_service.image_dir), ctx, glanceUrl);
  }
  return new GlanceImageSource(glanceFor(conf, callerOf(ctx), ctx.authToken), ctx.isAdmin, glanceUrl);
}
