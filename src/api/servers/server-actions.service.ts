import { Inject, Injectable, Logger } from '@nestjs/common';
import { Conflict, NotFound, NotImplemented } from '../../common/errors';
import { NOVA_CONF } from '../../common/tokens';
import type { NovaConf } from '../../config/options';
import { ComputeRpcClient, InstanceCasts } from '../../compute/compute.rpc-client';
import { AllocationRepository } from '../../db/repositories/allocation.repository';
import { InstanceActionRepository } from '../../db/repositories/instance-action.repository';
import { InstanceRepository } from '../../db/repositories/instance.repository';
import { ServerGroupRepository } from '../../db/repositories/server-group.repository';
import { ServiceRepository } from '../../db/repositories/service.repository';
import { InstanceRecord, TaskState, VmState } from '../../objects/instance.object';
import type { RequestContext } from '../http/request-context';
import { PolicyService } from '../policy/policy.service';
import { ZonesService } from '../zones.service';
import type { ServerAction } from './action-requests';
import { generatePassword } from './instance-names';
import { ImageActionsService } from './image-actions.service';
import { MoveActionsService } from './move-actions.service';
import { RemoteConsolesService } from './remote-consoles.service';
import { callerOf } from './server-create.service';
import { checkState, GuardedOperation, STATE_RULES, StateRule } from './state-checks';

const P = 'os_compute_api:';

/** An action that sets a task state and casts to the instance's host. */
interface CastAction {
  op: GuardedOperation;
  /** Name in the 409 message, when it differs from `op`. */
  opName?: string;
  policy: string;
  /** Instance action name (os-instance-actions). */
  action: string;
  task: string;
  cast: keyof InstanceCasts;
}

const CAST_ACTIONS: Partial<Record<ServerAction['action'], CastAction>> = {
  'os-start': { op: 'start', policy: 'servers:start', action: 'start', task: TaskState.POWERING_ON, cast: 'start_instance' },
  'os-stop': { op: 'stop', policy: 'servers:stop', action: 'stop', task: TaskState.POWERING_OFF, cast: 'stop_instance' },
  pause: { op: 'pause', policy: 'os-pause-server:pause', action: 'pause', task: TaskState.PAUSING, cast: 'pause_instance' },
  unpause: { op: 'unpause', policy: 'os-pause-server:unpause', action: 'unpause', task: TaskState.UNPAUSING, cast: 'unpause_instance' },
  suspend: { op: 'suspend', policy: 'os-suspend-server:suspend', action: 'suspend', task: TaskState.SUSPENDING, cast: 'suspend_instance' },
  resume: { op: 'resume', policy: 'os-suspend-server:resume', action: 'resume', task: TaskState.RESUMING, cast: 'resume_instance' },
  unrescue: { op: 'unrescue', policy: 'os-unrescue', action: 'unrescue', task: TaskState.UNRESCUING, cast: 'unrescue_instance' },
};

export interface ActionResult {
  /** HTTP status (202 unless the action answers otherwise). */
  status: number;
  body?: unknown;
  /** Extra response headers (e.g. createImage's `Location` before 2.45). */
  headers?: Record<string, string>;
}

/**
 * Server actions and delete on the API side (Nova's `compute/api.py`): policy against the
 * instance's project, Nova's state and lock checks (409), the instance action record, a guarded
 * task-state change (two racing requests: one wins, the other gets 409), then the RPC to the
 * instance's compute. A cast that cannot be sent puts the task state back.
 */
@Injectable()
export class ServerActionsService {
  private readonly logger = new Logger('api.servers');

  constructor(
    private readonly instances: InstanceRepository,
    private readonly actions: InstanceActionRepository,
    private readonly allocations: AllocationRepository,
    private readonly groups: ServerGroupRepository,
    private readonly services: ServiceRepository,
    private readonly zones: ZonesService,
    private readonly policy: PolicyService,
    private readonly compute: ComputeRpcClient,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
    private readonly imageActions: ImageActionsService,
    private readonly moveActions: MoveActionsService,
    private readonly remoteConsoles: RemoteConsolesService,
  ) {}

  /** The instance as the caller may see it: another project's server is 404 to non-admins, as in Nova. */
  async visible(ctx: RequestContext, uuid: string): Promise<InstanceRecord> {
    const inst = await this.instances.get(uuid);
    if (!ctx.isAdmin && inst.project_id !== ctx.projectId) throw new NotFound(`Instance ${uuid} could not be found.`);
    return inst;
  }

  authorize(ctx: RequestContext, rule: string, inst: InstanceRecord): void {
    this.policy.authorize(ctx, `${P}${rule}`, { project_id: inst.project_id, user_id: inst.user_id });
  }

  async perform(ctx: RequestContext, uuid: string, a: ServerAction): Promise<ActionResult> {
    const inst = await this.visible(ctx, uuid);
    const simple = CAST_ACTIONS[a.action];
    if (simple) {
      this.authorize(ctx, simple.policy, inst);
      await this.castWithTask(ctx, inst, simple.op, simple.action, simple.task, simple.cast, {} as never, simple.opName);
      return { status: 202 };
    }
    switch (a.action) {
      case 'reboot': {
        this.authorize(ctx, 'servers:reboot', inst);
        const hard = a.type === 'HARD';
        await this.castWithTask(ctx, inst, hard ? 'reboot_hard' : 'reboot', 'reboot', hard ? TaskState.REBOOTING_HARD : TaskState.REBOOTING, 'reboot_instance', { reboot_type: a.type }, 'reboot');
        return { status: 202 };
      }
      case 'rescue': {
        this.authorize(ctx, 'os-rescue', inst);
        const password = a.adminPass ?? generatePassword(this.conf.DEFAULT.password_length);
        await this.castWithTask(ctx, inst, 'rescue', 'rescue', TaskState.RESCUING, 'rescue_instance', { rescue_password: password, rescue_image_ref: a.rescueImageRef ?? null });
        return { status: 200, body: this.conf.api.enable_instance_password ? { adminPass: password } : {} };
      }
      case 'restore':
        return this.restore(ctx, inst);
      case 'forceDelete':
        this.authorize(ctx, 'os-deferred-delete:force', inst);
        await this.delete(ctx, inst, { force: true });
        return { status: 202 };
      case 'lock':
        return this.lock(ctx, inst, a.lockedReason ?? null);
      case 'unlock':
        return this.unlock(ctx, inst);
      case 'os-resetState': {
        this.authorize(ctx, 'os-admin-actions:reset_state', inst);
        await this.actions.start(inst.uuid, 'resetState', callerOf(ctx));
        await this.instances.update(inst.uuid, { vm_state: a.state === 'active' ? VmState.ACTIVE : VmState.ERROR, task_state: null });
        return { status: 202 };
      }
      case 'os-getConsoleOutput': {
        this.authorize(ctx, 'os-console-output', inst);
        checkState(inst, 'get_console_output', ctx.isAdmin);
        const output = await this.compute.get_console_output(inst.host as string, callerOf(ctx), inst.uuid, a.length);
        return { status: 200, body: { output } };
      }
      case 'changePassword': {
        this.authorize(ctx, 'os-admin-password', inst);
        await this.setTask(ctx, inst, 'set_admin_password', 'changePassword', TaskState.UPDATING_PASSWORD);
        try {
          await this.compute.set_admin_password(inst.host as string, callerOf(ctx), inst.uuid, a.adminPass);
        } catch (err) {
          throw new Conflict(`Failed to set admin password on ${inst.uuid} because ${err instanceof Error ? err.message : String(err)}`);
        }
        return { status: 202 };
      }
      case 'trigger_crash_dump': {
        this.authorize(ctx, 'servers:trigger_crash_dump', inst);
        checkState(inst, 'trigger_crash_dump', ctx.isAdmin);
        await this.actions.start(inst.uuid, 'trigger_crash_dump', callerOf(ctx));
        await this.compute.castInstance(inst.host as string, 'trigger_crash_dump', callerOf(ctx), inst.uuid, {});
        return { status: 202 };
      }
      case 'injectNetworkInfo': {
        this.authorize(ctx, 'os-admin-actions:inject_network_info', inst);
        checkState(inst, 'inject_network_info', ctx.isAdmin);
        await this.compute.castInstance(inst.host as string, 'inject_network_info', callerOf(ctx), inst.uuid, {});
        return { status: 202 };
      }
      default:
        if (this.imageActions.handles(a)) return this.imageActions.perform(ctx, inst, a);
        if (this.remoteConsoles.handles(a)) return this.remoteConsoles.perform(ctx, inst, a);
        {
          const moved = await this.moveActions.perform(ctx, inst, a);
          if (moved) return moved;
        }
        throw new NotImplemented(`The '${a.action}' action is not available in this nova-ts release.`);
    }
  }

  /** Checks state and lock, records the action, sets the task state under a guard: 409 if another request got there first. */
  private async setTask(ctx: RequestContext, inst: InstanceRecord, op: GuardedOperation, action: string, task: string, opName?: string): Promise<InstanceRecord> {
    checkState(inst, op, ctx.isAdmin, opName);
    const rule: StateRule = STATE_RULES[op];
    await this.actions.start(inst.uuid, action, callerOf(ctx));
    try {
      return await this.instances.update(inst.uuid, { task_state: task }, {
        expected_task_state: rule.task ? [...rule.task] : undefined,
        expected_vm_state: rule.vm ? [...rule.vm] : undefined,
      });
    } catch (err) {
      if (err instanceof Conflict) {
        const now = await this.instances.get(inst.uuid);
        checkState(now, op, ctx.isAdmin, opName);
      }
      throw err;
    }
  }

  private async castWithTask<M extends keyof InstanceCasts>(ctx: RequestContext, inst: InstanceRecord, op: GuardedOperation, action: string, task: string, cast: M, extra: InstanceCasts[M], opName?: string): Promise<void> {
    if (!inst.host && (STATE_RULES[op] as StateRule).vm) throw new Conflict(`Instance ${inst.uuid} is not ready yet`);
    await this.setTask(ctx, inst, op, action, task, opName);
    try {
      await this.compute.castInstance(inst.host as string, cast, callerOf(ctx), inst.uuid, extra);
    } catch (err) {
      await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: [task] }).catch(() => undefined);
      throw err;
    }
  }

  private async restore(ctx: RequestContext, inst: InstanceRecord): Promise<ActionResult> {
    this.authorize(ctx, 'os-deferred-delete:restore', inst);
    if (!inst.host) {
      checkState(inst, 'restore', ctx.isAdmin);
      await this.actions.start(inst.uuid, 'restore', callerOf(ctx));
      await this.instances.update(inst.uuid, { vm_state: VmState.ACTIVE, task_state: null }, { expected_vm_state: [VmState.SOFT_DELETED] });
      return { status: 202 };
    }
    await this.castWithTask(ctx, inst, 'restore', 'restore', TaskState.RESTORING, 'restore_instance', {});
    return { status: 202 };
  }

  private async lock(ctx: RequestContext, inst: InstanceRecord, reason: string | null): Promise<ActionResult> {
    this.authorize(ctx, 'os-lock-server:lock', inst);
    await this.actions.start(inst.uuid, 'lock', callerOf(ctx));
    const lockedBy = inst.project_id === ctx.projectId ? 'owner' : 'admin';
    await this.instances.update(inst.uuid, { locked: true, locked_by: lockedBy, locked_reason: reason });
    return { status: 202 };
  }

  private async unlock(ctx: RequestContext, inst: InstanceRecord): Promise<ActionResult> {
    this.authorize(ctx, 'os-lock-server:unlock', inst);
    // Nova: a lock an admin set can only be lifted by an admin (unlock_override).
    if (inst.locked && inst.locked_by === 'admin' && inst.project_id === ctx.projectId) this.authorize(ctx, 'os-lock-server:unlock:unlock_override', inst);
    await this.actions.start(inst.uuid, 'unlock', callerOf(ctx));
    await this.instances.update(inst.uuid, { locked: false, locked_by: null, locked_reason: null });
    return { status: 202 };
  }

  /**
   * `DELETE /servers/{id}` (and forceDelete): a server that never reached a host, or whose host's
   * compute service is down, is deleted here (Nova's local delete); otherwise `deleting` and a
   * `terminate_instance` cast. With `reclaim_instance_interval` > 0 a launched server is soft-deleted.
   */
  async delete(ctx: RequestContext, inst: InstanceRecord, opts: { force?: boolean } = {}): Promise<void> {
    checkState(inst, 'delete', ctx.isAdmin);
    if (inst.task_state === TaskState.DELETING && !opts.force) return;
    const caller = callerOf(ctx);
    if (inst.vm_state === VmState.RESIZED) await this.moveActions.confirmBeforeDelete(ctx, inst);
    await this.actions.start(inst.uuid, 'delete', caller);
    const soft = !opts.force && this.conf.DEFAULT.reclaim_instance_interval > 0 && inst.launched_at !== null && inst.vm_state !== VmState.SOFT_DELETED;
    if (inst.host && (await this.hostIsUp(inst.host))) {
      const task = soft ? TaskState.SOFT_DELETING : TaskState.DELETING;
      await this.instances.update(inst.uuid, { task_state: task });
      try {
        await this.compute.castInstance(inst.host, soft ? 'soft_delete_instance' : 'terminate_instance', caller, inst.uuid, {});
      } catch (err) {
        await this.instances.update(inst.uuid, { task_state: null }, { expected_task_state: [task] }).catch(() => undefined);
        throw err;
      }
      if (!soft) await this.groups.removeInstancesEverywhere([inst.uuid]);
      return;
    }
    if (soft) {
      await this.instances.update(inst.uuid, { vm_state: VmState.SOFT_DELETED, task_state: null });
      return;
    }
    this.logger.log(`deleting ${inst.uuid} locally (${inst.host ? `compute ${inst.host} is down` : 'no host'})`);
    await this.instances.destroy(inst.uuid);
    await this.allocations.release(inst.uuid);
    await this.groups.removeInstancesEverywhere([inst.uuid]);
  }

  private async hostIsUp(host: string): Promise<boolean> {
    const [svc] = await this.services.list({ host, binary: 'nova-compute' });
    return svc !== undefined && this.zones.isUp(svc);
  }
}
