import { DataSource, EntityManager, In, IsNull, Not, SelectQueryBuilder } from 'typeorm';
import { Conflict, Invalid, NotFound } from '../../common/errors';
import type { InstanceListOptions, InstanceSort } from '../../objects/instance-filter';
import type { InstanceFault, InstanceFlavor, InstanceRecord, InstanceUpdates, StateGuard } from '../../objects/instance.object';
import { ConsoleAuthTokenEntity, InstanceEntity, InstanceFaultEntity, InstanceMetadataEntity, InstanceSystemMetadataEntity, TagEntity } from '../entities';
import { inTransaction, isoOrNull } from '../db-helpers';
import { nowSeconds } from './service.repository';

/** System metadata keys a server list renders (the rest is left out of lists). */
export const LIST_SYSTEM_METADATA_KEYS: readonly string[] = ['trusted_certs'];

/** What the API knows when it creates an instance row. */
export interface NewInstance {
  uuid: string;
  display_name: string;
  display_description: string | null;
  hostname: string;
  project_id: string;
  user_id: string;
  image_ref: string | null;
  flavor: InstanceFlavor;
  key_name: string | null;
  key_data: string | null;
  user_data: string | null;
  availability_zone: string | null;
  reservation_id: string;
  launch_index: number;
  access_ip_v4: string | null;
  access_ip_v6: string | null;
  config_drive: string | null;
  auto_disk_config: boolean;
  vm_state: string;
  task_state: string | null;
  metadata: Record<string, string>;
  system_metadata: Record<string, string>;
  tags: string[];
}

/** Nova's `UnexpectedTaskStateError` / `UnexpectedDeletingTaskStateError` / `InstanceInvalidState`. */
export class UnexpectedState extends Conflict {
  constructor(message: string, readonly actual: { vm_state: string; task_state: string | null }) {
    super(message);
  }
}

export function instanceNotFound(uuid: string): NotFound {
  return new NotFound(`Instance ${uuid} could not be found.`);
}

interface FlavorColumn {
  cur: InstanceFlavor;
  old?: InstanceFlavor | null;
  new?: InstanceFlavor | null;
}

const MAX_TAGS = 50;

/**
 * Instances of the main database with their metadata, system metadata, tags and faults.
 * State changes that race (API actions, computes) go through `update` with a guard, Nova's
 * compare-and-swap `expected_task_state` save.
 */
export class InstanceRepository {
  constructor(private readonly ds: DataSource) {}

  async create(rows: NewInstance[]): Promise<InstanceRecord[]> {
    const now = nowSeconds();
    await inTransaction(this.ds, async (m) => {
      for (const r of rows) {
        const flavor: FlavorColumn = { cur: r.flavor, old: null, new: null };
        const { metadata, system_metadata, tags, flavor: f, ...cols } = r;
        await m.getRepository(InstanceEntity).insert({
          ...cols,
          flavor: JSON.stringify(flavor),
          instance_type_id: f.id,
          memory_mb: f.memory_mb,
          vcpus: f.vcpus,
          root_gb: f.root_gb,
          ephemeral_gb: f.ephemeral_gb,
          power_state: 0,
          locked: false,
          progress: 0,
          created_at: now,
          updated_at: null,
          deleted_at: null,
          deleted: 0,
        });
        await this.insertMeta(m, InstanceMetadataEntity, r.uuid, metadata, now);
        await this.insertMeta(m, InstanceSystemMetadataEntity, r.uuid, system_metadata, now);
        if (tags.length > 0) await m.getRepository(TagEntity).insert([...new Set(tags)].map((tag) => ({ resource_id: r.uuid, tag })));
      }
    });
    return this.getMany(rows.map((r) => r.uuid));
  }

  private async insertMeta(m: EntityManager, entity: typeof InstanceMetadataEntity | typeof InstanceSystemMetadataEntity, uuid: string, meta: Record<string, string>, now: Date) {
    const entries = Object.entries(meta);
    if (entries.length === 0) return;
    await m.getRepository(entity).insert(entries.map(([key, value]) => ({ instance_uuid: uuid, key, value, created_at: now, updated_at: null, deleted_at: null, deleted: 0 })));
  }

  /** One instance; deleted rows only with `readDeleted`. Unknown → 404 `Instance <uuid> could not be found.` */
  async get(uuid: string, opts: { readDeleted?: boolean } = {}): Promise<InstanceRecord> {
    const row = await this.ds.getRepository(InstanceEntity).findOne({ where: opts.readDeleted ? { uuid } : { uuid, deleted: 0 }, order: { id: 'DESC' } });
    if (!row) throw instanceNotFound(uuid);
    return (await this.hydrate([row]))[0];
  }

  async find(uuid: string): Promise<InstanceRecord | null> {
    try {
      return await this.get(uuid);
    } catch (err) {
      if (err instanceof NotFound) return null;
      throw err;
    }
  }

  async getMany(uuids: string[]): Promise<InstanceRecord[]> {
    if (uuids.length === 0) return [];
    const rows = await this.ds.getRepository(InstanceEntity).findBy({ uuid: In(uuids) });
    const byUuid = new Map((await this.hydrate(rows)).map((r) => [r.uuid, r]));
    return uuids.map((u) => byUuid.get(u)).filter((r): r is InstanceRecord => r !== undefined);
  }

  /** Live instances on a host (the compute's view at start-up and in periodic tasks). */
  async listByHost(host: string): Promise<InstanceRecord[]> {
    return this.hydrate(await this.ds.getRepository(InstanceEntity).findBy({ host, deleted: 0 }));
  }

  /** Live instances of a reservation (multi-create). */
  async listByReservation(reservationId: string): Promise<InstanceRecord[]> {
    return this.hydrate(await this.ds.getRepository(InstanceEntity).find({ where: { reservation_id: reservationId, deleted: 0 }, order: { launch_index: 'ASC' } }));
  }

  /** Instances in a vm_state whose updated_at is older than `before` (reclaim, auto-confirm). */
  async listStale(vmState: string, before: Date, host?: string): Promise<InstanceRecord[]> {
    const q = this.ds.getRepository(InstanceEntity).createQueryBuilder('i').where('i.deleted = 0 AND i.vm_state = :vmState AND i.updated_at < :before', { vmState, before });
    if (host !== undefined) q.andWhere('i.host = :host', { host });
    return this.hydrate(await q.getMany());
  }

  async list(opts: InstanceListOptions): Promise<InstanceRecord[]> {
    const q = this.filtered(opts);
    const sort = opts.sort && opts.sort.length > 0 ? opts.sort : [{ key: 'created_at', dir: 'desc' } as InstanceSort];
    for (const [i, s] of sort.entries()) {
      if (i === 0) q.orderBy(`i.${s.key}`, s.dir === 'asc' ? 'ASC' : 'DESC');
      else q.addOrderBy(`i.${s.key}`, s.dir === 'asc' ? 'ASC' : 'DESC');
    }
    const lastDir = sort[sort.length - 1].dir === 'asc' ? 'ASC' : 'DESC';
    q.addOrderBy('i.id', lastDir);
    let offset = 0;
    if (opts.marker !== undefined) {
      const ids = (await q.clone().select(['i.uuid']).getMany()).map((r) => r.uuid);
      const at = ids.indexOf(opts.marker);
      // Unknown, or no longer matching the filter (e.g. its state changed): Nova answers the same 400.
      if (at < 0) throw new Invalid(`marker [${opts.marker}] not found`);
      offset = at + 1;
    }
    if (offset > 0) q.skip(offset);
    if (opts.limit !== undefined) q.take(opts.limit);
    // Lists render no system metadata but the keys a list view shows (trusted image
    // certificates, 2.63): loading only those saves a third of a large list's cost.
    return this.hydrate(await q.getMany(), { systemMetadata: LIST_SYSTEM_METADATA_KEYS });
  }

  private filtered(opts: InstanceListOptions): SelectQueryBuilder<InstanceEntity> {
    const f = opts.filter;
    const q = this.ds.getRepository(InstanceEntity).createQueryBuilder('i');
    const deleted = f.deleted ?? false;
    // Nova: soft-deleted servers count as deleted ones for `deleted=true`, and are hidden from
    // `deleted=false` lists only when `soft_deleted` says so.
    if (deleted === false) {
      q.where('i.deleted = 0');
      if (f.softDeleted === false) q.andWhere("i.vm_state <> 'soft-delete'");
    } else if (deleted === true) q.where(f.softDeleted === false ? 'i.deleted <> 0' : "(i.deleted <> 0 OR i.vm_state = 'soft-delete')");
    else q.where('1 = 1');
    let n = 0;
    const p = () => `p${n++}`;
    for (const [col, values] of Object.entries(f.exact ?? {})) {
      if (!values) continue;
      const nonNull = values.filter((v) => v !== null);
      const parts: string[] = [];
      if (nonNull.length > 0) {
        const name = p();
        parts.push(`i.${col} IN (:...${name})`);
        q.setParameter(name, nonNull.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)));
      }
      if (nonNull.length !== values.length) parts.push(`i.${col} IS NULL`);
      q.andWhere(parts.length > 0 ? `(${parts.join(' OR ')})` : '1 = 0');
    }
    for (const [col, pattern] of Object.entries(f.regex ?? {})) {
      if (pattern === undefined) continue;
      const name = p();
      q.andWhere(`i.${col} REGEXP :${name}`, { [name]: pattern });
    }
    if (f.changesSince) q.andWhere('i.updated_at >= :since', { since: new Date(f.changesSince) });
    if (f.changesBefore) q.andWhere('i.updated_at <= :before', { before: new Date(f.changesBefore) });
    const tagCount = (tags: string[]) => {
      const name = p();
      q.setParameter(name, tags);
      return `(SELECT COUNT(*) FROM tags t WHERE t.resource_id = i.uuid AND t.tag IN (:...${name}))`;
    };
    if (f.tags?.length) q.andWhere(`${tagCount(f.tags)} = ${new Set(f.tags).size}`);
    if (f.tagsAny?.length) q.andWhere(`${tagCount(f.tagsAny)} > 0`);
    if (f.notTags?.length) q.andWhere(`${tagCount(f.notTags)} < ${new Set(f.notTags).size}`);
    if (f.notTagsAny?.length) q.andWhere(`${tagCount(f.notTagsAny)} = 0`);
    return q;
  }

  /**
   * Applies `updates` when the guard holds (Nova's `Instance.save(expected_task_state=...)`),
   * returning the new record. A guard miss → `UnexpectedState` (409) naming what was found.
   */
  async update(uuid: string, updates: InstanceUpdates, guard: StateGuard = {}): Promise<InstanceRecord> {
    const cols = await this.columnsOf(uuid, updates);
    const q = this.ds.createQueryBuilder().update(InstanceEntity).set({ ...cols, updated_at: nowSeconds() }).where('uuid = :uuid AND deleted = 0', { uuid });
    if (guard.expected_vm_state) q.andWhere('vm_state IN (:...vms)', { vms: guard.expected_vm_state });
    if (guard.expected_task_state) {
      const values = guard.expected_task_state.filter((t): t is string => t !== null);
      const parts = [];
      if (values.length > 0) parts.push('task_state IN (:...tss)');
      if (values.length !== guard.expected_task_state.length) parts.push('task_state IS NULL');
      q.andWhere(parts.length > 0 ? `(${parts.join(' OR ')})` : '1 = 0', { tss: values });
    }
    const res = await q.execute();
    if (!res.affected) {
      const current = await this.get(uuid);
      const expected = guard.expected_task_state ? `task_state ${JSON.stringify(guard.expected_task_state)}` : `vm_state ${JSON.stringify(guard.expected_vm_state)}`;
      throw new UnexpectedState(
        `Unexpected state for instance ${uuid}: expected ${expected}, found vm_state ${current.vm_state}, task_state ${current.task_state ?? 'None'}.`,
        { vm_state: current.vm_state, task_state: current.task_state },
      );
    }
    return this.get(uuid);
  }

  private async columnsOf(uuid: string, updates: InstanceUpdates): Promise<Partial<InstanceEntity>> {
    const { flavor, new_flavor, old_flavor, scheduled_at, launched_at, terminated_at, ...rest } = updates;
    const cols: Partial<InstanceEntity> = { ...rest };
    // Second precision, as every other timestamp here (MariaDB DATETIME keeps no fraction).
    const toDate = (iso: string | null) => (iso === null ? null : new Date(Math.floor(new Date(iso).getTime() / 1000) * 1000));
    if (scheduled_at !== undefined) cols.scheduled_at = toDate(scheduled_at);
    if (launched_at !== undefined) cols.launched_at = toDate(launched_at);
    if (terminated_at !== undefined) cols.terminated_at = toDate(terminated_at);
    if (flavor !== undefined || new_flavor !== undefined || old_flavor !== undefined) {
      const row = await this.ds.getRepository(InstanceEntity).findOne({ where: { uuid, deleted: 0 }, select: { id: true, flavor: true } });
      if (!row) throw instanceNotFound(uuid);
      const current = JSON.parse(row.flavor ?? '{}') as FlavorColumn;
      const next: FlavorColumn = {
        cur: flavor ?? current.cur,
        old: old_flavor !== undefined ? old_flavor : (current.old ?? null),
        new: new_flavor !== undefined ? new_flavor : (current.new ?? null),
      };
      cols.flavor = JSON.stringify(next);
      if (flavor) {
        cols.instance_type_id = flavor.id;
        cols.memory_mb = flavor.memory_mb;
        cols.vcpus = flavor.vcpus;
        cols.root_gb = flavor.root_gb;
        cols.ephemeral_gb = flavor.ephemeral_gb;
      }
    }
    return cols;
  }

  /**
   * Nova's `instance_destroy`: the row (and its metadata) soft-deleted, tags dropped, and its
   * console tokens deleted (Nova's `clean_console_auths_for_instance` on delete).
   */
  async destroy(uuid: string, updates: InstanceUpdates = {}): Promise<InstanceRecord> {
    await inTransaction(this.ds, async (m) => {
      const row = await m.getRepository(InstanceEntity).findOneBy({ uuid, deleted: 0 });
      if (!row) throw instanceNotFound(uuid);
      const now = nowSeconds();
      await m.getRepository(InstanceEntity).update({ id: row.id }, {
        ...(await this.columnsOf(uuid, updates)),
        vm_state: 'deleted', task_state: null, power_state: 0, terminated_at: row.terminated_at ?? now,
        updated_at: now, deleted_at: now, deleted: row.id,
      });
      for (const entity of [InstanceMetadataEntity, InstanceSystemMetadataEntity]) {
        await m.createQueryBuilder().update(entity).set({ deleted: () => 'id', deleted_at: now }).where('instance_uuid = :uuid AND deleted = 0', { uuid }).execute();
      }
      await m.getRepository(TagEntity).delete({ resource_id: uuid });
      await m.getRepository(ConsoleAuthTokenEntity).delete({ instance_uuid: uuid });
    });
    return this.get(uuid, { readDeleted: true });
  }

  /** Replaces (or, with `replace` false, merges into) the user metadata; returns the result. */
  async setMetadata(uuid: string, meta: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    await inTransaction(this.ds, async (m) => {
      const repo = m.getRepository(InstanceMetadataEntity);
      const now = nowSeconds();
      const existing = await repo.findBy({ instance_uuid: uuid, deleted: 0 });
      for (const row of existing) {
        if (meta[row.key] !== undefined) await repo.update({ id: row.id }, { value: meta[row.key], updated_at: now });
        else if (replace) await repo.update({ id: row.id }, { deleted: row.id, deleted_at: now });
      }
      const have = new Set(existing.map((r) => r.key));
      await this.insertMeta(m, InstanceMetadataEntity, uuid, Object.fromEntries(Object.entries(meta).filter(([k]) => !have.has(k))), now);
    });
    return this.metadataOf(uuid);
  }

  async metadataOf(uuid: string): Promise<Record<string, string>> {
    const rows = await this.ds.getRepository(InstanceMetadataEntity).find({ where: { instance_uuid: uuid, deleted: 0 }, order: { id: 'ASC' } });
    return Object.fromEntries(rows.map((r) => [r.key, r.value ?? '']));
  }

  /** Deletes one metadata key; false when it was not there. */
  async deleteMetadataKey(uuid: string, key: string): Promise<boolean> {
    const row = await this.ds.getRepository(InstanceMetadataEntity).findOneBy({ instance_uuid: uuid, key, deleted: 0 });
    if (!row) return false;
    await this.ds.getRepository(InstanceMetadataEntity).update({ id: row.id }, { deleted: row.id, deleted_at: nowSeconds() });
    return true;
  }

  async setSystemMetadata(uuid: string, meta: Record<string, string | null>): Promise<void> {
    await inTransaction(this.ds, async (m) => {
      const repo = m.getRepository(InstanceSystemMetadataEntity);
      const now = nowSeconds();
      for (const [key, value] of Object.entries(meta)) {
        const row = await repo.findOneBy({ instance_uuid: uuid, key, deleted: 0 });
        if (value === null) {
          if (row) await repo.update({ id: row.id }, { deleted: row.id, deleted_at: now });
        } else if (row) await repo.update({ id: row.id }, { value, updated_at: now });
        else await repo.insert({ instance_uuid: uuid, key, value, created_at: now, updated_at: null, deleted_at: null, deleted: 0 });
      }
    });
  }

  async tagsOf(uuid: string): Promise<string[]> {
    return (await this.ds.getRepository(TagEntity).find({ where: { resource_id: uuid }, order: { tag: 'ASC' } })).map((t) => t.tag);
  }

  /** Replaces the tags (at most 50, Nova's limit). */
  async setTags(uuid: string, tags: string[]): Promise<string[]> {
    const unique = [...new Set(tags)];
    if (unique.length > MAX_TAGS) throw new Invalid(`The number of tags exceeded the per-server limit ${MAX_TAGS}`);
    await inTransaction(this.ds, async (m) => {
      await m.getRepository(TagEntity).delete({ resource_id: uuid });
      if (unique.length > 0) await m.getRepository(TagEntity).insert(unique.map((tag) => ({ resource_id: uuid, tag })));
    });
    return this.tagsOf(uuid);
  }

  /** Adds one tag; false when it was there already. */
  async addTag(uuid: string, tag: string): Promise<boolean> {
    return inTransaction(this.ds, async (m) => {
      const repo = m.getRepository(TagEntity);
      if (await repo.existsBy({ resource_id: uuid, tag })) return false;
      if ((await repo.countBy({ resource_id: uuid })) >= MAX_TAGS) throw new Invalid(`The number of tags exceeded the per-server limit ${MAX_TAGS}`);
      await repo.insert({ resource_id: uuid, tag });
      return true;
    });
  }

  async deleteTag(uuid: string, tag: string): Promise<boolean> {
    return ((await this.ds.getRepository(TagEntity).delete({ resource_id: uuid, tag })).affected ?? 0) > 0;
  }

  async addFault(uuid: string, fault: { code: number; message: string; details?: string | null; host?: string | null }): Promise<void> {
    await this.ds.getRepository(InstanceFaultEntity).insert({
      instance_uuid: uuid, code: fault.code, message: fault.message.slice(0, 255), details: fault.details ?? null, host: fault.host ?? null,
      created_at: nowSeconds(), updated_at: null, deleted_at: null, deleted: 0,
    });
  }

  /** Hosts the live members of a server group run on (for the affinity filters). */
  async hostsOf(uuids: string[]): Promise<string[]> {
    if (uuids.length === 0) return [];
    const rows = await this.ds.getRepository(InstanceEntity).find({ where: { uuid: In(uuids), deleted: 0, host: Not(IsNull()) }, select: { host: true } });
    return [...new Set(rows.map((r) => r.host as string))];
  }

  /** `systemMetadata`: all of it (default), none (false) or only the given keys. */
  private async hydrate(rows: InstanceEntity[], opts: { systemMetadata?: boolean | readonly string[] } = {}): Promise<InstanceRecord[]> {
    if (rows.length === 0) return [];
    const uuids = rows.map((r) => r.uuid);
    const sys = opts.systemMetadata ?? true;
    const sysWhere = Array.isArray(sys) ? { instance_uuid: In(uuids), key: In([...sys]), deleted: 0 } : { instance_uuid: In(uuids), deleted: 0 };
    const [meta, sysmeta, tags, faults] = await Promise.all([
      this.ds.getRepository(InstanceMetadataEntity).find({ where: { instance_uuid: In(uuids), deleted: 0 }, order: { id: 'ASC' } }),
      sys === false || (Array.isArray(sys) && sys.length === 0) ? [] : this.ds.getRepository(InstanceSystemMetadataEntity).find({ where: sysWhere }),
      this.ds.getRepository(TagEntity).find({ where: { resource_id: In(uuids) }, order: { tag: 'ASC' } }),
      this.ds.getRepository(InstanceFaultEntity).find({ where: { instance_uuid: In(uuids), deleted: 0 }, order: { id: 'DESC' } }),
    ]);
    const group = <T>(items: T[], key: (t: T) => string) => {
      const m = new Map<string, T[]>();
      for (const it of items) {
        const k = key(it);
        const list = m.get(k);
        if (list) list.push(it);
        else m.set(k, [it]);
      }
      return m;
    };
    const metaBy = group(meta, (r) => r.instance_uuid);
    const sysBy = group(sysmeta, (r) => r.instance_uuid);
    const tagsBy = group(tags, (r) => r.resource_id);
    const faultBy = group(faults, (r) => r.instance_uuid);
    return rows.map((r) => toRecord(r, metaBy.get(r.uuid) ?? [], sysBy.get(r.uuid) ?? [], tagsBy.get(r.uuid) ?? [], faultBy.get(r.uuid)?.[0]));
  }
}

function toRecord(r: InstanceEntity, meta: InstanceMetadataEntity[], sysmeta: InstanceSystemMetadataEntity[], tags: TagEntity[], fault: InstanceFaultEntity | undefined): InstanceRecord {
  const flavor = JSON.parse(r.flavor ?? '{}') as FlavorColumn;
  const f: InstanceFault | null = fault
    ? { code: fault.code, message: fault.message ?? '', details: fault.details, host: fault.host, created_at: isoOrNull(fault.created_at) ?? '' }
    : null;
  return {
    id: r.id,
    uuid: r.uuid,
    display_name: r.display_name,
    display_description: r.display_description,
    hostname: r.hostname,
    project_id: r.project_id,
    user_id: r.user_id,
    vm_state: r.vm_state ?? 'building',
    task_state: r.task_state,
    power_state: r.power_state,
    host: r.host,
    node: r.node,
    launched_on: r.launched_on,
    scheduled_at: isoOrNull(r.scheduled_at),
    launched_at: isoOrNull(r.launched_at),
    terminated_at: isoOrNull(r.terminated_at),
    image_ref: r.image_ref,
    kernel_id: r.kernel_id,
    ramdisk_id: r.ramdisk_id,
    instance_type_id: r.instance_type_id,
    flavor: flavor.cur,
    new_flavor: flavor.new ?? null,
    old_flavor: flavor.old ?? null,
    key_name: r.key_name,
    key_data: r.key_data,
    user_data: r.user_data,
    availability_zone: r.availability_zone,
    reservation_id: r.reservation_id,
    launch_index: r.launch_index,
    locked: Boolean(r.locked),
    locked_by: r.locked_by,
    locked_reason: r.locked_reason,
    access_ip_v4: r.access_ip_v4,
    access_ip_v6: r.access_ip_v6,
    config_drive: r.config_drive,
    progress: r.progress,
    root_device_name: r.root_device_name,
    auto_disk_config: Boolean(r.auto_disk_config),
    metadata: Object.fromEntries(meta.map((m) => [m.key, m.value ?? ''])),
    system_metadata: Object.fromEntries(sysmeta.map((m) => [m.key, m.value ?? ''])),
    tags: tags.map((t) => t.tag),
    fault: f,
    created_at: isoOrNull(r.created_at),
    updated_at: isoOrNull(r.updated_at),
    deleted_at: isoOrNull(r.deleted_at),
    deleted: r.deleted !== 0,
  };
}
