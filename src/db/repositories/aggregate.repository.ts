import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, FindOptionsWhere, In } from 'typeorm';
import { Conflict, Invalid, NotFound } from '../../common/errors';
import { AggregateRecord, AZ_METADATA_KEY, aggregateActionError } from '../../objects/aggregate.object';
import { azChangeRefusal, hostAddRefusal, hostRemoveRefusal } from '../../servicegroup/availability-zones';
import { AggregateEntity, AggregateHostEntity, AggregateMetadataEntity } from '../entities';
import { inTransaction, uniqueViolation } from '../db-helpers';
import { nowSeconds } from './service.repository';

/** Checks that need other databases; the caller (API side) supplies them. */
export interface AggregateChecks {
  /** Whether `host` is a known nova-compute service (Nova: ComputeHostNotFound otherwise). */
  hostExists?: (host: string) => Promise<boolean>;
  /** Non-deleted instances on these hosts; enables Nova's "instances would change zone" refusals. */
  instancesOnHosts?: (hosts: string[]) => Promise<number>;
}

export interface AggregateRepositoryOptions {
  /** A zone name refused on create/update/set_metadata (Nova itself refuses none). */
  reservedZone?: string;
}

export interface AggregateUpdate {
  name?: string;
  /** Present (even null) = change the zone; null/'' is refused as in Nova. */
  availability_zone?: string | null;
}

/** The host aggregates of the API database (aggregates, aggregate_hosts, aggregate_metadata). */
export class AggregateRepository {
  constructor(
    private readonly ds: DataSource,
    private readonly options: AggregateRepositoryOptions = {},
  ) {}

  async create(name: string, availabilityZone?: string | null): Promise<AggregateRecord> {
    if (availabilityZone) {
      const reason = azChangeRefusal({
        aggregate: { id: 0, name, hosts: [], metadata: {} }, metadata: { [AZ_METADATA_KEY]: availabilityZone },
        aggregates: [], reservedZone: this.options.reservedZone,
      });
      if (reason) throw new Invalid(`Cannot create aggregate ${name}. Reason: ${reason}.`);
    }
    if (await this.ds.getRepository(AggregateEntity).existsBy({ name })) throw nameExists(name);
    const now = nowSeconds();
    let id: number;
    try {
      id = await inTransaction(this.ds, async (em) => {
        const row = await em.save(em.create(AggregateEntity, { uuid: randomUUID(), name, created_at: now, updated_at: null }));
        if (availabilityZone) {
          await em.insert(AggregateMetadataEntity, { aggregate_id: row.id, key: AZ_METADATA_KEY, value: availabilityZone, created_at: now, updated_at: null });
        }
        return row.id;
      });
    } catch (err) {
      if (isDuplicateEntry(err)) throw nameExists(name);
      throw err;
    }
    return this.get(id);
  }

  async get(id: number): Promise<AggregateRecord> {
    const [agg] = await this.load({ id });
    if (!agg) throw new NotFound(`Aggregate ${id} could not be found.`);
    return agg;
  }

  async getByUuid(uuid: string): Promise<AggregateRecord> {
    const [agg] = await this.load({ uuid });
    if (!agg) throw new NotFound(`Aggregate ${uuid} could not be found.`);
    return agg;
  }

  async list(): Promise<AggregateRecord[]> {
    return this.load({});
  }

  /** Aggregates `host` is a member of. */
  async listForHost(host: string): Promise<AggregateRecord[]> {
    return this.listForHosts([host]);
  }

  /** The hosts (sorted, distinct) of the aggregates whose zone is `az`. */
  async hostsInZone(az: string): Promise<string[]> {
    const meta = await this.ds.getRepository(AggregateMetadataEntity).findBy({ key: AZ_METADATA_KEY, value: az });
    if (meta.length === 0) return [];
    const hosts = await this.ds.getRepository(AggregateHostEntity).findBy({ aggregate_id: In(meta.map((m) => m.aggregate_id)) });
    return [...new Set(hosts.map((h) => h.host))].sort();
  }

  async update(id: number, changes: AggregateUpdate, checks: AggregateChecks = {}): Promise<AggregateRecord> {
    const agg = await this.get(id);
    const azChange = changes.availability_zone !== undefined ? { [AZ_METADATA_KEY]: changes.availability_zone } : {};
    await this.checkZoneChange('update', agg, azChange, checks);
    const rename = changes.name !== undefined && changes.name !== agg.name ? changes.name : undefined;
    if (rename !== undefined && (await this.ds.getRepository(AggregateEntity).existsBy({ name: rename }))) throw nameExists(rename);
    try {
      await inTransaction(this.ds, async (em) => {
        await em.update(AggregateEntity, { id }, { ...(rename !== undefined ? { name: rename } : {}), updated_at: nowSeconds() });
        if (changes.availability_zone) await this.writeMetadata(em, agg, { [AZ_METADATA_KEY]: changes.availability_zone });
      });
    } catch (err) {
      if (rename !== undefined && isDuplicateEntry(err)) throw nameExists(rename);
      throw err;
    }
    return this.get(id);
  }

  /** Nova's set_metadata: merges `metadata` into the aggregate's; a null value deletes the key. */
  async setMetadata(id: number, metadata: Record<string, string | null>, checks: AggregateChecks = {}): Promise<AggregateRecord> {
    const agg = await this.get(id);
    await this.checkZoneChange('set_metadata', agg, metadata, checks);
    for (let attempt = 1; ; attempt++) {
      try {
        await inTransaction(this.ds, async (em) => {
          await this.writeMetadata(em, agg, metadata);
          await em.update(AggregateEntity, { id }, { updated_at: nowSeconds() });
        });
        break;
      } catch (err) {
        // A concurrent writer added the same key first: read again and retry, as Nova does.
        if (!isDuplicateEntry(err) || attempt >= 5) throw err;
      }
    }
    return this.get(id);
  }

  /** Deletes an aggregate that has no hosts (Nova: 400 "Host aggregate is not empty"). */
  async delete(id: number): Promise<void> {
    const agg = await this.get(id);
    if (agg.hosts.length > 0) throw aggregateActionError('delete', id, 'Host aggregate is not empty');
    await inTransaction(this.ds, async (em) => {
      if (await em.existsBy(AggregateHostEntity, { aggregate_id: id })) throw aggregateActionError('delete', id, 'Host aggregate is not empty');
      await em.delete(AggregateMetadataEntity, { aggregate_id: id });
      const result = await em.delete(AggregateEntity, { id });
      if (!result.affected) throw new NotFound(`Aggregate ${id} could not be found.`);
    });
  }

  async addHost(id: number, host: string, checks: AggregateChecks = {}): Promise<AggregateRecord> {
    if (checks.hostExists && !(await checks.hostExists(host))) throw new NotFound(`Compute host ${host} could not be found.`);
    const agg = await this.get(id);
    const reason = azChangeRefusal({ aggregate: agg, metadata: agg.metadata, hosts: [host], aggregates: await this.listForHosts([host]) });
    if (reason) throw aggregateActionError('add_host', id, reason);
    if (checks.instancesOnHosts && agg.availability_zone) {
      const moved = hostAddRefusal(agg, await this.listForHost(host), await checks.instancesOnHosts([host]));
      if (moved) throw aggregateActionError('add_host', id, moved);
    }
    const exists = new Conflict(`Aggregate ${id} already has host ${host}.`);
    if (agg.hosts.includes(host)) throw exists;
    try {
      await this.ds.getRepository(AggregateHostEntity).insert({ aggregate_id: id, host, created_at: nowSeconds(), updated_at: null });
    } catch (err) {
      if (isDuplicateEntry(err)) throw exists;
      throw err;
    }
    return this.get(id);
  }

  /** Not found (aggregate, host, membership) → 404 with the message Nova's API uses for all three. */
  async removeHost(id: number, host: string, checks: AggregateChecks = {}): Promise<AggregateRecord> {
    const notFound = new NotFound(`Cannot remove host ${host} in aggregate ${id}`);
    if (checks.hostExists && !(await checks.hostExists(host))) throw notFound;
    const [agg] = await this.load({ id });
    if (!agg || !agg.hosts.includes(host)) throw notFound;
    if (checks.instancesOnHosts && agg.availability_zone) {
      const moved = hostRemoveRefusal(agg, await this.listForHost(host), await checks.instancesOnHosts([host]));
      if (moved) throw aggregateActionError('remove_host', id, moved);
    }
    const result = await this.ds.getRepository(AggregateHostEntity).delete({ aggregate_id: id, host });
    if (!result.affected) throw notFound;
    return this.get(id);
  }

  /** Drops `host` from every aggregate (its compute service was deleted); returns how many. */
  async removeHostEverywhere(host: string): Promise<number> {
    const result = await this.ds.getRepository(AggregateHostEntity).delete({ host });
    return result.affected ?? 0;
  }

  private async checkZoneChange(action: 'update' | 'set_metadata', agg: AggregateRecord, metadata: Record<string, string | null | undefined>, checks: AggregateChecks): Promise<void> {
    if (!(AZ_METADATA_KEY in metadata)) return;
    const az = metadata[AZ_METADATA_KEY];
    const instancesOnHosts = checks.instancesOnHosts && az && az !== agg.availability_zone && agg.hosts.length > 0
      ? await checks.instancesOnHosts(agg.hosts) : undefined;
    const reason = azChangeRefusal({
      aggregate: agg, metadata, aggregates: await this.listForHosts(agg.hosts), instancesOnHosts, reservedZone: this.options.reservedZone,
    });
    if (reason) throw aggregateActionError(action, agg.id, reason);
  }

  /** Merges metadata; keys differing only in case from an existing one are refused (as MySQL would). */
  private async writeMetadata(em: EntityManager, agg: AggregateRecord, metadata: Record<string, string | null>): Promise<void> {
    const rows = await em.findBy(AggregateMetadataEntity, { aggregate_id: agg.id });
    const byKey = new Map(rows.map((r) => [r.key, r]));
    for (const [key, value] of Object.entries(metadata)) {
      const clash = rows.find((r) => r.key !== key && r.key.toLowerCase() === key.toLowerCase() && metadata[r.key] === undefined);
      if (value !== null && !byKey.has(key) && clash) throw new Invalid(`Aggregate ${agg.id} already contain metadata key ${clash.key}.`);
    }
    const now = nowSeconds();
    for (const [key, value] of Object.entries(metadata)) {
      const row = byKey.get(key);
      if (value === null) {
        if (row) await em.delete(AggregateMetadataEntity, { id: row.id });
      } else if (row) {
        if (row.value !== value) await em.update(AggregateMetadataEntity, { id: row.id }, { value, updated_at: now });
      } else {
        await em.insert(AggregateMetadataEntity, { aggregate_id: agg.id, key, value, created_at: now, updated_at: null });
      }
    }
  }

  private async listForHosts(hosts: string[]): Promise<AggregateRecord[]> {
    if (hosts.length === 0) return [];
    const links = await this.ds.getRepository(AggregateHostEntity).findBy({ host: In(hosts) });
    const ids = [...new Set(links.map((l) => l.aggregate_id))];
    return ids.length === 0 ? [] : this.load({ id: In(ids) });
  }

  private async load(where: FindOptionsWhere<AggregateEntity>): Promise<AggregateRecord[]> {
    const aggs = await this.ds.getRepository(AggregateEntity).find({ where, order: { id: 'ASC' } });
    if (aggs.length === 0) return [];
    const ids = aggs.map((a) => a.id);
    const [hosts, meta] = await Promise.all([
      this.ds.getRepository(AggregateHostEntity).find({ where: { aggregate_id: In(ids) }, order: { id: 'ASC' } }),
      this.ds.getRepository(AggregateMetadataEntity).find({ where: { aggregate_id: In(ids) }, order: { id: 'ASC' } }),
    ]);
    return aggs.map((a) => {
      const metadata: Record<string, string> = {};
      for (const m of meta) if (m.aggregate_id === a.id) metadata[m.key] = m.value;
      return {
        id: a.id,
        uuid: a.uuid,
        name: a.name,
        availability_zone: metadata[AZ_METADATA_KEY] ?? null,
        hosts: hosts.filter((h) => h.aggregate_id === a.id).map((h) => h.host),
        metadata,
        created_at: iso(a.created_at),
        updated_at: iso(a.updated_at),
        deleted_at: null,
        deleted: false,
      };
    });
  }
}

function nameExists(name: string): Conflict {
  return new Conflict(`Aggregate ${name} already exists.`);
}

function iso(d: Date | string | null): string | null {
  if (d === null || d === undefined) return null;
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function isDuplicateEntry(err: unknown): boolean {
  return uniqueViolation(err) !== null;
}
