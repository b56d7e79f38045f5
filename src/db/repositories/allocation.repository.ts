import { DataSource, EntityManager, In } from 'typeorm';
import { AllocationEntity, ComputeNodeEntity } from '../entities';
import { inTransaction } from '../db-helpers';

/** Amounts of the three standard resource classes. */
export interface Amounts {
  vcpus: number;
  memory_mb: number;
  disk_gb: number;
}

/** What a host reserves for itself on a node (placement's per-provider `reserved`). */
export interface Reserved {
  cpus: number;
  memory_mb: number;
  disk_mb: number;
}

export interface NodeUsage extends Amounts {
  /** Consumers (instance or migration uuids) holding allocations on the node. */
  consumers: string[];
}

export interface AllocationRecord extends Amounts {
  consumer_uuid: string;
  node_uuid: string;
}

/**
 * What a node's host reserves for itself, as its compute reported it (stats); the scheduler's
 * own options when the compute has not said (an older report).
 */
export function reservedOf(stats: Record<string, unknown>, d: { reserved_host_memory_mb: number; reserved_host_disk_mb: number; reserved_host_cpus: number }): Reserved {
  const num = (k: string, fallback: number) => (typeof stats[k] === 'number' || (typeof stats[k] === 'string' && stats[k] !== '') ? Number(stats[k]) : fallback);
  return {
    memory_mb: num('reserved_host_memory_mb', d.reserved_host_memory_mb),
    disk_mb: num('reserved_host_disk_mb', d.reserved_host_disk_mb),
    cpus: num('reserved_host_cpus', d.reserved_host_cpus),
  };
}

/** Why a claim failed, for logs and the scheduler's retry. */
export class ClaimFailed extends Error {}

/**
 * Placement's allocations, kept in the main database. `claim` is atomic per node: it locks the
 * node's row (MariaDB `SELECT ... FOR UPDATE`; SQLite transactions run one at a time), adds up
 * what the node's consumers hold, checks the request fits `(total - reserved) * ratio` per
 * resource class and records the allocation, so concurrent schedulers never overbook a node.
 */
export class AllocationRepository {
  constructor(private readonly ds: DataSource) {}

  /** `reserved` applies to nodes whose compute has not reported its own reserved amounts. */
  async claim(consumer: string, nodeUuid: string, amounts: Amounts, reserved: Reserved): Promise<void> {
    await inTransaction(this.ds, async (m) => {
      const q = m.getRepository(ComputeNodeEntity).createQueryBuilder('n').where('n.uuid = :uuid AND n.deleted = 0', { uuid: nodeUuid });
      if (this.ds.options.type !== 'better-sqlite3') q.setLock('pessimistic_write');
      const node = await q.getOne();
      if (!node) throw new ClaimFailed(`compute node ${nodeUuid} does not exist`);
      const used = await sumOn(m, nodeUuid, consumer);
      const r = reservedOf(parseStats(node.stats), { reserved_host_memory_mb: reserved.memory_mb, reserved_host_disk_mb: reserved.disk_mb, reserved_host_cpus: reserved.cpus });
      const cpuRatio = node.cpu_allocation_ratio ?? 1;
      const ramRatio = node.ram_allocation_ratio ?? 1;
      const diskRatio = node.disk_allocation_ratio ?? 1;
      const checks: Array<[string, number, number, number, number]> = [
        ['VCPU', amounts.vcpus, used.vcpus, node.vcpus - r.cpus, cpuRatio],
        ['MEMORY_MB', amounts.memory_mb, used.memory_mb, node.memory_mb - r.memory_mb, ramRatio],
        ['DISK_GB', amounts.disk_gb, used.disk_gb, node.local_gb - Math.ceil(r.disk_mb / 1024), diskRatio],
      ];
      for (const [cls, want, usedNow, usable, ratio] of checks) {
        if (want <= 0) continue;
        // Placement: a single allocation may not exceed the usable total, and the sum may not exceed it times the ratio.
        if (want > usable || usedNow + want > Math.floor(usable * ratio)) {
          throw new ClaimFailed(`${cls} on ${node.host}/${node.hypervisor_hostname}: ${want} requested, ${usedNow} of ${Math.floor(usable * ratio)} used`);
        }
      }
      await m.getRepository(AllocationEntity).delete({ consumer_uuid: consumer, node_uuid: nodeUuid });
      await m.getRepository(AllocationEntity).insert({ consumer_uuid: consumer, node_uuid: nodeUuid, ...amounts, created_at: new Date() });
    });
  }

  /** Drops what `consumer` holds (on one node, or everywhere). */
  async release(consumer: string, nodeUuid?: string): Promise<void> {
    await this.ds.getRepository(AllocationEntity).delete(nodeUuid === undefined ? { consumer_uuid: consumer } : { consumer_uuid: consumer, node_uuid: nodeUuid });
  }

  /** Moves a consumer's allocations to another consumer id (Nova moves the source allocation to the migration during a resize). */
  async moveConsumer(from: string, to: string, nodeUuid: string): Promise<void> {
    await this.ds.getRepository(AllocationEntity).update({ consumer_uuid: from, node_uuid: nodeUuid }, { consumer_uuid: to });
  }

  async forConsumer(consumer: string): Promise<AllocationRecord[]> {
    const rows = await this.ds.getRepository(AllocationEntity).findBy({ consumer_uuid: consumer });
    return rows.map((r) => ({ consumer_uuid: r.consumer_uuid, node_uuid: r.node_uuid, vcpus: r.vcpus, memory_mb: r.memory_mb, disk_gb: r.disk_gb }));
  }

  /** Usage per node uuid (all nodes, or the ones named). */
  async usageByNode(nodeUuids?: string[]): Promise<Map<string, NodeUsage>> {
    const rows = await this.ds.getRepository(AllocationEntity).find({
      where: nodeUuids ? { node_uuid: In(nodeUuids) } : {},
      select: { node_uuid: true, consumer_uuid: true, vcpus: true, memory_mb: true, disk_gb: true },
    });
    const out = new Map<string, NodeUsage>();
    for (const r of rows) {
      let u = out.get(r.node_uuid);
      if (!u) out.set(r.node_uuid, (u = { vcpus: 0, memory_mb: 0, disk_gb: 0, consumers: [] }));
      u.vcpus += r.vcpus;
      u.memory_mb += r.memory_mb;
      u.disk_gb += r.disk_gb;
      u.consumers.push(r.consumer_uuid);
    }
    return out;
  }
}

function parseStats(text: string | null): Record<string, unknown> {
  try {
    const v: unknown = text ? JSON.parse(text) : {};
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

async function sumOn(m: EntityManager, nodeUuid: string, except: string): Promise<Amounts> {
  const row = await m
    .getRepository(AllocationEntity)
    .createQueryBuilder('a')
    .select('COALESCE(SUM(a.vcpus), 0)', 'vcpus')
    .addSelect('COALESCE(SUM(a.memory_mb), 0)', 'memory_mb')
    .addSelect('COALESCE(SUM(a.disk_gb), 0)', 'disk_gb')
    .where('a.node_uuid = :nodeUuid AND a.consumer_uuid <> :except', { nodeUuid, except })
    .getRawOne<Record<string, string | number>>();
  return { vcpus: Number(row?.vcpus ?? 0), memory_mb: Number(row?.memory_mb ?? 0), disk_gb: Number(row?.disk_gb ?? 0) };
}
