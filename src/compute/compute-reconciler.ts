import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { NOVA_CONF } from '../common/tokens';
import type { NovaConf } from '../config/options';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import { NotFound } from '../common/errors';
import { InstanceRecord, PowerState, TaskState, VmState } from '../objects/instance.object';
import type { ComputeDriver } from './driver/compute-driver';
import { COMPUTE_DRIVER } from './driver-factory';
import { InstanceRunner } from './instance-runner';
import { PowerActionsService } from './power-actions.service';

const BUILDING_TASKS: Array<string | null> = [TaskState.SCHEDULING, TaskState.BLOCK_DEVICE_MAPPING, TaskState.NETWORKING, TaskState.SPAWNING];
const RUNNING_VM_STATES: string[] = [VmState.ACTIVE, VmState.PAUSED, VmState.SUSPENDED, VmState.RESCUED];

/**
 * What a compute does on start-up and periodically so that the database and the hypervisor
 * agree (Nova's `init_host` / `_init_instance`, `_sync_power_states`): instances a crash left in
 * a transitional state are finished or reset (never left in BUILD or a task state forever),
 * guests of deleted instances are destroyed, and power states are copied from the hypervisor.
 */
@Injectable()
export class ComputeReconciler implements OnModuleDestroy {
  private readonly logger = new Logger('compute.reconcile');
  private timer: NodeJS.Timeout | undefined;
  private reclaimTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly conductor: ConductorRpcClient,
    private readonly runner: InstanceRunner,
    private readonly power: PowerActionsService,
    @Inject(COMPUTE_DRIVER) private readonly driver: ComputeDriver,
    @Inject(NOVA_CONF) private readonly conf: NovaConf,
  ) {}

  async start(): Promise<void> {
    try {
      await this.reconcile();
    } catch (err) {
      this.logger.warn(`start-up reconciliation failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    const interval = this.conf.DEFAULT.sync_power_state_interval;
    if (interval > 0) {
      this.timer = setInterval(() => void this.syncPowerStates().catch((e: unknown) => this.logger.warn(`power state sync failed: ${String(e)}`)), interval * 1000);
      this.timer.unref();
    }
    const reclaim = this.conf.DEFAULT.reclaim_instance_interval;
    if (reclaim > 0) {
      // Nova runs _reclaim_queued_deletes with a spacing of reclaim_instance_interval.
      this.reclaimTimer = setInterval(() => void this.reclaimQueuedDeletes().catch((e: unknown) => this.logger.warn(`reclaim failed: ${String(e)}`)), reclaim * 1000);
      this.reclaimTimer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.reclaimTimer) clearInterval(this.reclaimTimer);
    this.timer = undefined;
    this.reclaimTimer = undefined;
  }

  /**
   * Nova's `_reclaim_queued_deletes`: soft-deleted instances of this host whose soft delete is
   * older than `reclaim_instance_interval` are deleted for good (guest, row, allocations).
   */
  async reclaimQueuedDeletes(): Promise<void> {
    const interval = this.conf.DEFAULT.reclaim_instance_interval;
    const cutoff = Date.now() - interval * 1000;
    for (const inst of await this.conductor.instances_on_host(this.runner.host)) {
      if (inst.vm_state !== VmState.SOFT_DELETED || inst.task_state !== null) continue;
      if (inst.updated_at && Date.parse(inst.updated_at) > cutoff) continue;
      await this.runner.locked(inst.uuid, async () => {
        this.logger.log(`reclaiming soft-deleted instance ${inst.uuid}`);
        await this.driver.destroy(inst.uuid);
        await this.conductor.instance_destroy(inst.uuid);
        this.runner.usageChanged();
      });
    }
  }

  onModuleDestroy(): void {
    this.stop();
  }

  async reconcile(): Promise<void> {
    const instances = await this.conductor.instances_on_host(this.runner.host);
    const known = new Set(instances.map((i) => i.uuid));
    for (const guest of await this.driver.listGuests()) {
      if (known.has(guest.uuid)) continue;
      await this.unknownGuest(guest.uuid, guest.name);
    }
    for (const inst of instances) await this.runner.locked(inst.uuid, () => this.initInstance(inst));
  }

  /**
   * A guest no live instance of this host owns. Deleted here (the delete did not reach the
   * hypervisor): destroyed, as Nova reaps running deleted instances. Unknown to this cloud (not in
   * its database: another cloud's or someone's guest on a shared hypervisor) or now another host's
   * instance: reported and left alone, as the issue and Nova's sync require.
   */
  private async unknownGuest(uuid: string, name: string): Promise<void> {
    let inst: InstanceRecord | null = null;
    try {
      inst = await this.conductor.instance_get(uuid, true);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
    if (inst?.deleted && (inst.host === this.runner.host || inst.host === null)) {
      this.logger.warn(`destroying guest ${name} (${uuid}): its instance was deleted`);
      await this.driver.destroy(uuid).catch(() => undefined);
      return;
    }
    this.logger.warn(`guest ${name} (${uuid}) runs on this host but ${inst ? `belongs to host ${inst.host ?? '(none)'}` : 'is not in the database'}: leaving it alone`);
  }

  private async initInstance(inst: InstanceRecord): Promise<void> {
    const uuid = inst.uuid;
    try {
      if (inst.task_state === TaskState.DELETING) {
        this.logger.log(`finishing the delete of ${uuid}`);
        await this.driver.destroy(uuid);
        await this.conductor.instance_destroy(uuid);
        return;
      }
      if (inst.vm_state === VmState.BUILDING || BUILDING_TASKS.includes(inst.task_state)) {
        this.logger.warn(`instance ${uuid} was building when the compute stopped: ERROR`);
        await this.driver.destroy(uuid).catch(() => undefined);
        await this.conductor.instance_update(uuid, { vm_state: VmState.ERROR, task_state: null });
        await this.conductor.instance_fault_create(uuid, { code: 500, message: 'The compute service restarted while the instance was being built.', host: this.runner.host });
        return;
      }
      if (inst.task_state !== null) {
        this.logger.warn(`instance ${uuid} was left in task state ${inst.task_state}: resetting it`);
        await this.conductor.instance_update(uuid, { task_state: null });
        inst = { ...inst, task_state: null };
      }
      await this.syncOne(inst);
    } catch (err) {
      this.logger.warn(`cannot reconcile ${uuid}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** `_sync_power_states`: the hypervisor's power state recorded; a running server found off is stopped. */
  async syncPowerStates(): Promise<void> {
    // An unreachable hypervisor says nothing about the guests: skip this round (nothing recorded).
    try {
      await this.driver.checkHost?.();
    } catch (err) {
      this.logger.warn(`power state sync skipped: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const inst of await this.conductor.instances_on_host(this.runner.host)) {
      if (inst.task_state !== null) continue;
      await this.runner.locked(inst.uuid, () => this.syncOne(inst));
    }
  }

  private async syncOne(inst: InstanceRecord): Promise<void> {
    const actual = await this.power.powerStateOf(inst.uuid);
    const off = actual === PowerState.SHUTDOWN || actual === PowerState.NOSTATE || actual === PowerState.CRASHED;
    if (inst.vm_state === VmState.ACTIVE && off) {
      this.logger.warn(`instance ${inst.uuid} is ${actual === PowerState.NOSTATE ? 'missing on the hypervisor' : 'off'} while ACTIVE: recording it as stopped`);
      await this.conductor.instance_update(inst.uuid, { vm_state: VmState.STOPPED, power_state: actual }, { expected_task_state: [null] });
    } else if (actual !== inst.power_state && (RUNNING_VM_STATES.includes(inst.vm_state) || inst.vm_state === VmState.STOPPED)) {
      await this.conductor.instance_update(inst.uuid, { power_state: actual }, { expected_task_state: [null] });
    }
  }
}
