import { Inject, Injectable, Logger } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import { GlanceClient, glanceFor } from '../image/glance-client';
import type { CallerContext } from '../objects/build.object';
import { TaskState } from '../objects/instance.object';
import type { BackupArgs, SnapshotArgs } from './compute-image.rpc-client';
import type { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { InstanceRunner } from './instance-runner';

/** The task states a snapshot passes through on the way to the image service. */
export interface UploadSteps {
  /** The task state the instance is in when the driver starts. */
  from: string;
  pending: string;
  uploading: string;
}

/**
 * createImage and createBackup on the compute (Nova's `snapshot_instance` / `backup_instance`):
 * image_snapshot (snapshots only) → image_pending_upload → image_uploading → null, the driver's
 * bytes streamed into the queued image. Any failure deletes the image (Nova's
 * `delete_image_on_error`) and leaves a fault with the task state reverted. Backups then delete
 * this instance's oldest backups of the same type beyond `rotation`.
 */
@Injectable()
export class SnapshotService {
  private readonly logger = new Logger('compute.snapshot');

  constructor(
    private readonly runner: InstanceRunner,
    private readonly conductor: ConductorRpcClient,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  glance(ctx: CallerContext, authToken?: string | null): GlanceClient {
    return glanceFor(this.conf, ctx, authToken);
  }

  snapshot(args: SnapshotArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    return this.runner.run(ctx, uuid, 'compute_snapshot_instance', async () => {
      const glance = this.glance(ctx, args.auth_token);
      await this.withImageCleanup(glance, args.image_id, async () => {
        await this.conductor.instance_update(uuid, { task_state: TaskState.IMAGE_SNAPSHOT }, { expected_task_state: [TaskState.IMAGE_SNAPSHOT_PENDING] });
        await this.upload(glance, uuid, args.image_id, { from: TaskState.IMAGE_SNAPSHOT, pending: TaskState.IMAGE_PENDING_UPLOAD, uploading: TaskState.IMAGE_UPLOADING });
      });
      await this.finish(uuid);
    });
  }

  backup(args: BackupArgs): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    return this.runner.run(ctx, uuid, 'compute_backup_instance', async () => {
      const glance = this.glance(ctx, args.auth_token);
      await this.withImageCleanup(glance, args.image_id, () =>
        this.upload(glance, uuid, args.image_id, { from: TaskState.IMAGE_BACKUP, pending: TaskState.IMAGE_PENDING_UPLOAD, uploading: TaskState.IMAGE_UPLOADING }));
      await this.finish(uuid);
      await this.rotate(glance, uuid, args.backup_type, args.rotation);
    });
  }

  /**
   * Streams the guest's disk into the image: task `from` → `pending` when the driver has the
   * data, → `uploading` while it flows; the formats the driver reports are set on the image first.
   */
  async upload(glance: GlanceClient, uuid: string, imageId: string, steps: UploadSteps): Promise<void> {
    let written = false;
    await this.driver.snapshot(uuid, async (data, meta) => {
      await this.conductor.instance_update(uuid, { task_state: steps.pending }, { expected_task_state: [steps.from] });
      await this.conductor.instance_update(uuid, { task_state: steps.uploading }, { expected_task_state: [steps.pending] });
      await glance.update(imageId, { disk_format: meta.disk_format, container_format: meta.container_format });
      await glance.upload(imageId, data);
      written = true;
    });
    if (!written) throw new Error(`The driver returned no data for the snapshot of ${uuid}.`);
  }

  /** Runs `fn`; when it fails, deletes the image unless its data made it (then rethrows). */
  async withImageCleanup(glance: GlanceClient, imageId: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const image = await glance.get(imageId).catch(() => null);
      if (image && image.status !== 'active') {
        await glance.delete(imageId).catch((e: unknown) => this.logger.warn(`cannot delete image ${imageId} after a failed snapshot: ${String(e)}`));
      }
      throw err;
    }
  }

  private async finish(uuid: string): Promise<void> {
    const power = await this.driver.getInfo(uuid).then((i) => i.power_state).catch(() => undefined);
    await this.conductor.instance_update(uuid, { task_state: null, ...(power !== undefined ? { power_state: power } : {}) }, { expected_task_state: [TaskState.IMAGE_UPLOADING] });
  }

  /** Nova's `_rotate_backups`: keeps the newest `rotation` backups of this instance and type. */
  private async rotate(glance: GlanceClient, uuid: string, backupType: string, rotation: number): Promise<void> {
    const filter = { image_type: 'backup', backup_type: backupType, instance_uuid: uuid };
    const backups = (await glance.list(filter))
      .filter((i) => Object.entries(filter).every(([k, v]) => i.properties[k] === v))
      .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
    for (const old of backups.slice(Math.max(rotation, 0))) {
      this.logger.log(`rotating out backup ${old.id} of ${uuid} (${backupType}, rotation ${rotation})`);
      await glance.delete(old.id);
    }
  }
}
