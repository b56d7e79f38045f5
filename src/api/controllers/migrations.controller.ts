import { Controller, Get } from '@nestjs/common';
import { Invalid } from '../../common/errors';
import { MigrationRepository } from '../../db/repositories/migration.repository';
import type { MigrationFilter } from '../../objects/migration.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import { pageParams, Query, queryBool, rejectUnknown, single } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { migrationLinks } from '../views/migration-links';
import { osMigrationView } from '../views/migration.view';

const P = 'os_compute_api:os-migrations';
const MAX_LIMIT = 1000;

/** `GET /os-migrations`: every move, filtered as Nova's `migration_get_all_by_filters`; hidden ones left out. */
@Controller('v2.1/os-migrations')
export class MigrationsController {
  constructor(private readonly migrations: MigrationRepository, private readonly policy: PolicyService) {}

  @Get()
  async index(@ReqCtx() ctx: RequestContext, @QueryParams() query: Query) {
    this.policy.authorize(ctx, `${P}:index`, {});
    const v = ctx.version;
    const paged = atLeast(v, '2.59');
    if (paged) {
      const allowed = ['hidden', 'host', 'instance_uuid', 'source_compute', 'status', 'migration_type', 'limit', 'marker', 'changes-since'];
      if (atLeast(v, '2.66')) allowed.push('changes-before');
      if (atLeast(v, '2.80')) allowed.push('user_id', 'project_id');
      rejectUnknown(query, allowed);
    }
    const f: MigrationFilter = {};
    const status = query.status;
    if (status !== undefined) f.status = status;
    for (const key of ['host', 'source_compute', 'migration_type', 'instance_uuid'] as const) {
      const value = single(query, key);
      if (value !== undefined) f[key] = value;
    }
    const hidden = single(query, 'hidden');
    if (hidden !== undefined) f.hidden = queryBool(query, 'hidden') ?? false;
    if (atLeast(v, '2.80')) {
      f.user_id = single(query, 'user_id');
      f.project_id = single(query, 'project_id');
    }
    if (paged) f.changes_since = parseTime(single(query, 'changes-since'), 'changes-since');
    if (atLeast(v, '2.66')) {
      f.changes_before = parseTime(single(query, 'changes-before'), 'changes-before');
      if (f.changes_since && f.changes_before && f.changes_before < f.changes_since) throw new Invalid('The value of changes-since must be less than or equal to changes-before.');
    }
    const page = paged ? pageParams(query, MAX_LIMIT) : { limit: undefined, marker: undefined };
    const rows = (await this.migrations.list(f, page)).filter((m) => !m.hidden);
    const body: Record<string, unknown> = { migrations: rows.map((m) => osMigrationView(ctx, m, true)) };
    if (paged) {
      const links = migrationLinks(ctx, query, page.limit ?? MAX_LIMIT, rows);
      if (links) body.migrations_links = links;
    }
    return body;
  }
}

function parseTime(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(t)) throw new Invalid(`Invalid input for query parameters ${name}. Value: ${value}. '${value}' is not a 'date-time'`);
  return new Date(t).toISOString();
}
