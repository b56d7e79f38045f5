import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { Conflict, Invalid, NotFound } from '../../common/errors';
import { ComputeNodeRecord, ComputeNodeReport, HypervisorStatistics } from '../../objects/compute-node.object';
import { SERVICE_BINARIES } from '../../objects/service.object';
import { ComputeNodeEntity, ServiceEntity } from '../entities';
import { uniqueViolation } from '../db-helpers';
import { nowSeconds } from './service.repository';

export interface ComputeNodeListOptions {
  limit?: number;
  /** The last node of the previous page: its uuid (≥2.53) or integer id (2.33–2.52). */
  marker?: string | number;
  /** Nova's `hypervisor_hostname_pattern`: SQL `LIKE '%<pattern>%'` on hypervisor_hostname. */
  hostnamePattern?: string;
}

const STAT_FIELDS = [
  'vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used', 'local_gb_used', 'free_ram_mb', 'free_disk_gb',
  'current_workload', 'running_vms', 'disk_available_least',
] as const;

/** Compute nodes of the main database (one per hypervisor a nova-compute manages). */
export class ComputeNodeRepository {
  private readonly repo: Repository<ComputeNodeEntity>;

  constructor(ds: DataSource) {
    this.repo = ds.getRepository(ComputeNodeEntity);
  }

  /**
   * The resource tracker's report: creates the (host, hypervisor_hostname) node on first report
   * (with `report.uuid` or a new one), updates it afterwards. Concurrent first reports end with
   * one row. A report carrying the uuid of a soft-deleted node revives that row, as Nova does.
   */
  async upsert(report: ComputeNodeReport): Promise<ComputeNodeRecord> {
    const key = { host: report.host, hypervisor_hostname: report.hypervisor_hostname, deleted: 0 };
    const values = columnsOf(report);
    const existing = await this.repo.findOneBy(key);
    if (existing) return this.updateRow(existing.id, values);
    const now = nowSeconds();
    try {
      await this.repo.insert({
        vcpus_used: 0, memory_mb_used: 0, local_gb_used: 0, ...values,
        uuid: report.uuid ?? randomUUID(), created_at: now, updated_at: null, deleted_at: null, deleted: 0,
      });
    } catch (err) {
      if (uniqueViolation(err) === null) throw err;
      const winner = await this.repo.findOneBy(key);
      if (winner) return this.updateRow(winner.id, values);
      const old = report.uuid ? await this.repo.findOneBy({ uuid: report.uuid }) : null;
      if (old && old.deleted !== 0) return this.updateRow(old.id, { ...values, deleted: 0, deleted_at: null });
      if (old) throw new Conflict(`Compute node ${old.uuid} already exists as ${old.host}/${old.hypervisor_hostname}.`);
      throw err;
    }
    return this.toRecordOrFail(await this.repo.findOneBy(key), report.host);
  }

  async get(id: number): Promise<ComputeNodeRecord> {
    return this.toRecordOrFail(await this.repo.findOneBy({ id, deleted: 0 }), id);
  }

  async getByUuid(uuid: string): Promise<ComputeNodeRecord> {
    return this.toRecordOrFail(await this.repo.findOneBy({ uuid, deleted: 0 }), uuid);
  }

  async getByHostAndNode(host: string, hypervisorHostname: string): Promise<ComputeNodeRecord> {
    return this.toRecordOrFail(await this.repo.findOneBy({ host, hypervisor_hostname: hypervisorHostname, deleted: 0 }), host);
  }

  /** Live nodes by id; an unknown marker is Nova's 400 "marker [<m>] not found". */
  async list(opts: ComputeNodeListOptions = {}): Promise<ComputeNodeRecord[]> {
    const qb = this.repo.createQueryBuilder('cn').where('cn.deleted = 0');
    if (opts.marker !== undefined) {
      const byId = typeof opts.marker === 'number' || /^\d+$/.test(opts.marker);
      const row = await this.repo.findOneBy(byId ? { id: Number(opts.marker), deleted: 0 } : { uuid: String(opts.marker), deleted: 0 });
      if (!row) throw new Invalid(`marker [${opts.marker}] not found`);
      qb.andWhere('cn.id > :markerId', { markerId: row.id });
    }
    if (opts.hostnamePattern !== undefined) qb.andWhere('cn.hypervisor_hostname LIKE :pattern', { pattern: `%${opts.hostnamePattern}%` });
    qb.orderBy('cn.id', 'ASC');
    if (opts.limit !== undefined) qb.limit(opts.limit);
    return (await qb.getMany()).map(toRecord);
  }

  /** The live nodes of one compute host (empty when none; Nova's caller raises ComputeHostNotFound). */
  async listByHost(host: string): Promise<ComputeNodeRecord[]> {
    return (await this.repo.find({ where: { host, deleted: 0 }, order: { id: 'ASC' } })).map(toRecord);
  }

  /**
   * Sums over live nodes whose nova-compute service is enabled and not deleted, as Nova's
   * `compute_node_statistics` (os-hypervisors/statistics).
   */
  async statistics(): Promise<HypervisorStatistics> {
    const qb = this.repo
      .createQueryBuilder('cn')
      .select('COUNT(*)', 'count')
      .innerJoin(ServiceEntity, 's', '(s.host = cn.host OR s.id = cn.service_id) AND s.disabled = 0 AND s.binary = :binary AND s.deleted = 0', {
        binary: SERVICE_BINARIES.compute,
      })
      .where('cn.deleted = 0');
    for (const f of STAT_FIELDS) qb.addSelect(`SUM(cn.${f})`, f);
    const raw: Record<string, unknown> = (await qb.getRawOne()) ?? {};
    const num = (v: unknown) => Number(v ?? 0) || 0;
    const out = { count: num(raw.count) } as HypervisorStatistics;
    for (const f of STAT_FIELDS) out[f] = num(raw[f]);
    return out;
  }

  /** Soft-deletes every node of a host (its compute service was deleted); returns how many. */
  async softDeleteByHost(host: string): Promise<number> {
    const result = await this.repo
      .createQueryBuilder()
      .update(ComputeNodeEntity)
      .set({ deleted: () => 'id', deleted_at: nowSeconds(), updated_at: nowSeconds() })
      .where('host = :host AND deleted = 0', { host })
      .execute();
    return result.affected ?? 0;
  }

  private async updateRow(id: number, values: Partial<ComputeNodeEntity>): Promise<ComputeNodeRecord> {
    await this.repo.update({ id }, { ...values, updated_at: nowSeconds() });
    return this.get(id);
  }

  private toRecordOrFail(row: ComputeNodeEntity | null, what: string | number): ComputeNodeRecord {
    if (!row) throw new NotFound(`Compute host ${what} could not be found.`);
    return toRecord(row);
  }
}

/** The columns a report sets: everything given, JSON fields serialised. */
function columnsOf(report: ComputeNodeReport): Partial<ComputeNodeEntity> {
  const out: Partial<ComputeNodeEntity> = {};
  const plain = [
    'service_id', 'host', 'hypervisor_hostname', 'hypervisor_type', 'hypervisor_version', ...STAT_FIELDS, 'host_ip',
    'cpu_allocation_ratio', 'ram_allocation_ratio', 'disk_allocation_ratio',
  ] as const;
  const target = out as Record<string, unknown>;
  for (const k of plain) if (report[k] !== undefined) target[k] = report[k];
  if (report.cpu_info !== undefined) {
    out.cpu_info = report.cpu_info === null || typeof report.cpu_info === 'string' ? report.cpu_info : JSON.stringify(report.cpu_info);
  }
  if (report.stats !== undefined) out.stats = report.stats === null ? null : JSON.stringify(report.stats);
  if (report.supported_instances !== undefined) {
    out.supported_instances = report.supported_instances === null ? null : JSON.stringify(report.supported_instances);
  }
  return out;
}

function parseJson(text: string | null): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function iso(d: Date | string | null): string | null {
  if (d === null || d === undefined) return null;
  return (d instanceof Date ? d : new Date(d)).toISOString();
}

function toRecord(row: ComputeNodeEntity): ComputeNodeRecord {
  const sup = parseJson(row.supported_instances);
  return {
    id: row.id,
    uuid: row.uuid,
    service_id: row.service_id,
    host: row.host,
    hypervisor_hostname: row.hypervisor_hostname,
    hypervisor_type: row.hypervisor_type,
    hypervisor_version: Number(row.hypervisor_version),
    vcpus: row.vcpus,
    memory_mb: row.memory_mb,
    local_gb: row.local_gb,
    vcpus_used: row.vcpus_used,
    memory_mb_used: row.memory_mb_used,
    local_gb_used: row.local_gb_used,
    free_ram_mb: row.free_ram_mb,
    free_disk_gb: row.free_disk_gb,
    disk_available_least: row.disk_available_least,
    current_workload: row.current_workload,
    running_vms: row.running_vms,
    host_ip: row.host_ip,
    cpu_info: asObject(parseJson(row.cpu_info)),
    stats: asObject(parseJson(row.stats)),
    supported_instances: Array.isArray(sup) ? sup : [],
    cpu_allocation_ratio: row.cpu_allocation_ratio,
    ram_allocation_ratio: row.ram_allocation_ratio,
    disk_allocation_ratio: row.disk_allocation_ratio,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}
