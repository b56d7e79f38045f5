import { Inject, Injectable } from '@nestjs/common';
import { Conflict, Invalid, NotFound } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { ComputeMoveRpcClient } from '../../compute/compute-move.rpc-client';
import { imageFromInstance } from '../../compute/guest-spec';
import { MoveTaskRpcClient } from '../../conductor/move-task.rpc-client';
import { FlavorRepository } from '../../db/repositories/flavor.repository';
import { InstanceActionRepository } from '../../db/repositories/instance-action.repository';
import { InstanceRepository } from '../../db/repositories/instance.repository';
import { MigrationNotFound, MigrationRepository } from '../../db/repositories/migration.repository';
import { QuotaRepository } from '../../db/repositories/quota.repository';
import { ServerGroupRepository } from '../../db/repositories/server-group.repository';
import { ServiceRepository } from '../../db/repositories/service.repository';
import { InstanceFlavor, InstanceRecord, TaskState, VmState } from '../../objects/instance.object';
import { MigrationRecord, MigrationType } from '../../objects/migration.object';
import { checkQuota, UsageCounts } from '../../objects/quota.object';
import type { FlavorRecord } from '../../objects/flavor.object';
import { NoValidHost } from '../../scheduler/no-valid-host';
import type { RequestContext } from '../http/request-context';
import { atLeast, isBetween } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { UsageService } from '../usage.service';
import { ZonesService } from '../zones.service';
import type { ServerAction } from './action-requests';
import { generatePassword } from './instance-names';
import { moveRequestSpec } from '../../conductor/instance-request-spec';
import { callerOf, instanceFlavor } from './server-create.service';
import { checkState, GuardedOperation } from './state-checks';

const P = 'os_compute_api:';
type Result = { status: number; body?: unknown };

/**
 * Resize, confirm/revert, cold and live migration, evacuation on the API side (Nova's
 * `compute/api.py`): policy, Nova's state rules and request checks (400/403/409), a guarded
 * task-state change, the instance action, then the conductor (moves) or the compute (confirm,
 * revert). Each move has a `migrations` row.
 */
@Injectable()
export class MoveActionsService {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly migrations: MigrationRepository,
    private readonly flavors: FlavorRepository,
    private readonly quotas: QuotaRepository,
    private readonly usage: UsageService,
    private readonly groups: ServerGroupRepository,
    private readonly services: ServiceRepository,
    private readonly zones: ZonesService,
    private readonly policy: PolicyService,
    private readonly tasks: MoveTaskRpcClient,
    private readonly computes: ComputeMoveRpcClient,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  /** The action's result, or null when the action is not a move. */
  async perform(ctx: RequestContext, inst: InstanceRecord, a: ServerAction): Promise<Result | null> {
    switch (a.action) {
      case 'resize':
        this.authorize(ctx, 'servers:resize', inst);
        await this.resize(ctx, inst, a.flavorRef);
        return { status: 202 };
      case 'migrate':
        this.authorize(ctx, a.host ? 'os-migrate-server:migrate:host' : 'os-migrate-server:migrate', inst);
        await this.migrate(ctx, inst, a.host ?? null);
        return { status: 202 };
      case 'confirmResize':
        this.authorize(ctx, 'servers:confirm_resize', inst);
        await this.confirmResize(ctx, inst);
        return { status: 204 };
      case 'revertResize':
        this.authorize(ctx, 'servers:revert_resize', inst);
        await this.revertResize(ctx, inst);
        return { status: 202 };
      case 'os-migrateLive':
        this.authorize(ctx, 'os-migrate-server:migrate_live', inst);
        await this.liveMigrate(ctx, inst, a.host, a.force, a.blockMigration === 'auto' ? null : a.blockMigration);
        return { status: 202 };
      case 'evacuate':
        this.authorize(ctx, 'os-evacuate', inst);
        return this.evacuate(ctx, inst, a);
      default:
        return null;
    }
  }

  private authorize(ctx: RequestContext, rule: string, inst: InstanceRecord): void {
    this.policy.authorize(ctx, `${P}${rule}`, { project_id: inst.project_id, user_id: inst.user_id });
  }

  private async resize(ctx: RequestContext, inst: InstanceRecord, flavorRef: string): Promise<void> {
    await this.checkMovable(ctx, inst, 'resize');
    let flavor: FlavorRecord;
    try {
      flavor = await this.flavors.getByFlavorId(flavorRef);
    } catch (err) {
      if (err instanceof NotFound) throw new Invalid(`Flavor ${flavorRef} could not be found.`);
      throw err;
    }
    if (flavor.id === inst.flavor.id) throw new Invalid('When resizing, instances must change flavor!');
    if (flavor.disabled) throw new Invalid(`Flavor ${flavorRef} could not be found.`);
    if (flavor.root_gb === 0 && inst.flavor.root_gb !== 0 && inst.image_ref) {
      throw new Invalid('Server disk was unable to be resized because: Resize to zero disk flavor is not allowed.');
    }
    await this.checkUpsizeQuota(inst, inst.flavor, flavor);
    const minRam = Number(inst.system_metadata.image_min_ram ?? 0);
    const minDisk = Number(inst.system_metadata.image_min_disk ?? 0);
    if (flavor.memory_mb < minRam) throw new Invalid("Flavor's memory is too small for requested image.");
    if (inst.image_ref && flavor.root_gb > 0 && flavor.root_gb < minDisk) throw new Invalid("Flavor's disk is too small for requested image.");
    await this.startMigrateServer(ctx, inst, 'resize', instanceFlavor(flavor), null);
  }

  private async migrate(ctx: RequestContext, inst: InstanceRecord, host: string | null): Promise<void> {
    if (host) {
      if (host === inst.host) throw new Invalid('Cannot migrate to the host where the server exists.');
      if ((await this.services.list({ host, binary: 'nova-compute' })).length === 0) throw new Invalid(`Compute host ${host} could not be found.`);
    }
    await this.checkMovable(ctx, inst, 'migrate');
    await this.startMigrateServer(ctx, inst, 'migrate', inst.flavor, host);
  }

  /** Nova's resize/migrate decorators: lock, state, launched, a host whose compute is up. */
  private async checkMovable(ctx: RequestContext, inst: InstanceRecord, op: GuardedOperation): Promise<void> {
    checkState(inst, op, ctx.isAdmin, op);
    if (!inst.host) throw new Conflict(`Instance ${inst.uuid} is not ready yet`);
    if (!(await this.hostIsUp(inst.host))) throw new Conflict('Service is unavailable at this time.');
  }

  private async startMigrateServer(ctx: RequestContext, inst: InstanceRecord, op: 'resize' | 'migrate', flavor: InstanceFlavor, host: string | null): Promise<void> {
    const ignore = this.conf.DEFAULT.allow_resize_to_same_host || !inst.host ? [] : [inst.host];
    const spec = await moveRequestSpec(inst, flavor, this.groups, ignore);
    await this.setTask(ctx, inst, op, op, TaskState.RESIZE_PREP, { progress: 0 });
    await this.actions.start(inst.uuid, op, callerOf(ctx));
    await this.orUndoTask(inst, TaskState.RESIZE_PREP, () => this.tasks.migrate_server({ ctx: callerOf(ctx), instance_uuid: inst.uuid, flavor, request_spec: spec, host }));
  }

  /** Cores and RAM the larger flavor adds (Nova's `upsize_quota_delta`), against the project's quota → 403. */
  private async checkUpsizeQuota(inst: InstanceRecord, from: { vcpus: number; memory_mb: number }, to: { vcpus: number; memory_mb: number }): Promise<void> {
    const deltas: UsageCounts = {};
    if (to.vcpus > from.vcpus) deltas.cores = to.vcpus - from.vcpus;
    if (to.memory_mb > from.memory_mb) deltas.ram = to.memory_mb - from.memory_mb;
    if (Object.keys(deltas).length === 0) return;
    const limits = await this.quotas.getProjectQuotas(inst.project_id, inst.user_id);
    const used = await this.usage.count(inst.project_id, inst.user_id, false);
    checkQuota(limits, used, deltas);
  }

  private async confirmResize(ctx: RequestContext, inst: InstanceRecord): Promise<void> {
    checkState(inst, 'confirm_resize', ctx.isAdmin, 'confirmResize');
    const found = await this.finishedMigration(inst);
    if (!found.source_compute || !(await this.hostIsUp(found.source_compute))) throw new Conflict('Service is unavailable at this time.');
    let migration: MigrationRecord;
    try {
      migration = await this.migrations.update(found.uuid, { status: 'confirming' }, ['finished']);
    } catch (err) {
      if (err instanceof Conflict) throw new Invalid('Instance has not been resized.');
      throw err;
    }
    await this.actions.start(inst.uuid, 'confirmResize', callerOf(ctx));
    await this.computes.confirm_resize(found.source_compute, { ctx: callerOf(ctx), instance_uuid: inst.uuid, migration, image: imageFromInstance(inst) });
  }

  private async revertResize(ctx: RequestContext, inst: InstanceRecord): Promise<void> {
    checkState(inst, 'revert_resize', ctx.isAdmin, 'revertResize');
    const found = await this.finishedMigration(inst);
    if (inst.old_flavor) await this.checkUpsizeQuota(inst, inst.flavor, inst.old_flavor);
    await this.setTask(ctx, inst, 'revert_resize', 'revertResize', TaskState.RESIZE_REVERTING);
    const migration = await this.migrations.update(found.uuid, { status: 'reverting' });
    await this.actions.start(inst.uuid, 'revertResize', callerOf(ctx));
    await this.orUndoTask(inst, TaskState.RESIZE_REVERTING, () =>
      this.computes.revert_resize(found.dest_compute as string, { ctx: callerOf(ctx), instance_uuid: inst.uuid, migration, image: imageFromInstance(inst) }));
  }

  /**
   * Nova's `_confirm_resize_on_deleting`: before a RESIZED server is deleted, the resize is
   * confirmed on the source (a call), so the source's copy of the guest and the claim the
   * migration holds there go too. Nothing to do when no finished resize is found; a source whose
   * compute is down is left to its own clean-up when it comes back.
   */
  async confirmBeforeDelete(ctx: RequestContext, inst: InstanceRecord): Promise<void> {
    let found: MigrationRecord;
    try {
      found = await this.migrations.getByInstanceAndStatus(inst.uuid, ['finished', 'confirming']);
    } catch (err) {
      if (err instanceof MigrationNotFound) return;
      throw err;
    }
    if (!found.source_compute || !(await this.hostIsUp(found.source_compute))) return;
    const migration = found.status === 'confirming' ? found : await this.migrations.update(found.uuid, { status: 'confirming' }, ['finished']);
    await this.actions.start(inst.uuid, 'confirmResize', callerOf(ctx));
    await this.computes.confirm_resize(found.source_compute, { ctx: callerOf(ctx), instance_uuid: inst.uuid, migration, image: imageFromInstance(inst) },
      this.conf.DEFAULT.long_rpc_timeout * 1000);
  }

  private async finishedMigration(inst: InstanceRecord): Promise<MigrationRecord> {
    try {
      return await this.migrations.getByInstanceAndStatus(inst.uuid, ['finished']);
    } catch (err) {
      if (err instanceof MigrationNotFound) throw new Invalid('Instance has not been resized.');
      throw err;
    }
  }

  private async liveMigrate(ctx: RequestContext, inst: InstanceRecord, host: string | null, force: boolean | undefined, blockMigration: boolean | null): Promise<void> {
    checkState(inst, 'live_migrate', ctx.isAdmin, 'os-migrateLive');
    if (host && (await this.services.list({ host, binary: 'nova-compute' })).length === 0) throw new Invalid(`Compute host ${host} could not be found.`);
    const spec = await moveRequestSpec(inst, inst.flavor, this.groups, inst.host ? [inst.host] : []);
    await this.setTask(ctx, inst, 'live_migrate', 'os-migrateLive', TaskState.MIGRATING);
    await this.actions.start(inst.uuid, 'live-migration', callerOf(ctx));
    // Before 2.30 a given host is used as it is; before 2.34 the pre-checks answer this request.
    const forced = host !== null && (atLeast(ctx.version, '2.30') ? force === true : true);
    const wait = !atLeast(ctx.version, '2.34');
    try {
      await this.tasks.live_migrate_instance(
        { ctx: callerOf(ctx), instance_uuid: inst.uuid, request_spec: spec, host, force: forced, block_migration: blockMigration },
        wait, this.conf.DEFAULT.long_rpc_timeout * 1000,
      );
    } catch (err) {
      if (!wait) await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: [TaskState.MIGRATING] }).catch(() => undefined);
      if (err instanceof NoValidHost) throw new Invalid(err.message);
      throw err;
    }
  }

  private async evacuate(ctx: RequestContext, inst: InstanceRecord, a: Extract<ServerAction, { action: 'evacuate' }>): Promise<Result> {
    const host = a.host ?? null;
    if (host !== null && (await this.services.list({ host, binary: 'nova-compute' })).length === 0) throw new NotFound(`Compute host ${host} not found.`);
    if (inst.host === host) throw new Invalid("The target host can't be the same one.");
    checkState(inst, 'evacuate', ctx.isAdmin, 'evacuate');
    if (inst.host && (await this.hostIsUp(inst.host))) throw new Invalid(`Compute service of ${inst.host} is still in use.`);
    const v214 = atLeast(ctx.version, '2.14');
    const password = a.adminPass ?? (v214 || !a.onSharedStorage ? generatePassword(this.conf.DEFAULT.password_length) : null);
    const spec = await moveRequestSpec(inst, inst.flavor, this.groups, inst.host ? [inst.host] : []);
    await this.instances.update(inst.uuid, { task_state: TaskState.REBUILDING });
    await this.actions.start(inst.uuid, 'evacuate', callerOf(ctx));
    const migration = await this.migrations.create({
      instance_uuid: inst.uuid, status: 'accepted', migration_type: MigrationType.EVACUATION, source_compute: inst.host, source_node: inst.node,
      dest_compute: host, old_instance_type_id: inst.flavor.id, new_instance_type_id: inst.flavor.id, user_id: ctx.userId, project_id: ctx.projectId,
    });
    // Before 2.29 a given host is used as it is; 2.29–2.67 only with force; from 2.68 always checked.
    const forced = host !== null && (isBetween(ctx.version, '2.29', '2.67') ? a.force === true : !atLeast(ctx.version, '2.29'));
    await this.orUndoTask(inst, TaskState.REBUILDING, () => this.tasks.evacuate_instance({
      ctx: callerOf(ctx), instance_uuid: inst.uuid, migration_uuid: migration.uuid, request_spec: spec, host, force: forced, admin_password: password,
    }));
    // Before 2.14 the password is returned (null on shared storage); from 2.14 there is no body.
    return !v214 && this.conf.api.enable_instance_password ? { status: 200, body: { adminPass: password } } : { status: 200 };
  }

  /** Guarded task-state change: a concurrent request makes this one 409 with Nova's message. */
  private async setTask(ctx: RequestContext, inst: InstanceRecord, op: GuardedOperation, opName: string, task: string, extra: { progress?: number } = {}): Promise<void> {
    const rule = { resize: [VmState.ACTIVE, VmState.STOPPED], migrate: [VmState.ACTIVE, VmState.STOPPED], revert_resize: [VmState.RESIZED], live_migrate: [VmState.ACTIVE, VmState.PAUSED] } as Record<string, string[]>;
    try {
      await this.instances.update(inst.uuid, { task_state: task, ...extra }, { expected_task_state: [null], expected_vm_state: rule[op] });
    } catch (err) {
      if (err instanceof Conflict) checkState(await this.instances.get(inst.uuid), op, ctx.isAdmin, opName);
      throw err;
    }
  }

  /** An RPC that cannot be sent puts the task state back. */
  private async orUndoTask(inst: InstanceRecord, task: string, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (err) {
      await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: [task] }).catch(() => undefined);
      throw err;
    }
  }

  private async hostIsUp(host: string): Promise<boolean> {
    const [svc] = await this.services.list({ host, binary: 'nova-compute' });
    return svc !== undefined && this.zones.isUp(svc);
  }
}
