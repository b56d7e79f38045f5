/**
 * What travels with a build between the API, the conductor and a compute (Nova's
 * `schedule_and_build_instances` / `build_and_run_instance` arguments), as plain JSON.
 */
import type { RequestSpec } from '../scheduler/request-spec';
import type { Selection } from '../scheduler/filter-scheduler';

/** Who asked, carried so every service records events under the same request id. */
export interface CallerContext {
  request_id: string;
  user_id: string;
  project_id: string;
  is_admin: boolean;
}

/** The image metadata the scheduler and the driver read (Nova's ImageMeta subset). */
export interface ImageMeta {
  id: string;
  name: string | null;
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  min_disk: number;
  min_ram: number;
  properties: Record<string, string>;
}

/** API → conductor (`compute_task.schedule_and_build_instances`). */
export interface ScheduleAndBuildArgs {
  ctx: CallerContext;
  instance_uuids: string[];
  request_spec: RequestSpec;
  image: ImageMeta | null;
  admin_password: string | null;
}

/** Conductor → compute (`build_and_run_instance`), one per instance. */
export interface BuildAndRunArgs {
  ctx: CallerContext;
  instance_uuid: string;
  node: string;
  image: ImageMeta | null;
  request_spec: RequestSpec;
  admin_password: string | null;
  /** Alternates left for a reschedule (the chosen host excluded). */
  host_list: Selection[];
  /** 1 for the first try. */
  attempt: number;
}

/** Compute → conductor (`compute_task.build_instances`): the build failed on `failed_host`; try an alternate. */
export interface RescheduleArgs extends Omit<BuildAndRunArgs, 'node'> {
  failed_host: string;
  /** The failure, for the fault when no alternate is left. */
  reason: string;
}
