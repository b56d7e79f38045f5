import { DataSource, Repository } from 'typeorm';
import { Conflict } from '../../common/errors';
import { ImageChanges, ImageDataFields, ImageListFilters, ImageRecord, ImageViewer } from '../../objects/image.object';
import { ImageEntity } from '../entities';
import { uniqueViolation } from '../db-helpers';
import { nowSeconds } from './service.repository';

/** Images of the built-in image service (API database). Deleted images are soft-deleted rows. */
export class ImageRepository {
  private readonly repo: Repository<ImageEntity>;

  constructor(ds: DataSource) {
    this.repo = ds.getRepository(ImageEntity);
  }

  /** Stores a new `queued` image; a duplicate id is Conflict (Glance's 409). */
  async create(id: string, owner: string | null, fields: ImageChanges): Promise<ImageRecord> {
    const now = nowSeconds();
    try {
      await this.repo.insert({
        id, owner: fields.owner ?? owner, status: 'queued',
        name: fields.name ?? null, visibility: fields.visibility ?? 'shared', protected: fields.protected ?? false,
        os_hidden: fields.os_hidden ?? false, disk_format: fields.disk_format ?? null,
        container_format: fields.container_format ?? null, min_disk: fields.min_disk ?? 0, min_ram: fields.min_ram ?? 0,
        properties: JSON.stringify(fields.properties ?? {}), tags: JSON.stringify(fields.tags ?? []),
        checksum: null, os_hash_algo: null, os_hash_value: null, size: null, virtual_size: null,
        created_at: now, updated_at: now, deleted_at: null, deleted: false,
      });
    } catch (err) {
      if (uniqueViolation(err) !== null) throw new Conflict(`Image with identifier ${id} already exists!`);
      throw err;
    }
    return toRecord(await this.repo.findOneByOrFail({ id }));
  }

  /** A live image, or null. Visibility is the caller's business. */
  async get(id: string): Promise<ImageRecord | null> {
    const row = await this.repo.findOneBy({ id, deleted: false });
    return row ? toRecord(row) : null;
  }

  /**
   * Live images the viewer may see, matching the filters (unsorted: the caller sorts and pages,
   * so both engines order alike whatever their collation).
   */
  async list(viewer: ImageViewer, filters: ImageListFilters): Promise<ImageRecord[]> {
    const qb = this.repo.createQueryBuilder('i').where('i.deleted = :deleted', { deleted: false });
    if (!viewer.admin) {
      if (filters.visibility === 'community') qb.andWhere('i.visibility = :community', { community: 'community' });
      else qb.andWhere('(i.visibility = :public OR i.owner = :project)', { public: 'public', project: viewer.projectId });
    }
    if (filters.visibility !== undefined && filters.visibility !== 'all') qb.andWhere('i.visibility = :visibility', { visibility: filters.visibility });
    if (filters.name !== undefined) qb.andWhere('i.name = :name', { name: filters.name });
    if (filters.status !== undefined) qb.andWhere('i.status = :status', { status: filters.status });
    if (filters.owner !== undefined) qb.andWhere('i.owner = :owner', { owner: filters.owner });
    qb.andWhere('i.os_hidden = :hidden', { hidden: filters.os_hidden ?? false });
    return (await qb.getMany()).map(toRecord);
  }

  /** Applies changes when the image is live and (if given) in one of `statuses`; false otherwise. */
  async update(id: string, changes: ImageChanges & Partial<ImageDataFields> & { status?: string }, statuses?: string[]): Promise<boolean> {
    const values: Partial<ImageEntity> = { updated_at: nowSeconds() };
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined) continue;
      if (k === 'properties' || k === 'tags') (values as Record<string, unknown>)[k] = JSON.stringify(v);
      else (values as Record<string, unknown>)[k] = v;
    }
    const qb = this.repo.createQueryBuilder().update(ImageEntity).set(values)
      .where('id = :id AND deleted = :deleted', { id, deleted: false });
    if (statuses) qb.andWhere('status IN (:...statuses)', { statuses });
    const result = await qb.execute();
    return (result.affected ?? 0) > 0;
  }

  /** Glance's delete: status `deleted`, soft-deleted row. False when already gone. */
  async softDelete(id: string): Promise<boolean> {
    const now = nowSeconds();
    const result = await this.repo.createQueryBuilder().update(ImageEntity)
      .set({ status: 'deleted', deleted: true, deleted_at: now, updated_at: now })
      .where('id = :id AND deleted = :deleted', { id, deleted: false }).execute();
    return (result.affected ?? 0) > 0;
  }
}

function num(v: string | number | null): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

function toRecord(row: ImageEntity): ImageRecord {
  return {
    id: row.id, name: row.name, status: row.status, visibility: row.visibility, owner: row.owner,
    protected: Boolean(row.protected), os_hidden: Boolean(row.os_hidden), checksum: row.checksum,
    os_hash_algo: row.os_hash_algo, os_hash_value: row.os_hash_value, size: num(row.size),
    virtual_size: num(row.virtual_size), disk_format: row.disk_format, container_format: row.container_format,
    min_disk: Number(row.min_disk), min_ram: Number(row.min_ram),
    properties: parseJson<Record<string, string>>(row.properties, {}), tags: parseJson<string[]>(row.tags, []),
    created_at: new Date(row.created_at), updated_at: new Date(row.updated_at ?? row.created_at),
  };
}
