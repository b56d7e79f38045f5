import { Inject, Injectable, Logger } from '@nestjs/common';
import { KeyedLock } from '../common/keyed-lock';
import { NotFound, NovaError } from '../common/errors';
import { PROCESS_INFO } from '../common/tokens';
import type { ProcessInfo } from '../common/process-info';
import { ConductorRpcClient } from '../conductor/conductor.rpc-client';
import type { CallerContext } from '../objects/build.object';
import type { InstanceRecord } from '../objects/instance.object';
import { ResourceTracker } from './resource-tracker';

export interface RunOptions {
  /** Nova's `reverts_task_state`: on failure set task_state back to null (default true). */
  revertTaskState?: boolean;
  /** On failure also set vm_state (e.g. ERROR). */
  errorVmState?: string;
}

/**
 * Runs one operation on one instance the way Nova's compute manager decorators do: one
 * operation per instance at a time (`synchronized(instance.uuid)`), an action event around it
 * (`wrap_instance_event`), and on failure an instance fault (`wrap_instance_fault`) and the
 * task state reverted (`reverts_task_state`), so no instance keeps a task state forever.
 */
@Injectable()
export class InstanceRunner {
  private readonly logger = new Logger('compute');
  private readonly locks = new KeyedLock();

  constructor(
    private readonly conductor: ConductorRpcClient,
    private readonly tracker: ResourceTracker,
    @Inject(PROCESS_INFO) private readonly info: ProcessInfo,
  ) {}

  /** An instance arrived, left or changed size: the compute node's usage is reported again soon. */
  usageChanged(): void {
    this.tracker.requestUpdate();
  }

  get host(): string {
    return this.info.host;
  }

  /** Serialises `fn` with every other operation on the instance (no event, no fault). */
  locked<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(uuid, fn);
  }

  async run(ctx: CallerContext, uuid: string, event: string, fn: (inst: InstanceRecord) => Promise<void>, opts: RunOptions = {}): Promise<void> {
    await this.locks.run(uuid, async () => {
      this.usageChanged();
      await this.conductor.action_event_start(uuid, ctx.request_id, event, this.host).catch(() => undefined);
      try {
        const inst = await this.conductor.instance_get(uuid);
        await fn(inst);
        this.usageChanged();
        await this.conductor.action_event_finish(uuid, ctx.request_id, event, null).catch(() => undefined);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await this.conductor.action_event_finish(uuid, ctx.request_id, event, message).catch(() => undefined);
        if (err instanceof NotFound && /Instance .* could not be found/.test(message)) {
          this.logger.log(`${event}: instance ${uuid} is gone`);
          return;
        }
        this.logger.warn(`${event} failed for ${uuid}: ${message}`);
        await this.recordFailure(uuid, err, opts);
      }
    });
  }

  /** The fault and the state reset after a failed operation. */
  async recordFailure(uuid: string, err: unknown, opts: RunOptions = {}): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof NovaError ? err.code : 500;
    await this.conductor.instance_fault_create(uuid, { code, message, details: err instanceof Error && err.stack ? err.stack.slice(0, 4000) : null, host: this.host }).catch(() => undefined);
    if (opts.revertTaskState !== false || opts.errorVmState) {
      const updates = { task_state: null, ...(opts.errorVmState ? { vm_state: opts.errorVmState } : {}) };
      await this.conductor.instance_update(uuid, updates).catch((e: unknown) => this.logger.warn(`cannot reset ${uuid}: ${String(e)}`));
    }
  }
}
