import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { MessageBus } from '../rpc/message-bus';
import type { CallerContext } from '../objects/build.object';
import type { EvacuateAtDestArgs, LiveMigrationArgs, MigrationRecord, MoveArgs, PrepResizeArgs, ResizeArgs } from '../objects/migration.object';

/** Client of the compute's move methods (Nova's ComputeAPI prep_resize, resize_instance, ...). */
@Injectable()
export class ComputeMoveRpcClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  prep_resize(host: string, args: PrepResizeArgs): Promise<void> {
    return this.bus.cast(this.target(host), 'prep_resize', { ...args });
  }

  resize_instance(host: string, args: ResizeArgs): Promise<void> {
    return this.bus.cast(this.target(host), 'resize_instance', { ...args });
  }

  finish_resize(host: string, args: MoveArgs): Promise<void> {
    return this.bus.cast(this.target(host), 'finish_resize', { ...args });
  }

  /** A cast; with `waitMs` a call that returns once the source has confirmed (delete of a RESIZED server). */
  confirm_resize(host: string, args: MoveArgs, waitMs?: number): Promise<void> {
    if (waitMs !== undefined) return this.bus.call<void>(this.target(host), 'confirm_resize', { ...args }, { timeoutMs: waitMs });
    return this.bus.cast(this.target(host), 'confirm_resize', { ...args });
  }

  revert_resize(host: string, args: MoveArgs): Promise<void> {
    return this.bus.cast(this.target(host), 'revert_resize', { ...args });
  }

  finish_revert_resize(host: string, args: MoveArgs): Promise<void> {
    return this.bus.cast(this.target(host), 'finish_revert_resize', { ...args });
  }

  /** Destination pre-check (a call): throws when the destination cannot take the instance. */
  check_can_live_migrate_destination(host: string, args: MoveArgs, timeoutMs?: number): Promise<void> {
    return this.bus.call<void>(this.target(host), 'check_can_live_migrate_destination', { ...args }, { timeoutMs });
  }

  live_migration(host: string, args: LiveMigrationArgs): Promise<void> {
    return this.bus.cast(this.target(host), 'live_migration', { ...args });
  }

  /** Returns how the source reaches the destination (its driver's migration target), or null. */
  pre_live_migration(host: string, args: MoveArgs, timeoutMs?: number): Promise<Record<string, unknown> | null> {
    return this.bus.call<Record<string, unknown> | null>(this.target(host), 'pre_live_migration', { ...args }, { timeoutMs });
  }

  post_live_migration_at_destination(host: string, args: MoveArgs & { node: string }, timeoutMs?: number): Promise<void> {
    return this.bus.call<void>(this.target(host), 'post_live_migration_at_destination', { ...args }, { timeoutMs });
  }

  live_migration_force_complete(host: string, ctx: CallerContext, instanceUuid: string, migration: MigrationRecord): Promise<void> {
    return this.bus.cast(this.target(host), 'live_migration_force_complete', { ctx, instance_uuid: instanceUuid, migration });
  }

  live_migration_abort(host: string, ctx: CallerContext, instanceUuid: string, migration: MigrationRecord): Promise<void> {
    return this.bus.cast(this.target(host), 'live_migration_abort', { ctx, instance_uuid: instanceUuid, migration });
  }

  /** Evacuate: rebuild the instance on this (destination) host (Nova's rebuild_instance with recreate). */
  evacuate_instance(host: string, args: EvacuateAtDestArgs): Promise<void> {
    return this.bus.cast(this.target(host), 'evacuate_instance', { ...args });
  }

  private target(host: string) {
    return { topic: 'compute', server: host, version: '6.0' };
  }
}
