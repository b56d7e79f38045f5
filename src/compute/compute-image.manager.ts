import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import type { BackupArgs, CacheImagesArgs, ImageCacheResult, ImageOpArgs, RebuildServerArgs, ShelveArgs, SnapshotArgs, UnshelveArgs } from './compute-image.rpc-client';
import { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { ImageDownloader } from './image-download';
import { RebuildService } from './rebuild.service';
import { ShelveService } from './shelve.service';
import { SnapshotService } from './snapshot.service';

/** The compute's image operations (topic `compute.<host>`): snapshots, backups, shelving, user rebuilds. */
@Controller()
export class ComputeImageManager {
  private readonly logger = new Logger('compute.images');
  /** Images "cached" for a driver that boots without local image files (the fake driver): recorded only. */
  private readonly recorded = new Set<string>();

  constructor(
    private readonly snapshots: SnapshotService,
    private readonly shelving: ShelveService,
    private readonly rebuilds: RebuildService,
    private readonly downloader: ImageDownloader,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
  ) {}

  /**
   * 2.81 image pre-caching (Nova's `ComputeManager.cache_images`): a driver that boots from local
   * image files gets each image into the compute's image cache (`existing` when it was there,
   * `cached` when downloaded now, `error` when the download failed); any other driver has
   * nothing to download and the request is recorded.
   */
  @RpcMethod('compute', 'cache_images')
  async cache_images(@Payload() args: CacheImagesArgs): Promise<Record<string, ImageCacheResult>> {
    const results: Record<string, ImageCacheResult> = {};
    this.logger.log(`Caching ${args.images.length} image(s) by request`);
    for (const image of args.images) {
      if (!this.driver.needsImageFile) {
        results[image.id] = this.recorded.has(image.id) ? 'existing' : 'cached';
        this.recorded.add(image.id);
        continue;
      }
      try {
        const had = await this.downloader.isCached(image.id);
        await this.downloader.fetch(args.ctx, image);
        results[image.id] = had ? 'existing' : 'cached';
      } catch (err) {
        this.logger.error(`Failed to cache image ${image.id}: ${err instanceof Error ? err.message : String(err)}`);
        results[image.id] = 'error';
      }
    }
    return results;
  }

  @RpcMethod('compute', 'snapshot_instance')
  snapshot_instance(@Payload() args: SnapshotArgs): Promise<void> {
    return this.snapshots.snapshot(args);
  }

  @RpcMethod('compute', 'backup_instance')
  backup_instance(@Payload() args: BackupArgs): Promise<void> {
    return this.snapshots.backup(args);
  }

  @RpcMethod('compute', 'shelve_instance')
  shelve_instance(@Payload() args: ShelveArgs): Promise<void> {
    return this.shelving.shelve(args);
  }

  @RpcMethod('compute', 'shelve_offload_instance')
  shelve_offload_instance(@Payload() args: ImageOpArgs): Promise<void> {
    return this.shelving.shelveOffload(args);
  }

  @RpcMethod('compute', 'unshelve_instance')
  unshelve_instance(@Payload() args: UnshelveArgs): Promise<void> {
    return this.shelving.unshelve(args);
  }

  /** A user's rebuild (evacuation is `rebuild_instance`, in compute-move.manager.ts). */
  @RpcMethod('compute', 'rebuild_server')
  rebuild_server(@Payload() args: RebuildServerArgs): Promise<void> {
    return this.rebuilds.rebuild(args);
  }
}
