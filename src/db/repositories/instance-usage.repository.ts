import { DataSource } from 'typeorm';
import { InstanceEntity } from '../entities';

export interface InstanceUsage {
  instances: number;
  cores: number;
  ram: number;
}

/** What a project's (or one user's) live instances use, for quotas and limits. */
export class InstanceUsageRepository {
  constructor(private readonly ds: DataSource) {}

  async usage(projectId: string, userId?: string): Promise<InstanceUsage> {
    const q = this.ds
      .getRepository(InstanceEntity)
      .createQueryBuilder('i')
      .select('COUNT(i.id)', 'instances')
      .addSelect('COALESCE(SUM(i.vcpus), 0)', 'cores')
      .addSelect('COALESCE(SUM(i.memory_mb), 0)', 'ram')
      .where('i.project_id = :projectId AND i.deleted = 0', { projectId });
    if (userId !== undefined) q.andWhere('i.user_id = :userId', { userId });
    const row = await q.getRawOne<{ instances: string | number; cores: string | number; ram: string | number }>();
    return { instances: Number(row?.instances ?? 0), cores: Number(row?.cores ?? 0), ram: Number(row?.ram ?? 0) };
  }
}
