import { randomUUID } from 'node:crypto';
import { DataSource, In, Repository, SelectQueryBuilder } from 'typeorm';
import { Conflict, Invalid, NotFound } from '../../common/errors';
import { FLAVOR_SORT_KEYS, FlavorCreate, FlavorListOptions, FlavorRecord } from '../../objects/flavor.object';
import { FlavorEntity, FlavorExtraSpecEntity, FlavorProjectEntity } from '../entities';
import { nowSeconds } from './service.repository';
import { inTransaction, isoOrNull, retryOnDeadlock, uniqueViolation } from '../db-helpers';

/** Public, or private with an access row for the project bound to `:<param>`. */
const access = (param: string) =>
  `(f.is_public = 1 OR EXISTS (SELECT 1 FROM flavor_projects fp WHERE fp.flavor_id = f.id AND fp.project_id = :${param}))`;

export class FlavorRepository {
  private readonly flavors: Repository<FlavorEntity>;
  private readonly specs: Repository<FlavorExtraSpecEntity>;
  private readonly projects: Repository<FlavorProjectEntity>;

  constructor(private readonly ds: DataSource) {
    this.flavors = ds.getRepository(FlavorEntity);
    this.specs = ds.getRepository(FlavorExtraSpecEntity);
    this.projects = ds.getRepository(FlavorProjectEntity);
  }

  /** Nova's `flavors.create` + `Flavor.create`: duplicates are refused before and at the INSERT. */
  async create(input: FlavorCreate): Promise<FlavorRecord> {
    const flavorid = input.flavorid === null || input.flavorid === undefined || input.flavorid === '' || input.flavorid === 0
      ? randomUUID() : String(input.flavorid);
    const name = input.name.trim();
    const idExists = () => new Conflict(`Flavor with ID ${flavorid} already exists.`);
    const nameExists = () => new Conflict(`Flavor with name ${name} already exists.`);
    if (await this.flavors.existsBy({ flavorid })) throw idExists();
    if (await this.flavors.existsBy({ name })) throw nameExists();
    let id: number;
    try {
      const result = await this.flavors.insert({
        flavorid, name, memory_mb: input.memory_mb, vcpus: input.vcpus, root_gb: input.root_gb,
        ephemeral_gb: input.ephemeral_gb ?? 0, swap: input.swap ?? 0, rxtx_factor: input.rxtx_factor ?? 1,
        vcpu_weight: input.vcpu_weight ?? null, disabled: input.disabled ?? false, is_public: input.is_public ?? true,
        description: input.description ?? null, created_at: nowSeconds(), updated_at: null,
      });
      id = Number(result.identifiers[0].id);
    } catch (err) {
      // A concurrent create won the race between our check and our INSERT.
      const key = uniqueViolation(err);
      if (key !== null) throw key.includes('flavorid') ? idExists() : nameExists();
      throw err;
    }
    return toRecord(await this.flavors.findOneByOrFail({ id }), {});
  }

  /** `visibleToProject`: Nova's non-admin view (public, or private with access), else NotFound. */
  async getByFlavorId(flavorid: string, opts: { visibleToProject?: string } = {}): Promise<FlavorRecord> {
    const row = await this.find(flavorid, opts.visibleToProject);
    return toRecord(row, (await this.specsOf([row.id])).get(row.id) ?? {});
  }

  async list(opts: FlavorListOptions): Promise<FlavorRecord[]> {
    const sortKey = opts.sortKey ?? 'flavorid';
    const dir = opts.sortDir ?? 'asc';
    if (!(FLAVOR_SORT_KEYS as readonly string[]).includes(sortKey)) throw new Invalid('Sort key supplied was not valid.');
    if (dir !== 'asc' && dir !== 'desc') throw new Invalid("Unknown sort direction, must be 'desc' or 'asc'");
    const qb = this.flavors.createQueryBuilder('f');
    if (opts.visibleToProject !== undefined) qb.andWhere(access('visible'), { visible: opts.visibleToProject });
    if (opts.isPublic === true && opts.projectId !== undefined) qb.andWhere(access('project'), { project: opts.projectId });
    else if (opts.isPublic === true) qb.andWhere('f.is_public = 1');
    else if (opts.isPublic === false) qb.andWhere('f.is_public = 0');
    if (opts.minMemoryMb !== undefined) qb.andWhere('f.memory_mb >= :minMem', { minMem: opts.minMemoryMb });
    if (opts.minRootGb !== undefined) qb.andWhere('f.root_gb >= :minDisk', { minDisk: opts.minRootGb });
    if (!opts.includeDisabled) qb.andWhere('f.disabled = 0');
    if (opts.nameRegex !== undefined) this.whereNameMatches(qb, opts.nameRegex);
    if (opts.marker !== undefined) {
      const marker = await this.find(opts.marker, opts.visibleToProject).catch((err: unknown) => {
        throw err instanceof NotFound ? new Invalid(`marker [${opts.marker}] not found`) : err;
      });
      qb.andWhere(this.after(sortKey, dir, marker[sortKey] === null), { markerId: marker.id });
    }
    qb.orderBy(`f.${sortKey}`, dir === 'asc' ? 'ASC' : 'DESC').addOrderBy('f.id', dir === 'asc' ? 'ASC' : 'DESC');
    if (opts.limit !== undefined && opts.limit <= 0) return [];
    if (opts.limit !== undefined) qb.limit(opts.limit);
    let rows: FlavorEntity[];
    try {
      rows = await qb.getMany();
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_REGEXP_ERROR') throw new Invalid(`Invalid name filter [${opts.nameRegex}]`);
      throw err;
    }
    const specs = await this.specsOf(rows.map((r) => r.id));
    return rows.map((r) => toRecord(r, specs.get(r.id) ?? {}));
  }

  async updateDescription(flavorid: string, description: string | null): Promise<FlavorRecord> {
    const row = await this.find(flavorid);
    await this.flavors.update({ id: row.id }, { description, updated_at: nowSeconds() });
    return this.getByFlavorId(flavorid);
  }

  /** Deletes the flavor with its extra specs and access list, atomically. */
  async delete(flavorid: string): Promise<void> {
    await inTransaction(this.ds, async (m) => {
      const row = await m.findOne(FlavorEntity, { where: { flavorid }, order: { id: 'ASC' } });
      if (!row) throw new NotFound(`Flavor ${flavorid} could not be found.`);
      await m.delete(FlavorProjectEntity, { flavor_id: row.id });
      await m.delete(FlavorExtraSpecEntity, { flavor_id: row.id });
      await m.delete(FlavorEntity, { id: row.id });
    });
  }

  async getExtraSpecs(flavorid: string): Promise<Record<string, string>> {
    const row = await this.find(flavorid);
    return (await this.specsOf([row.id])).get(row.id) ?? {};
  }

  /** Adds or replaces the given keys (one upsert statement); returns all the flavor's specs. */
  async updateExtraSpecs(flavorid: string, specs: Record<string, string | number>): Promise<Record<string, string>> {
    const row = await this.find(flavorid);
    const now = nowSeconds();
    const values = Object.entries(specs).map(([key, value]) => ({ flavor_id: row.id, key, value: String(value), created_at: now, updated_at: now }));
    if (values.length > 0) {
      await retryOnDeadlock(() => this.specs.createQueryBuilder().insert().into(FlavorExtraSpecEntity).values(values)
        .orUpdate(['value', 'updated_at'], ['flavor_id', 'key']).execute());
    }
    return (await this.specsOf([row.id])).get(row.id) ?? {};
  }

  async deleteExtraSpec(flavorid: string, key: string): Promise<void> {
    const row = await this.find(flavorid);
    const result = await this.specs.delete({ flavor_id: row.id, key });
    if (!result.affected) throw new NotFound(`Flavor ${flavorid} has no extra specs with key ${key}.`);
  }

  /** Projects with access to a private flavor; a public flavor has no list (404, as the API). */
  async listAccess(flavorid: string): Promise<string[]> {
    const row = await this.find(flavorid);
    if (row.is_public) throw new NotFound('Access list not available for public flavors.');
    return this.projectsOf(row.id);
  }

  /**
   * Grants a project access; returns the new access list. Public flavors are refused (API >= 2.7;
   * pass `allowPublic` below it). Messages name the internal flavor id, as Nova's do.
   */
  async addAccess(flavorid: string, projectId: string, opts: { allowPublic?: boolean } = {}): Promise<string[]> {
    const row = await this.find(flavorid);
    if (row.is_public && !opts.allowPublic) throw new Conflict('Can not add access to a public flavor.');
    try {
      await this.projects.insert({ flavor_id: row.id, project_id: projectId, created_at: nowSeconds(), updated_at: null });
    } catch (err) {
      if (uniqueViolation(err) !== null) {
        throw new Conflict(`Flavor access already exists for flavor ${row.id} and project ${projectId} combination.`);
      }
      throw err;
    }
    return this.projectsOf(row.id);
  }

  async removeAccess(flavorid: string, projectId: string): Promise<string[]> {
    const row = await this.find(flavorid);
    const result = await this.projects.delete({ flavor_id: row.id, project_id: projectId });
    if (!result.affected) throw new NotFound(`Flavor access not found for ${row.id} / ${projectId} combination.`);
    return this.projectsOf(row.id);
  }

  private async find(flavorid: string, visibleToProject?: string): Promise<FlavorEntity> {
    const qb = this.flavors.createQueryBuilder('f').where('f.flavorid = :flavorid', { flavorid });
    if (visibleToProject !== undefined) qb.andWhere(access('visible'), { visible: visibleToProject });
    const row = await qb.orderBy('f.id', 'ASC').getOne();
    if (!row) throw new NotFound(`Flavor ${flavorid} could not be found.`);
    return row;
  }

  /**
   * Keyset condition "after the marker row" for ORDER BY <key> <dir>, id <dir>. NULLs sort first
   * ascending and last descending on both engines; values are compared in SQL against the marker
   * row itself, so floats, booleans and datetimes never round-trip through JavaScript.
   */
  private after(key: string, dir: 'asc' | 'desc', markerIsNull: boolean): string {
    const idCmp = dir === 'asc' ? '>' : '<';
    if (key === 'id') return `f.id ${idCmp} :markerId`;
    const col = `f.${this.ds.driver.escape(key)}`;
    const mv = `(SELECT m.${this.ds.driver.escape(key)} FROM flavors m WHERE m.id = :markerId)`;
    if (dir === 'asc') return markerIsNull ? `(${col} IS NOT NULL OR f.id > :markerId)` : `(${col} > ${mv} OR (${col} = ${mv} AND f.id > :markerId))`;
    return markerIsNull ? `(${col} IS NULL AND f.id < :markerId)` : `(${col} < ${mv} OR (${col} = ${mv} AND f.id < :markerId) OR ${col} IS NULL)`;
  }

  /** Nova's name filter: REGEXP on both engines (SQLite gets a JS implementation), `|` literal as on MySQL. */
  private whereNameMatches(qb: SelectQueryBuilder<FlavorEntity>, pattern: string): void {
    const safe = pattern.replace(/\|/g, '\\|');
    try {
      new RegExp(safe);
    } catch {
      throw new Invalid(`Invalid name filter [${pattern}]`);
    }
    if (this.ds.options.type === 'better-sqlite3') {
      const db = (this.ds.driver as unknown as { databaseConnection: SqliteFunctions }).databaseConnection;
      if (!regexpRegistered.has(db)) {
        db.function('regexp', { deterministic: true }, (re: unknown, value: unknown) => (value !== null && new RegExp(String(re)).test(String(value)) ? 1 : 0));
        regexpRegistered.add(db);
      }
    }
    qb.andWhere('f.name REGEXP :nameRe', { nameRe: safe });
  }

  private async specsOf(ids: number[]): Promise<Map<number, Record<string, string>>> {
    const out = new Map<number, Record<string, string>>();
    if (ids.length === 0) return out;
    const rows = await this.specs.find({ where: { flavor_id: In(ids) }, order: { key: 'ASC' } });
    for (const r of rows) {
      const m = out.get(r.flavor_id) ?? {};
      m[r.key] = r.value ?? '';
      out.set(r.flavor_id, m);
    }
    return out;
  }

  private async projectsOf(id: number): Promise<string[]> {
    return (await this.projects.find({ where: { flavor_id: id }, order: { id: 'ASC' } })).map((p) => p.project_id);
  }
}

interface SqliteFunctions {
  function(name: string, opts: { deterministic: boolean }, fn: (...args: unknown[]) => number): void;
}
const regexpRegistered = new WeakSet<object>();

// ---- helpers shared by the API-database repositories (keypair, quota) ----

function toRecord(row: FlavorEntity, extraSpecs: Record<string, string>): FlavorRecord {
  return {
    id: row.id, flavorid: row.flavorid, name: row.name, memory_mb: row.memory_mb, vcpus: row.vcpus,
    root_gb: row.root_gb ?? 0, ephemeral_gb: row.ephemeral_gb ?? 0, swap: row.swap ?? 0,
    rxtx_factor: Number(row.rxtx_factor ?? 1), vcpu_weight: row.vcpu_weight ?? null,
    disabled: Boolean(row.disabled), is_public: Boolean(row.is_public), description: row.description ?? null,
    extra_specs: extraSpecs, created_at: isoOrNull(row.created_at), updated_at: isoOrNull(row.updated_at),
  };
}
