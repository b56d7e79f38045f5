import { DataSource, Repository } from 'typeorm';
import { Invalid, NotFound } from '../../common/errors';
import {
  DEFAULT_QUOTA_CLASS, isQuotaResource, MAX_QUOTA_LIMIT, QUOTA_RESOURCES, QuotaConfigDefaults, QuotaLimits,
  quotaLimitsFromConfig, QuotaResource,
} from '../../objects/quota.object';
import { ProjectUserQuotaEntity, QuotaClassEntity, QuotaEntity } from '../entities';
import { inTransaction, retryOnDeadlock } from '../db-helpers';
import { nowSeconds } from './service.repository';

interface LimitRow {
  resource: string;
  hard_limit: number | null;
}

/**
 * Quota limits of Nova's DbQuotaDriver: a user's limit overrides its project's, which overrides
 * the `default` quota class, which overrides the `[quota]` options. -1 means unlimited. Usage is
 * counted elsewhere (instances, server groups, key pairs); `checkQuota` compares the two.
 */
export class QuotaRepository {
  private readonly configured: QuotaLimits;
  private readonly projects: Repository<QuotaEntity>;
  private readonly users: Repository<ProjectUserQuotaEntity>;
  private readonly classes: Repository<QuotaClassEntity>;

  constructor(private readonly ds: DataSource, defaults: QuotaConfigDefaults) {
    this.configured = quotaLimitsFromConfig(defaults);
    this.projects = ds.getRepository(QuotaEntity);
    this.users = ds.getRepository(ProjectUserQuotaEntity);
    this.classes = ds.getRepository(QuotaClassEntity);
  }

  /** `GET /os-quota-sets/{p}/defaults`: the `default` class rows over the configured values. */
  async getDefaults(): Promise<QuotaLimits> {
    return this.getClassQuotas(DEFAULT_QUOTA_CLASS);
  }

  /** A quota class: its rows over the configured values (Nova's `get_class_quotas`). */
  async getClassQuotas(className: string): Promise<QuotaLimits> {
    return overlay({ ...this.configured }, await this.classes.findBy({ class_name: className }));
  }

  async setClassQuotas(className: string, limits: Partial<QuotaLimits>): Promise<QuotaLimits> {
    const now = nowSeconds();
    const values = checked(limits).map(([resource, hard_limit]) => ({ class_name: className, resource, hard_limit, created_at: now, updated_at: now }));
    if (values.length > 0) {
      await retryOnDeadlock(() => this.classes.createQueryBuilder().insert().into(QuotaClassEntity).values(values)
        .orUpdate(['hard_limit', 'updated_at'], ['class_name', 'resource']).execute());
    }
    return this.getClassQuotas(className);
  }

  /** Effective limits of a project, or of a user in it: user > project > default class > config. */
  async getProjectQuotas(projectId: string, userId?: string): Promise<QuotaLimits> {
    const limits = overlay(await this.getDefaults(), await this.projects.findBy({ project_id: projectId }));
    if (userId === undefined) return limits;
    return overlay(limits, await this.users.findBy({ project_id: projectId, user_id: userId }));
  }

  /**
   * Only the limits stored for the project (or, with `userId`, for that user in it), without
   * fallbacks; Nova uses the user's to decide whether instances are counted per user.
   */
  async getStoredLimits(projectId: string, userId?: string): Promise<Partial<QuotaLimits>> {
    const rows = userId === undefined
      ? await this.projects.findBy({ project_id: projectId })
      : await this.users.findBy({ project_id: projectId, user_id: userId });
    return overlay({}, rows);
  }

  /** Stores limits for the project (or a user in it); returns the new effective limits. */
  async setProjectQuotas(projectId: string, limits: Partial<QuotaLimits>, userId?: string): Promise<QuotaLimits> {
    const now = nowSeconds();
    const entries = checked(limits);
    if (entries.length > 0 && userId === undefined) {
      const values = entries.map(([resource, hard_limit]) => ({ project_id: projectId, resource, hard_limit, created_at: now, updated_at: now }));
      await retryOnDeadlock(() => this.projects.createQueryBuilder().insert().into(QuotaEntity).values(values)
        .orUpdate(['hard_limit', 'updated_at'], ['project_id', 'resource']).execute());
    } else if (entries.length > 0 && userId !== undefined) {
      const values = entries.map(([resource, hard_limit]) => ({ user_id: userId, project_id: projectId, resource, hard_limit, created_at: now, updated_at: now }));
      await retryOnDeadlock(() => this.users.createQueryBuilder().insert().into(ProjectUserQuotaEntity).values(values)
        .orUpdate(['hard_limit', 'updated_at'], ['user_id', 'project_id', 'resource']).execute());
    }
    return this.getProjectQuotas(projectId, userId);
  }

  /**
   * Back to the defaults: a project loses its own limits and every per-user limit in it; with
   * `userId` only that user's limits go. Deleting nothing is not an error (the API answers 202).
   */
  async deleteProjectQuotas(projectId: string, userId?: string): Promise<void> {
    if (userId !== undefined) {
      await this.users.delete({ project_id: projectId, user_id: userId });
      return;
    }
    await inTransaction(this.ds, async (m) => {
      await m.delete(QuotaEntity, { project_id: projectId });
      await m.delete(ProjectUserQuotaEntity, { project_id: projectId });
    });
  }
}

function overlay<T extends Partial<QuotaLimits>>(base: T, rows: LimitRow[]): T {
  for (const r of rows) {
    if (isQuotaResource(r.resource) && r.hard_limit !== null) base[r.resource] = r.hard_limit;
  }
  return base;
}

/** Known resources with integer limits in -1..2^31-1; Nova's QuotaResourceUnknown otherwise. */
function checked(limits: Partial<QuotaLimits>): Array<[QuotaResource, number]> {
  const unknown = Object.keys(limits).filter((k) => !isQuotaResource(k)).sort();
  if (unknown.length > 0) throw new NotFound(`Unknown quota resources [${unknown.map((u) => `'${u}'`).join(', ')}].`);
  const out: Array<[QuotaResource, number]> = [];
  for (const res of QUOTA_RESOURCES) {
    const v = limits[res];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < -1 || v > MAX_QUOTA_LIMIT) {
      throw new Invalid(`Quota limit ${v} for ${res} must be an integer between -1 and ${MAX_QUOTA_LIMIT}.`);
    }
    out.push([res, v]);
  }
  return out;
}
