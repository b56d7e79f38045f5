import { Controller, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { CallerContext } from '../objects/build.object';
import type { EvacuateAtDestArgs, LiveMigrationArgs, MigrationRecord, MoveArgs, PrepResizeArgs, ResizeArgs } from '../objects/migration.object';
import { RpcMethod } from '../rpc/rpc-method.decorator';
import { LiveMigrationService } from './live-migration.service';
import { MoveService } from './move.service';

interface MigrationArgs {
  ctx: CallerContext;
  instance_uuid: string;
  migration: MigrationRecord;
}

/** The compute's move endpoints (topic `compute.<host>`). Thin: each hands over to a service. */
@Controller()
export class ComputeMoveManager implements OnApplicationBootstrap {
  private readonly logger = new Logger('compute.move');

  constructor(
    private readonly moves: MoveService,
    private readonly live: LiveMigrationService,
  ) {}

  /** Instances evacuated while this compute was down: their guests here destroyed, allocations dropped (in the background, retried). */
  onApplicationBootstrap(): void {
    void (async () => {
      for (let attempt = 1; attempt <= 30; attempt++) {
        try {
          const gone = await this.moves.destroyEvacuated();
          if (gone.length > 0) this.logger.log(`destroyed the local copies of ${gone.length} evacuated instance(s): ${gone.join(', ')}`);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 2000).unref());
        }
      }
    })();
  }

  @RpcMethod('compute', 'prep_resize')
  prep_resize(@Payload() args: PrepResizeArgs): Promise<void> {
    return this.moves.prepResize(args);
  }

  @RpcMethod('compute', 'resize_instance')
  resize_instance(@Payload() args: ResizeArgs): Promise<void> {
    return this.moves.resizeInstance(args);
  }

  @RpcMethod('compute', 'finish_resize')
  finish_resize(@Payload() args: MoveArgs): Promise<void> {
    return this.moves.finishResize(args);
  }

  @RpcMethod('compute', 'confirm_resize')
  confirm_resize(@Payload() args: MoveArgs): Promise<void> {
    return this.moves.confirmResize(args);
  }

  @RpcMethod('compute', 'revert_resize')
  revert_resize(@Payload() args: MoveArgs): Promise<void> {
    return this.moves.revertResize(args);
  }

  @RpcMethod('compute', 'finish_revert_resize')
  finish_revert_resize(@Payload() args: MoveArgs): Promise<void> {
    return this.moves.finishRevertResize(args);
  }

  @RpcMethod('compute', 'evacuate_instance')
  evacuate_instance(@Payload() args: EvacuateAtDestArgs): Promise<void> {
    return this.moves.evacuate(args);
  }

  @RpcMethod('compute', 'check_can_live_migrate_destination')
  check_can_live_migrate_destination(@Payload() args: MoveArgs): Promise<void> {
    return this.live.checkDestination(args);
  }

  @RpcMethod('compute', 'live_migration')
  live_migration(@Payload() args: LiveMigrationArgs): Promise<void> {
    return this.live.liveMigration(args);
  }

  @RpcMethod('compute', 'pre_live_migration')
  pre_live_migration(@Payload() args: MoveArgs): Promise<Record<string, unknown> | null> {
    return this.live.preLiveMigration(args);
  }

  @RpcMethod('compute', 'post_live_migration_at_destination')
  post_live_migration_at_destination(@Payload() args: MoveArgs & { node: string }): Promise<void> {
    return this.live.postAtDestination(args);
  }

  @RpcMethod('compute', 'live_migration_force_complete')
  live_migration_force_complete(@Payload() args: MigrationArgs): Promise<void> {
    return this.live.forceComplete(args.ctx, args.instance_uuid, args.migration);
  }

  @RpcMethod('compute', 'live_migration_abort')
  live_migration_abort(@Payload() args: MigrationArgs): Promise<void> {
    return this.live.abort(args.ctx, args.instance_uuid, args.migration);
  }
}
