import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { CallerContext, ImageMeta } from '../objects/build.object';
import type { MessageBus } from '../rpc/message-bus';

/** What every image operation carries: the caller, and (keystone only) the user's token for the image service. */
export interface ImageOpArgs {
  ctx: CallerContext;
  instance_uuid: string;
  auth_token?: string | null;
}

export interface SnapshotArgs extends ImageOpArgs {
  image_id: string;
}

export interface BackupArgs extends SnapshotArgs {
  backup_type: string;
  rotation: number;
}

export interface ShelveArgs extends SnapshotArgs {
  clean_shutdown: boolean;
}

/** Conductor → compute: the instance is placed on `node` (offloaded) or still on this host (shelved). */
export interface UnshelveArgs extends ImageOpArgs {
  node: string | null;
}

export interface RebuildServerArgs extends ImageOpArgs {
  image: ImageMeta;
  admin_password: string | null;
  preserve_ephemeral: boolean;
}

export interface CacheImagesArgs {
  ctx: CallerContext;
  images: ImageMeta[];
}

export type ImageCacheResult = 'cached' | 'existing' | 'unsupported' | 'error';

/**
 * Typed client of the compute's image operations (Nova's `snapshot_instance`, `backup_instance`,
 * `shelve_instance`, `shelve_offload_instance`, `unshelve_instance`; user rebuilds are
 * `rebuild_server`, evacuation keeps Nova's `rebuild_instance`). All casts.
 */
@Injectable()
export class ComputeImageRpcClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  snapshot_instance(host: string, args: SnapshotArgs): Promise<void> {
    return this.cast(host, 'snapshot_instance', args);
  }

  backup_instance(host: string, args: BackupArgs): Promise<void> {
    return this.cast(host, 'backup_instance', args);
  }

  shelve_instance(host: string, args: ShelveArgs): Promise<void> {
    return this.cast(host, 'shelve_instance', args);
  }

  shelve_offload_instance(host: string, args: ImageOpArgs & { clean_shutdown: boolean }): Promise<void> {
    return this.cast(host, 'shelve_offload_instance', args);
  }

  unshelve_instance(host: string, args: UnshelveArgs): Promise<void> {
    return this.cast(host, 'unshelve_instance', args);
  }

  rebuild_server(host: string, args: RebuildServerArgs): Promise<void> {
    return this.cast(host, 'rebuild_server', args);
  }

  /**
   * Conductor → compute (2.81): cache these images; the answer maps each image id to `cached`,
   * `existing`, `unsupported` or `error` (Nova's `cache_images`, a call).
   */
  cache_images(host: string, args: CacheImagesArgs, timeoutMs?: number): Promise<Record<string, ImageCacheResult>> {
    return this.bus.call<Record<string, ImageCacheResult>>({ topic: 'compute', server: host, version: '6.0' }, 'cache_images', { ...args }, { timeoutMs });
  }

  private cast(host: string, method: string, args: ImageOpArgs): Promise<void> {
    return this.bus.cast({ topic: 'compute', server: host, version: '6.0' }, method, { ...args });
  }
}
