import { Inject, Injectable, Logger } from '@nestjs/common';
import { Invalid } from '../common/errors';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import { MoveTaskRpcClient } from '../conductor/move-task.rpc-client';
import type { CallerContext } from '../objects/build.object';
import { PowerState, TaskState, VmState } from '../objects/instance.object';
import type { LiveMigrationArgs, MigrationRecord, MoveArgs } from '../objects/migration.object';
import { ComputeMoveRpcClient } from './compute-move.rpc-client';
import { ComputeDriver, GuestNotFound } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { guestSpec } from './guest-spec';
import { InstanceRunner } from './instance-runner';

/** The live migration was aborted before the guest moved. */
class LiveMigrationCancelled extends Error {}

/**
 * Live migration on the computes (Nova's `live_migration`, `pre_live_migration`,
 * `post_live_migration_at_destination`, `_rollback_live_migration`): migration `queued` →
 * `preparing` → `running` → `post-migrating` → `completed`; the instance keeps its vm_state,
 * task `migrating` until it runs on the destination. A failure (or an abort before the guest
 * moved) leaves it on the source with its allocation back, migration `error` (`cancelled`).
 */
@Injectable()
export class LiveMigrationService {
  private readonly logger = new Logger('compute.live_migration');
  /** Migrations (uuid) an abort was asked for while they were in progress here. */
  private readonly aborts = new Set<string>();

  constructor(
    private readonly runner: InstanceRunner,
    private readonly conductor: ConductorRpcClient,
    private readonly moves: MoveTaskRpcClient,
    private readonly computes: ComputeMoveRpcClient,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  private get longTimeoutMs(): number {
    return this.conf.DEFAULT.long_rpc_timeout * 1000;
  }

  /** Destination pre-check: the guest must not already be here. */
  async checkDestination(args: MoveArgs): Promise<void> {
    try {
      await this.driver.getInfo(args.instance_uuid);
    } catch (err) {
      if (err instanceof GuestNotFound) return;
      throw err;
    }
    throw new Invalid(`Migration pre-check error: instance ${args.instance_uuid} already exists on ${this.runner.host}.`);
  }

  /** Source: the whole migration. */
  liveMigration(args: LiveMigrationArgs): Promise<void> {
    const { ctx, instance_uuid: uuid, migration } = args;
    return this.runner.run(ctx, uuid, 'compute_live_migration', async () => {
      try {
        await this.moves.migration_update(migration.uuid, { status: 'queued' });
        this.checkAbort(migration.uuid);
        await this.moves.migration_update(migration.uuid, { status: 'preparing' });
        const target = await this.computes.pre_live_migration(args.dest, { ctx, instance_uuid: uuid, migration, image: args.image }, this.longTimeoutMs);
        this.checkAbort(migration.uuid);
        await this.moves.migration_update(migration.uuid, { status: 'running' });
        await this.driver.liveMigrate(uuid, args.dest, target ?? null);
      } catch (err) {
        await this.rollback(uuid, migration, err);
        if (err instanceof LiveMigrationCancelled) return;
        throw err;
      } finally {
        this.aborts.delete(migration.uuid);
      }
      await this.moves.migration_update(migration.uuid, { status: 'post-migrating' });
      await this.computes.post_live_migration_at_destination(args.dest, { ctx, instance_uuid: uuid, migration, image: args.image, node: args.dest_node }, this.longTimeoutMs);
      await this.moves.move_allocations_confirm(migration.uuid);
      await this.moves.migration_update(migration.uuid, { status: 'completed' });
      this.logger.log(`instance ${uuid} live-migrated from ${this.runner.host} to ${args.dest}`);
    });
  }

  /**
   * Destination, before the guest moves: nothing to plug for the fake and libvirt-over-SSH drivers;
   * answers how the source reaches this host (Nova's migrate_data), which the source's driver uses.
   */
  async preLiveMigration(args: MoveArgs): Promise<Record<string, unknown> | null> {
    await this.conductor.action_event_start(args.instance_uuid, args.ctx.request_id, 'compute_pre_live_migration', this.runner.host).catch(() => undefined);
    await this.conductor.action_event_finish(args.instance_uuid, args.ctx.request_id, 'compute_pre_live_migration', null).catch(() => undefined);
    return this.driver.getMigrationTarget?.() ?? null;
  }

  /** Destination, after the guest moved: this host owns the instance now. */
  async postAtDestination(args: MoveArgs & { node: string }): Promise<void> {
    const { ctx, instance_uuid: uuid } = args;
    const event = 'compute_post_live_migration_at_destination';
    await this.conductor.action_event_start(uuid, ctx.request_id, event, this.runner.host).catch(() => undefined);
    try {
      const inst = await this.conductor.instance_get(uuid);
      await this.driver.postLiveMigrationAtDestination(guestSpec({ ...inst, node: args.node }, args.image, this.conf.DEFAULT.instance_name_template));
      let info = await this.driver.getInfo(uuid);
      if (inst.vm_state === VmState.PAUSED && info.power_state !== PowerState.PAUSED) {
        await this.driver.pause(uuid);
        info = await this.driver.getInfo(uuid);
      }
      await this.conductor.instance_update(uuid, { host: this.runner.host, node: args.node, power_state: info.power_state, task_state: null }, { expected_task_state: [TaskState.MIGRATING] });
      await this.conductor.action_event_finish(uuid, ctx.request_id, event, null).catch(() => undefined);
    } catch (err) {
      await this.conductor.action_event_finish(uuid, ctx.request_id, event, err instanceof Error ? err.message : String(err)).catch(() => undefined);
      throw err;
    }
  }

  /** Source: the fake and libvirt drivers finish without post-copy; recorded only. */
  async forceComplete(ctx: CallerContext, uuid: string, migration: MigrationRecord): Promise<void> {
    const event = 'compute_live_migration_force_complete';
    await this.conductor.action_event_start(uuid, ctx.request_id, event, this.runner.host).catch(() => undefined);
    this.logger.log(`force complete of live migration ${migration.id} of ${uuid} requested`);
    await this.conductor.action_event_finish(uuid, ctx.request_id, event, null).catch(() => undefined);
  }

  /** Source: an abort stops a migration whose guest has not moved yet. */
  async abort(ctx: CallerContext, uuid: string, migration: MigrationRecord): Promise<void> {
    const event = 'compute_live_migration_abort';
    await this.conductor.action_event_start(uuid, ctx.request_id, event, this.runner.host).catch(() => undefined);
    this.aborts.add(migration.uuid);
    await this.conductor.action_event_finish(uuid, ctx.request_id, event, null).catch(() => undefined);
  }

  private checkAbort(migrationUuid: string): void {
    if (this.aborts.has(migrationUuid)) throw new LiveMigrationCancelled(`Live migration ${migrationUuid} was cancelled.`);
  }

  /** Nova's `_rollback_live_migration`: the instance stays here, allocations back, task cleared. */
  private async rollback(uuid: string, migration: MigrationRecord, err: unknown): Promise<void> {
    const cancelled = err instanceof LiveMigrationCancelled;
    this.logger.warn(`live migration of ${uuid} ${cancelled ? 'cancelled' : `failed: ${err instanceof Error ? err.message : String(err)}`}`);
    await this.moves.move_allocations_revert(migration.uuid, uuid).catch((e: unknown) => this.logger.warn(`allocation revert failed: ${String(e)}`));
    await this.moves.migration_update(migration.uuid, { status: cancelled ? 'cancelled' : 'error' }).catch(() => undefined);
    if (cancelled) await this.conductor.instance_update(uuid, { task_state: null }, { expected_task_state: [TaskState.MIGRATING] }).catch(() => undefined);
  }
}
