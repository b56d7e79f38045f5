/**
 * A move of an instance (Nova's `Migration` object) as it crosses the bus: plain JSON, datetimes
 * as ISO strings. Field names are Nova's. Pure module.
 */
import type { InstanceFlavor } from './instance.object';
import type { CallerContext, ImageMeta } from './build.object';
import type { RequestSpec } from '../scheduler/request-spec';
import type { Selection } from '../scheduler/filter-scheduler';

export const MigrationType = { MIGRATION: 'migration', RESIZE: 'resize', LIVE: 'live-migration', EVACUATION: 'evacuation' } as const;

export interface MigrationRecord {
  id: number;
  uuid: string;
  instance_uuid: string;
  source_compute: string | null;
  dest_compute: string | null;
  source_node: string | null;
  dest_node: string | null;
  dest_host: string | null;
  old_instance_type_id: number | null;
  new_instance_type_id: number | null;
  status: string | null;
  migration_type: string;
  hidden: boolean;
  memory_total: number | null;
  memory_processed: number | null;
  memory_remaining: number | null;
  disk_total: number | null;
  disk_processed: number | null;
  disk_remaining: number | null;
  user_id: string | null;
  project_id: string | null;
  created_at: string | null;
  updated_at: string | null;
}

/** What a host holds for an instance moving to or from it (counted by its resource tracker). */
export interface MoveUsage {
  instance_uuid: string;
  node: string | null;
  flavor: InstanceFlavor;
}

/** An evacuation away from a host whose compute has not yet removed its copy of the guest. */
export interface EvacuatedInstance {
  migration_uuid: string;
  instance_uuid: string;
}

export type NewMigration = Pick<MigrationRecord, 'instance_uuid' | 'status' | 'migration_type'> &
  Partial<Pick<MigrationRecord, 'source_compute' | 'dest_compute' | 'source_node' | 'dest_node' | 'dest_host' | 'old_instance_type_id' | 'new_instance_type_id' | 'user_id' | 'project_id'>>;

export type MigrationUpdates = Partial<Pick<MigrationRecord, 'status' | 'source_compute' | 'dest_compute' | 'source_node' | 'dest_node' | 'dest_host'>>;

/** Filters of `GET /os-migrations` (Nova's `migration_get_all_by_filters`). */
export interface MigrationFilter {
  status?: string[];
  /** source or destination compute */
  host?: string;
  source_compute?: string;
  migration_type?: string;
  hidden?: boolean;
  instance_uuid?: string;
  user_id?: string;
  project_id?: string;
  changes_since?: string;
  changes_before?: string;
}

/** Live-migration statuses in which the migration is shown under /servers/{id}/migrations. */
export const LIVE_IN_PROGRESS = ['queued', 'preparing', 'running', 'post-migrating'];

/** API → conductor `compute_task.migrate_server` (resize and cold migration). */
export interface MigrateServerArgs {
  ctx: CallerContext;
  instance_uuid: string;
  /** The flavor after the move (the current one for a cold migration). */
  flavor: InstanceFlavor;
  request_spec: RequestSpec;
  /** Requested destination host (cold migration with a host, 2.56). */
  host: string | null;
}

/** API → conductor `compute_task.live_migrate_instance`. */
export interface LiveMigrateArgs {
  ctx: CallerContext;
  instance_uuid: string;
  request_spec: RequestSpec;
  host: string | null;
  /** Skip the scheduler for `host` (before 2.30 a given host is always forced). */
  force: boolean;
  block_migration: boolean | null;
}

/** API → conductor `compute_task.evacuate_instance`. */
export interface EvacuateArgs {
  ctx: CallerContext;
  instance_uuid: string;
  migration_uuid: string;
  request_spec: RequestSpec;
  host: string | null;
  force: boolean;
  admin_password: string | null;
}

/** What every move cast to a compute carries. */
export interface MoveArgs {
  ctx: CallerContext;
  instance_uuid: string;
  migration: MigrationRecord;
  image: ImageMeta | null;
}

export interface PrepResizeArgs extends MoveArgs {
  flavor: InstanceFlavor;
  node: string;
  request_spec: RequestSpec;
  host_list: Selection[];
}

export interface ResizeArgs extends MoveArgs {
  flavor: InstanceFlavor;
  /** How the source reaches the destination host (the destination driver's getMigrationTarget); absent: nothing. */
  dest_target?: Record<string, unknown> | null;
}

export interface LiveMigrationArgs extends MoveArgs {
  dest: string;
  dest_node: string;
  block_migration: boolean | null;
}

export interface EvacuateAtDestArgs extends MoveArgs {
  node: string;
  admin_password: string | null;
}
