import { randomUUID } from 'node:crypto';
import { DataSource, In } from 'typeorm';
import { Conflict, Invalid, NotFound } from '../../common/errors';
import type { MigrationFilter, MigrationRecord, MigrationUpdates, NewMigration } from '../../objects/migration.object';
import { MigrationEntity } from '../entities';
import { isoOrNull } from '../db-helpers';
import { nowSeconds } from './service.repository';

/** Nova's `MigrationNotFoundByStatus` and friends: 404 unless the caller maps it. */
export class MigrationNotFound extends NotFound {}

/** The `migrations` table of the main database (Nova's `Migration` object). */
export class MigrationRepository {
  constructor(private readonly ds: DataSource) {}

  async create(m: NewMigration): Promise<MigrationRecord> {
    const now = nowSeconds();
    const uuid = randomUUID();
    await this.ds.getRepository(MigrationEntity).insert({
      uuid, instance_uuid: m.instance_uuid, status: m.status, migration_type: m.migration_type,
      source_compute: m.source_compute ?? null, dest_compute: m.dest_compute ?? null, source_node: m.source_node ?? null,
      dest_node: m.dest_node ?? null, dest_host: m.dest_host ?? null, old_instance_type_id: m.old_instance_type_id ?? null,
      new_instance_type_id: m.new_instance_type_id ?? null, user_id: m.user_id ?? null, project_id: m.project_id ?? null,
      hidden: false, created_at: now, updated_at: null, deleted_at: null, deleted: 0,
    });
    return this.getByUuid(uuid);
  }

  async get(id: number): Promise<MigrationRecord> {
    const row = await this.ds.getRepository(MigrationEntity).findOneBy({ id, deleted: 0 });
    if (!row) throw new MigrationNotFound(`Migration ${id} could not be found.`);
    return toRecord(row);
  }

  async getByUuid(uuid: string): Promise<MigrationRecord> {
    const row = await this.ds.getRepository(MigrationEntity).findOneBy({ uuid, deleted: 0 });
    if (!row) throw new MigrationNotFound(`Migration ${uuid} could not be found.`);
    return toRecord(row);
  }

  /**
   * Applies `updates`; with `expectedStatus` only when the row still has one of those statuses
   * (a compare-and-swap, so two confirms cannot both win): 409 otherwise.
   */
  async update(uuid: string, updates: MigrationUpdates, expectedStatus?: string[]): Promise<MigrationRecord> {
    const q = this.ds.createQueryBuilder().update(MigrationEntity).set({ ...updates, updated_at: nowSeconds() }).where('uuid = :uuid AND deleted = 0', { uuid });
    if (expectedStatus) q.andWhere('status IN (:...st)', { st: expectedStatus });
    const res = await q.execute();
    if (!res.affected) {
      const now = await this.getByUuid(uuid);
      throw new Conflict(`Migration ${now.id} is in status ${now.status ?? 'None'}, expected ${(expectedStatus ?? []).join(' or ')}.`);
    }
    return this.getByUuid(uuid);
  }

  /** Nova's `get_by_instance_and_status`: the newest one, `MigrationNotFound` when none. */
  async getByInstanceAndStatus(instanceUuid: string, status: string[]): Promise<MigrationRecord> {
    const row = await this.ds.getRepository(MigrationEntity).findOne({ where: { instance_uuid: instanceUuid, status: In(status), deleted: 0 }, order: { id: 'DESC' } });
    if (!row) throw new MigrationNotFound(`Migration not found for instance ${instanceUuid} with status ${status.join(', ')}.`);
    return toRecord(row);
  }

  /** Migrations in `status` whose last change is older than `before` (auto-confirm). */
  async listStale(status: string, before: Date): Promise<MigrationRecord[]> {
    const rows = await this.ds.getRepository(MigrationEntity).createQueryBuilder('m')
      .where('m.deleted = 0 AND m.status = :status AND COALESCE(m.updated_at, m.created_at) < :before', { status, before }).getMany();
    return rows.map(toRecord);
  }

  /** `GET /os-migrations`: newest first (created_at desc, id desc). */
  async list(f: MigrationFilter, opts: { limit?: number; marker?: string } = {}): Promise<MigrationRecord[]> {
    const q = this.ds.getRepository(MigrationEntity).createQueryBuilder('m').where('m.deleted = 0');
    if (f.status?.length) q.andWhere('m.status IN (:...status)', { status: f.status });
    if (f.host !== undefined) q.andWhere('(m.source_compute = :host OR m.dest_compute = :host)', { host: f.host });
    else if (f.source_compute !== undefined) q.andWhere('m.source_compute = :src', { src: f.source_compute });
    if (f.migration_type !== undefined) q.andWhere('m.migration_type = :mt', { mt: f.migration_type });
    if (f.hidden !== undefined) q.andWhere('m.hidden = :hidden', { hidden: f.hidden ? 1 : 0 });
    if (f.instance_uuid !== undefined) q.andWhere('m.instance_uuid = :iu', { iu: f.instance_uuid });
    if (f.user_id !== undefined) q.andWhere('m.user_id = :uid', { uid: f.user_id });
    if (f.project_id !== undefined) q.andWhere('m.project_id = :pid', { pid: f.project_id });
    if (f.changes_since) q.andWhere('COALESCE(m.updated_at, m.created_at) >= :since', { since: new Date(f.changes_since) });
    if (f.changes_before) q.andWhere('COALESCE(m.updated_at, m.created_at) <= :cb', { cb: new Date(f.changes_before) });
    q.orderBy('m.created_at', 'DESC').addOrderBy('m.id', 'DESC');
    let rows = await q.getMany();
    if (opts.marker !== undefined) {
      const at = rows.findIndex((r) => r.uuid === opts.marker);
      if (at < 0) throw new Invalid(`Marker ${opts.marker} could not be found.`);
      rows = rows.slice(at + 1);
    }
    if (opts.limit !== undefined) rows = rows.slice(0, opts.limit);
    return rows.map(toRecord);
  }
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

function toRecord(r: MigrationEntity): MigrationRecord {
  return {
    id: r.id, uuid: r.uuid, instance_uuid: r.instance_uuid, source_compute: r.source_compute, dest_compute: r.dest_compute,
    source_node: r.source_node, dest_node: r.dest_node, dest_host: r.dest_host, old_instance_type_id: r.old_instance_type_id,
    new_instance_type_id: r.new_instance_type_id, status: r.status, migration_type: r.migration_type, hidden: Boolean(r.hidden),
    memory_total: num(r.memory_total), memory_processed: num(r.memory_processed), memory_remaining: num(r.memory_remaining),
    disk_total: num(r.disk_total), disk_processed: num(r.disk_processed), disk_remaining: num(r.disk_remaining),
    user_id: r.user_id, project_id: r.project_id, created_at: isoOrNull(r.created_at), updated_at: isoOrNull(r.updated_at),
  };
}
