import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import type { BackupArgs, ImageOpArgs, RebuildServerArgs, ShelveArgs, SnapshotArgs, UnshelveArgs } from './compute-image.rpc-client';
import { RebuildService } from './rebuild.service';
import { ShelveService } from './shelve.service';
import { SnapshotService } from './snapshot.service';

/** The compute's image operations (topic `compute.<host>`): snapshots, backups, shelving, user rebuilds. */
@Controller()
export class ComputeImageManager {
  constructor(
    private readonly snapshots: SnapshotService,
    private readonly shelving: ShelveService,
    private readonly rebuilds: RebuildService,
  ) {}

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
