import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { NotFound } from '../../common/errors';
import { ServiceRecord } from '../../objects/service.object';
import { ServiceEntity } from '../entities';

export interface ServiceRegistration {
  host: string;
  binary: string;
  topic: string | null;
  version: number;
}

export interface ServiceListFilter {
  host?: string;
  binary?: string;
}

/** Second precision, as Nova stores timestamps (DATETIME without fraction). */
export function nowSeconds(): Date {
  const d = new Date();
  d.setUTCMilliseconds(0);
  return d;
}

export class ServiceRepository {
  private readonly repo: Repository<ServiceEntity>;

  constructor(ds: DataSource) {
    this.repo = ds.getRepository(ServiceEntity);
  }

  /**
   * Returns the live row for (host, binary), creating it on first start. A restart keeps the
   * row (and its disabled flag), as Nova does; only the version and topic are refreshed.
   */
  async register(reg: ServiceRegistration): Promise<ServiceRecord> {
    const existing = await this.repo.findOneBy({ host: reg.host, binary: reg.binary, deleted: 0 });
    const now = nowSeconds();
    if (existing) {
      await this.repo.update({ id: existing.id }, { version: reg.version, topic: reg.topic, updated_at: now });
      return toRecord({ ...existing, version: reg.version, topic: reg.topic, updated_at: now });
    }
    const row = this.repo.create({
      uuid: randomUUID(),
      host: reg.host,
      binary: reg.binary,
      topic: reg.topic,
      version: reg.version,
      report_count: 0,
      disabled: false,
      disabled_reason: null,
      forced_down: false,
      last_seen_up: null,
      created_at: now,
      updated_at: null,
      deleted_at: null,
      deleted: 0,
    });
    try {
      return toRecord(await this.repo.save(row));
    } catch (err) {
      // Two processes registering the same service at once: the unique key decides, the loser reads.
      const winner = await this.repo.findOneBy({ host: reg.host, binary: reg.binary, deleted: 0 });
      if (winner) return toRecord(winner);
      throw err;
    }
  }

  /** One heartbeat: report_count + 1 and last_seen_up = now, in a single atomic UPDATE. */
  async reportAlive(id: number): Promise<ServiceRecord> {
    const now = nowSeconds();
    const result = await this.repo
      .createQueryBuilder()
      .update(ServiceEntity)
      .set({ report_count: () => 'report_count + 1', last_seen_up: now, updated_at: now })
      .where('id = :id AND deleted = 0', { id })
      .execute();
    if (!result.affected) throw new NotFound(`Service ${id} could not be found.`);
    return this.get(id);
  }

  async get(id: number): Promise<ServiceRecord> {
    const row = await this.repo.findOneBy({ id, deleted: 0 });
    if (!row) throw new NotFound(`Service ${id} could not be found.`);
    return toRecord(row);
  }

  async list(filter: ServiceListFilter = {}): Promise<ServiceRecord[]> {
    const rows = await this.repo.find({ where: { ...filter, deleted: 0 }, order: { id: 'ASC' } });
    return rows.map(toRecord);
  }

  async setDisabled(id: number, disabled: boolean, reason: string | null): Promise<ServiceRecord> {
    await this.updateOrFail(id, { disabled, disabled_reason: disabled ? reason : null });
    return this.get(id);
  }

  async setForcedDown(id: number, forcedDown: boolean): Promise<ServiceRecord> {
    await this.updateOrFail(id, { forced_down: forcedDown });
    return this.get(id);
  }

  /** Soft delete: the (host, binary) pair can register again afterwards. */
  async softDelete(id: number): Promise<void> {
    await this.updateOrFail(id, { deleted: id, deleted_at: nowSeconds() });
  }

  private async updateOrFail(id: number, changes: Partial<ServiceEntity>): Promise<void> {
    const result = await this.repo.update({ id, deleted: 0 }, { ...changes, updated_at: nowSeconds() });
    if (!result.affected) throw new NotFound(`Service ${id} could not be found.`);
  }
}

function iso(d: Date | string | null): string | null {
  if (d === null || d === undefined) return null;
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function toRecord(row: ServiceEntity): ServiceRecord {
  return {
    id: row.id,
    uuid: row.uuid,
    host: row.host,
    binary: row.binary,
    topic: row.topic,
    report_count: row.report_count,
    disabled: Boolean(row.disabled),
    disabled_reason: row.disabled_reason,
    forced_down: Boolean(row.forced_down),
    version: row.version,
    last_seen_up: iso(row.last_seen_up),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
