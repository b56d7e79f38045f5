/** `os-migrations` and server-migration items (Nova's migrations.py `_output`, server_migrations.py `output`). Pure. */
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { LIVE_IN_PROGRESS, MigrationRecord, MigrationType } from '../../objects/migration.object';
import { isoMicro, resourceLinks } from './format';

export function osMigrationView(ctx: RequestContext, m: MigrationRecord, showHosts: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: m.id, instance_uuid: m.instance_uuid,
    source_compute: showHosts ? m.source_compute : null, source_node: showHosts ? m.source_node : null,
    dest_compute: showHosts ? m.dest_compute : null, dest_node: showHosts ? m.dest_node : null, dest_host: showHosts ? m.dest_host : null,
    old_instance_type_id: m.old_instance_type_id, new_instance_type_id: m.new_instance_type_id, status: m.status,
    created_at: isoMicro(m.created_at), updated_at: isoMicro(m.updated_at),
  };
  if (atLeast(ctx.version, '2.23')) {
    body.migration_type = m.migration_type;
    if (m.migration_type === MigrationType.LIVE && LIVE_IN_PROGRESS.includes(m.status ?? '')) {
      body.links = resourceLinks(ctx, `servers/${m.instance_uuid}/migrations`, m.id);
    }
  }
  if (atLeast(ctx.version, '2.59')) body.uuid = m.uuid;
  if (atLeast(ctx.version, '2.80')) {
    body.user_id = m.user_id;
    body.project_id = m.project_id;
  }
  return body;
}

export function serverMigrationView(ctx: RequestContext, m: MigrationRecord, showHosts = true): Record<string, unknown> {
  const body: Record<string, unknown> = {
    created_at: isoMicro(m.created_at), dest_compute: null, dest_host: null, dest_node: null,
    disk_processed_bytes: m.disk_processed, disk_remaining_bytes: m.disk_remaining, disk_total_bytes: m.disk_total,
    id: m.id, memory_processed_bytes: m.memory_processed, memory_remaining_bytes: m.memory_remaining, memory_total_bytes: m.memory_total,
    server_uuid: m.instance_uuid, source_compute: null, source_node: null, status: m.status, updated_at: isoMicro(m.updated_at),
  };
  if (atLeast(ctx.version, '2.59')) body.uuid = m.uuid;
  if (atLeast(ctx.version, '2.80')) {
    body.user_id = m.user_id;
    body.project_id = m.project_id;
  }
  if (showHosts) Object.assign(body, { dest_compute: m.dest_compute, dest_host: m.dest_host, dest_node: m.dest_node, source_compute: m.source_compute, source_node: m.source_node });
  return body;
}
