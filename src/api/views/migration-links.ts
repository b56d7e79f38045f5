import type { RequestContext } from '../http/request-context';
import type { MigrationRecord } from '../../objects/migration.object';
import { nextLinks } from './format';

/** `migrations_links` (2.59): a next link when the page is full, marked with the last migration's uuid. */
export function migrationLinks(ctx: RequestContext, query: Record<string, string[]>, pageSize: number, rows: MigrationRecord[]) {
  return nextLinks(ctx, 'os-migrations', query, pageSize, rows.length, rows[rows.length - 1]?.uuid);
}
