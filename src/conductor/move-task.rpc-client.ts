import { Inject, Injectable } from '@nestjs/common';
import { MESSAGE_BUS } from '../common/tokens';
import type { MessageBus } from '../rpc/message-bus';
import type { EvacuateArgs, LiveMigrateArgs, MigrateServerArgs, MigrationRecord, MigrationUpdates, MoveUsage, EvacuatedInstance } from '../objects/migration.object';

/** Client of the conductor's move calls: the object calls computes use, and the move tasks the API casts. */
@Injectable()
export class MoveTaskRpcClient {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  // --- object calls (nova-compute) ---

  migration_get(uuid: string): Promise<MigrationRecord> {
    return this.bus.call<MigrationRecord>(this.target(), 'migration_get', { uuid });
  }

  migration_update(uuid: string, updates: MigrationUpdates, expectedStatus?: string[]): Promise<MigrationRecord> {
    return this.bus.call<MigrationRecord>(this.target(), 'migration_update', { uuid, updates, ...(expectedStatus ? { expected_status: expectedStatus } : {}) });
  }

  instance_system_metadata_update(uuid: string, meta: Record<string, string | null>): Promise<void> {
    return this.bus.call<void>(this.target(), 'move_instance_sysmeta_update', { uuid, meta });
  }

  move_allocations_confirm(migrationUuid: string): Promise<void> {
    return this.bus.call<void>(this.target(), 'move_allocations_confirm', { migration_uuid: migrationUuid });
  }

  move_allocations_revert(migrationUuid: string, instanceUuid: string): Promise<void> {
    return this.bus.call<void>(this.target(), 'move_allocations_revert', { migration_uuid: migrationUuid, instance_uuid: instanceUuid });
  }

  move_usage_on_host(host: string, timeoutMs?: number): Promise<MoveUsage[]> {
    return this.bus.call<MoveUsage[]>(this.target(), 'move_usage_on_host', { host }, { timeoutMs });
  }

  evacuations_from_host(host: string): Promise<EvacuatedInstance[]> {
    return this.bus.call<EvacuatedInstance[]>(this.target(), 'evacuations_from_host', { host });
  }

  evacuation_cleaned_up(host: string, e: EvacuatedInstance): Promise<void> {
    return this.bus.call<void>(this.target(), 'evacuation_cleaned_up', { host, ...e });
  }

  // --- compute_task (API) ---

  migrate_server(args: MigrateServerArgs): Promise<void> {
    return this.bus.cast(this.taskTarget(), 'migrate_server', { ...args });
  }

  /** A call before 2.34 (the pre-checks answer the API), a cast from 2.34. */
  live_migrate_instance(args: LiveMigrateArgs, wait: boolean, timeoutMs?: number): Promise<void> {
    if (!wait) return this.bus.cast(this.taskTarget(), 'live_migrate_instance', { ...args });
    return this.bus.call<void>(this.taskTarget(), 'live_migrate_instance', { ...args }, { timeoutMs });
  }

  evacuate_instance(args: EvacuateArgs): Promise<void> {
    return this.bus.cast(this.taskTarget(), 'evacuate_instance', { ...args });
  }

  private target() {
    return { topic: 'conductor', version: '3.0' };
  }

  private taskTarget() {
    return { topic: 'conductor', namespace: 'compute_task', version: '1.25' };
  }
}
