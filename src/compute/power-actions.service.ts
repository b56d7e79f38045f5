import { Inject, Injectable, Logger } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import type { CallerContext } from '../objects/build.object';
import { InstanceRecord, PowerState, TaskState, VmState } from '../objects/instance.object';
import { ComputeDriver, GuestNotFound } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { guestImage, guestSpec, imageFromInstance } from './guest-spec';
import { InstanceRunner } from './instance-runner';

/** One state-changing operation: the task state the API set, what the driver does, where it ends. */
interface PowerAction {
  event: string;
  expected: string[];
  /** Task states to pass through after `expected` before calling the driver (reboot's pending/started). */
  steps?: (inst: InstanceRecord) => string[];
  drive: (driver: ComputeDriver, inst: InstanceRecord, extra: Record<string, unknown>) => Promise<void>;
  /** Final vm_state; a function when it depends on the instance. */
  vmState: string | ((inst: InstanceRecord) => string);
}

const hard = (inst: InstanceRecord) => inst.task_state === TaskState.REBOOTING_HARD;

/** The simple instance actions, Nova's compute manager methods of the same names. */
export const POWER_ACTIONS = {
  start_instance: { event: 'compute_start_instance', expected: [TaskState.POWERING_ON], drive: (d, i) => d.powerOn(i.uuid), vmState: VmState.ACTIVE },
  stop_instance: { event: 'compute_stop_instance', expected: [TaskState.POWERING_OFF], drive: (d, i) => d.powerOff(i.uuid), vmState: VmState.STOPPED },
  reboot_instance: {
    event: 'compute_reboot_instance',
    expected: [TaskState.REBOOTING, TaskState.REBOOTING_HARD],
    steps: (i) => (hard(i) ? [TaskState.REBOOT_PENDING_HARD, TaskState.REBOOT_STARTED_HARD] : [TaskState.REBOOT_PENDING, TaskState.REBOOT_STARTED]),
    drive: (d, i, x) => d.reboot(i.uuid, x.reboot_type === 'HARD' ? 'HARD' : 'SOFT'),
    vmState: VmState.ACTIVE,
  },
  pause_instance: { event: 'compute_pause_instance', expected: [TaskState.PAUSING], drive: (d, i) => d.pause(i.uuid), vmState: VmState.PAUSED },
  unpause_instance: { event: 'compute_unpause_instance', expected: [TaskState.UNPAUSING], drive: (d, i) => d.unpause(i.uuid), vmState: VmState.ACTIVE },
  suspend_instance: { event: 'compute_suspend_instance', expected: [TaskState.SUSPENDING], drive: (d, i) => d.suspend(i.uuid), vmState: VmState.SUSPENDED },
  resume_instance: { event: 'compute_resume_instance', expected: [TaskState.RESUMING], drive: (d, i) => d.resume(i.uuid), vmState: VmState.ACTIVE },
  rescue_instance: {
    event: 'compute_rescue_instance',
    expected: [TaskState.RESCUING],
    drive: (d, i, x) => d.rescue(i.uuid, x.rescue_image_ref ? guestImage({ ...(imageFromInstance(i) ?? { name: null, disk_format: null, container_format: null, size: null, min_disk: 0, min_ram: 0, properties: {} }), id: String(x.rescue_image_ref) }) : null, (x.rescue_password as string | null) ?? null),
    vmState: VmState.RESCUED,
  },
  unrescue_instance: { event: 'compute_unrescue_instance', expected: [TaskState.UNRESCUING], drive: (d, i) => d.unrescue(i.uuid), vmState: VmState.ACTIVE },
  soft_delete_instance: { event: 'compute_soft_delete_instance', expected: [TaskState.SOFT_DELETING], drive: (d, i) => d.powerOff(i.uuid), vmState: VmState.SOFT_DELETED },
  restore_instance: { event: 'compute_restore_instance', expected: [TaskState.RESTORING], drive: (d, i) => d.powerOn(i.uuid), vmState: VmState.ACTIVE },
} satisfies Record<string, PowerAction>;

export type PowerActionName = keyof typeof POWER_ACTIONS;

/**
 * Runs the simple actions: guarded task-state steps, the driver call, then the final vm_state
 * and the power state the driver reports. A guest the hypervisor lost (e.g. the fake driver
 * after a restart) is created again when it must run, as libvirt's hard reboot recreates a domain.
 */
@Injectable()
export class PowerActionsService {
  private readonly logger = new Logger('compute');

  constructor(
    private readonly runner: InstanceRunner,
    private readonly conductor: ConductorRpcClient,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  run(name: PowerActionName, ctx: CallerContext, uuid: string, extra: Record<string, unknown>): Promise<void> {
    const action: PowerAction = POWER_ACTIONS[name];
    return this.runner.run(ctx, uuid, action.event, async (inst) => {
      let current = inst.task_state;
      for (const step of action.steps?.(inst) ?? []) {
        await this.conductor.instance_update(uuid, { task_state: step }, { expected_task_state: [current] });
        current = step;
      }
      if (!action.expected.includes(inst.task_state ?? '')) {
        this.logger.warn(`${action.event}: ${uuid} has task_state ${inst.task_state ?? 'None'}, expected ${action.expected.join('/')}`);
      }
      await this.ensureGuest(inst, name);
      await action.drive(this.driver, inst, extra);
      const info = await this.driver.getInfo(uuid);
      const vmState = typeof action.vmState === 'function' ? action.vmState(inst) : action.vmState;
      await this.conductor.instance_update(uuid, { vm_state: vmState, task_state: null, power_state: info.power_state }, { expected_task_state: [current] });
    });
  }

  /** Recreates a lost guest (powered off) before an action that needs it. */
  private async ensureGuest(inst: InstanceRecord, name: PowerActionName): Promise<void> {
    try {
      await this.driver.getInfo(inst.uuid);
    } catch (err) {
      if (!(err instanceof GuestNotFound)) throw err;
      this.logger.warn(`${name}: guest of ${inst.uuid} is missing on ${this.runner.host}; creating it again`);
      await this.driver.spawn(guestSpec(inst, imageFromInstance(inst), this.conf.DEFAULT.instance_name_template));
      await this.driver.powerOff(inst.uuid);
    }
  }

  /** terminate_instance: the guest destroyed, then the row (and its allocations) through the conductor. */
  terminate(ctx: CallerContext, uuid: string): Promise<void> {
    return this.runner.run(ctx, uuid, 'compute_terminate_instance', async () => {
      await this.driver.destroy(uuid);
      await this.conductor.instance_destroy(uuid);
    }, { errorVmState: VmState.ERROR });
  }

  async consoleOutput(uuid: string, tailLength: number | null): Promise<string> {
    const out = await this.driver.getConsoleOutput(uuid);
    if (tailLength === null || tailLength < 0) return out;
    const lines = out.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return tailLength === 0 ? '' : `${lines.slice(-tailLength).join('\n')}\n`;
  }

  async setAdminPassword(ctx: CallerContext, uuid: string, password: string): Promise<void> {
    await this.runner.locked(uuid, async () => {
      try {
        await this.driver.setAdminPassword(uuid, password);
      } finally {
        await this.conductor.instance_update(uuid, { task_state: null }, { expected_task_state: [TaskState.UPDATING_PASSWORD] }).catch(() => undefined);
      }
    });
  }

  /** Power state as the driver sees it, NOSTATE for a missing guest. */
  async powerStateOf(uuid: string): Promise<number> {
    try {
      return (await this.driver.getInfo(uuid)).power_state;
    } catch (err) {
      if (err instanceof GuestNotFound) return PowerState.NOSTATE;
      throw err;
    }
  }
}
