import { DataSource } from 'typeorm';
import { Invalid } from '../../common/errors';
import { InstanceEntity } from '../entities';
import { isoOrNull } from '../db-helpers';
import type { UsageInstance } from '../../objects/usage-report.object';


export interface ActiveWindowOptions {
  begin: Date;
  end: Date;
  projectId?: string;
  limit: number;
  /** Uuid of the last instance of the previous page (any instance, deleted or not). */
  marker?: string;
}

interface FlavorColumn {
  cur?: { name?: string; memory_mb?: number; vcpus?: number; root_gb?: number; ephemeral_gb?: number } | null;
}

/**
 * Nova's `instance_get_active_by_window_joined` for the usage report: every instance row,
 * deleted or not, that was launched before `end` and not terminated before `begin`, ordered by
 * (project_id, uuid) and paged by an instance uuid marker. Read-only.
 */
export class UsageReportRepository {
  constructor(private readonly ds: DataSource) {}

  async activeByWindow(opts: ActiveWindowOptions): Promise<UsageInstance[]> {
    const repo = this.ds.getRepository(InstanceEntity);
    const q = repo
      .createQueryBuilder('i')
      .where('(i.terminated_at IS NULL OR i.terminated_at > :begin)', { begin: opts.begin })
      .andWhere('i.launched_at < :end', { end: opts.end });
    if (opts.projectId !== undefined) q.andWhere('i.project_id = :projectId', { projectId: opts.projectId });
    if (opts.marker !== undefined) {
      const marker = await repo.findOne({ where: { uuid: opts.marker }, select: { id: true, uuid: true, project_id: true } });
      if (!marker) throw new Invalid(`Marker ${opts.marker} could not be found.`);
      q.andWhere('(i.project_id > :mProject OR (i.project_id = :mProject AND i.uuid > :mUuid))', { mProject: marker.project_id, mUuid: marker.uuid });
    }
    if (opts.limit <= 0) return [];
    q.orderBy('i.project_id', 'ASC').addOrderBy('i.uuid', 'ASC').take(opts.limit);
    const rows = await q.getMany();
    return rows.map((r) => {
      let flavor: FlavorColumn = {};
      try {
        flavor = JSON.parse(r.flavor ?? '{}') as FlavorColumn;
      } catch {
        flavor = {};
      }
      const cur = flavor.cur ?? {};
      return {
        uuid: r.uuid,
        display_name: r.display_name,
        project_id: r.project_id,
        vm_state: r.vm_state,
        launched_at: isoOrNull(r.launched_at),
        terminated_at: isoOrNull(r.terminated_at),
        flavor: cur.name ?? '',
        memory_mb: cur.memory_mb ?? r.memory_mb ?? 0,
        vcpus: cur.vcpus ?? r.vcpus ?? 0,
        root_gb: cur.root_gb ?? r.root_gb ?? 0,
        ephemeral_gb: cur.ephemeral_gb ?? r.ephemeral_gb ?? 0,
      };
    });
  }
}
