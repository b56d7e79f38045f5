import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ComputeMoveRpcClient } from '../compute/compute-move.rpc-client';
import { imageFromInstance } from '../compute/guest-spec';
import { InstanceActionRepository } from '../db/repositories/instance-action.repository';
import { InstanceRepository } from '../db/repositories/instance.repository';
import { MigrationRepository } from '../db/repositories/migration.repository';
import { VmState } from '../objects/instance.object';

/**
 * Nova's `_poll_unconfirmed_resizes`: resizes left in VERIFY_RESIZE longer than
 * `[DEFAULT] resize_confirm_window` seconds are confirmed as if the owner had asked (the
 * migration's `finished` → `confirming` swap makes one conductor win when several run it).
 */
@Injectable()
export class ResizeAutoConfirm implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('conductor.auto_confirm');
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly migrations: MigrationRepository,
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly compute: ComputeMoveRpcClient,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  onApplicationBootstrap(): void {
    const window = this.conf.DEFAULT.resize_confirm_window;
    if (window <= 0) return;
    this.timer = setInterval(() => void this.poll().catch((e: unknown) => this.logger.warn(`auto-confirm failed: ${String(e)}`)), Math.min(window, 60) * 1000);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    const before = new Date(Date.now() - this.conf.DEFAULT.resize_confirm_window * 1000);
    for (const m of await this.migrations.listStale('finished', before)) {
      const inst = await this.instances.find(m.instance_uuid);
      if (!inst || inst.vm_state !== VmState.RESIZED || inst.task_state !== null || !m.source_compute) {
        // Nova marks a finished migration whose instance is gone or no longer resized as error.
        if (!inst || inst.vm_state !== VmState.RESIZED) await this.migrations.update(m.uuid, { status: 'error' }, ['finished']).catch(() => undefined);
        continue;
      }
      let confirming;
      try {
        confirming = await this.migrations.update(m.uuid, { status: 'confirming' }, ['finished']);
      } catch {
        continue;
      }
      const ctx = { request_id: `req-${randomUUID()}`, user_id: inst.user_id, project_id: inst.project_id, is_admin: true };
      await this.actions.start(inst.uuid, 'confirmResize', ctx);
      this.logger.log(`automatically confirming the resize of ${inst.uuid} (migration ${m.id})`);
      await this.compute.confirm_resize(m.source_compute, { ctx, instance_uuid: inst.uuid, migration: confirming, image: imageFromInstance(inst) });
    }
  }
}
