import { PolicyService } from '../policy/policy.service';
import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { Conflict, Invalid, NotFound } from '../../common/errors';
import { ComputeMoveRpcClient } from '../../compute/compute-move.rpc-client';
import { InstanceActionRepository } from '../../db/repositories/instance-action.repository';
import { InstanceRepository } from '../../db/repositories/instance.repository';
import { MigrationRepository } from '../../db/repositories/migration.repository';
import { InstanceRecord, TaskState, VmState } from '../../objects/instance.object';
import { LIVE_IN_PROGRESS, MigrationRecord, MigrationType } from '../../objects/migration.object';
import { ReqCtx } from '../http/req-ctx.decorator';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { callerOf } from '../servers/server-create.service';
import { invalidState } from '../servers/state-checks';
import { serverMigrationView } from '../views/migration.view';

const P = 'os_compute_api:servers:migrations';

/**
 * `/servers/{id}/migrations` (2.22–2.24+): in-progress live migrations of a server, force
 * complete and abort. Admin only, as Nova's defaults.
 */
@Controller('v2.1/servers/:server_id/migrations')
export class ServerMigrationsController {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly migrations: MigrationRepository,
    private readonly actions: InstanceActionRepository,
    private readonly computes: ComputeMoveRpcClient,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async index(@ReqCtx() ctx: RequestContext, @Param('server_id') serverId: string) {
    const inst = await this.instance(ctx, serverId, '2.23', 'index');
    const rows = await this.migrations.list({ instance_uuid: inst.uuid, migration_type: MigrationType.LIVE, status: LIVE_IN_PROGRESS });
    return { migrations: rows.map((m) => serverMigrationView(ctx, m)) };
  }

  @Get(':id')
  async show(@ReqCtx() ctx: RequestContext, @Param('server_id') serverId: string, @Param('id') id: string) {
    const inst = await this.instance(ctx, serverId, '2.23', 'show');
    const m = await this.migrationOf(inst, id).catch(() => null);
    if (!m) throw new NotFound(`In-progress live migration ${id} is not found for server ${serverId}.`);
    if (m.migration_type !== MigrationType.LIVE) throw new NotFound(`Migration ${id} for server ${serverId} is not live-migration.`);
    if (!LIVE_IN_PROGRESS.includes(m.status ?? '')) throw new NotFound(`Live migration ${id} for server ${serverId} is not in progress.`);
    return { migration: serverMigrationView(ctx, m) };
  }

  @Post(':id/action')
  @HttpCode(202)
  async action(@ReqCtx() ctx: RequestContext, @Param('server_id') serverId: string, @Param('id') id: string, @Body() body: unknown) {
    const inst = await this.instance(ctx, serverId, '2.22', 'force_complete');
    const keys = body && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
    if (keys.length !== 1) throw new Invalid('Malformed request body');
    if (keys[0] !== 'force_complete') throw new Invalid(`There is no such action: ${keys[0]}`);
    if (inst.locked && !ctx.isAdmin) throw new Conflict(`Instance ${inst.uuid} is locked`);
    if (inst.vm_state !== VmState.ACTIVE) throw invalidState('force_complete', inst.uuid, 'vm_state', inst.vm_state);
    if (inst.task_state !== TaskState.MIGRATING) throw invalidState('force_complete', inst.uuid, 'task_state', inst.task_state);
    const m = await this.migrationOf(inst, id).catch(() => {
      throw new Invalid(`Migration ${id} not found for instance ${inst.uuid}`);
    });
    if (m.status !== 'running') throw new Invalid(`Migration ${id} state of instance ${inst.uuid} is ${m.status ?? 'None'}. Cannot force complete while the migration is in this state.`);
    await this.actions.start(inst.uuid, 'live_migration_force_complete', callerOf(ctx));
    await this.computes.live_migration_force_complete(m.source_compute as string, callerOf(ctx), inst.uuid, m);
  }

  @Delete(':id')
  @HttpCode(202)
  async abort(@ReqCtx() ctx: RequestContext, @Param('server_id') serverId: string, @Param('id') id: string) {
    const inst = await this.instance(ctx, serverId, '2.24', 'delete');
    if (inst.locked && !ctx.isAdmin) throw new Conflict(`Instance ${inst.uuid} is locked`);
    if (inst.task_state !== TaskState.MIGRATING) throw invalidState('abort live migration', inst.uuid, 'task_state', inst.task_state);
    const m = await this.migrationOf(inst, id);
    const allowed = atLeast(ctx.version, '2.65') ? ['queued', 'preparing', 'running'] : ['running'];
    if (m.migration_type !== MigrationType.LIVE || !allowed.includes(m.status ?? '')) {
      throw new Invalid(`Migration ${id} state of instance ${inst.uuid} is ${m.status ?? 'None'}. Cannot abort live migration while the migration is in this state.`);
    }
    await this.actions.start(inst.uuid, 'live_migration_cancel', callerOf(ctx));
    await this.computes.live_migration_abort(m.source_compute as string, callerOf(ctx), inst.uuid, m);
  }

  /** The version gate (404 below it, as Nova's routing), the instance as the caller may see it, the admin policy. */
  private async instance(ctx: RequestContext, uuid: string, minVersion: string, rule: string): Promise<InstanceRecord> {
    if (!atLeast(ctx.version, minVersion)) throw new NotFound('The resource could not be found.');
    const inst = await this.instances.get(uuid);
    if (!ctx.isAdmin && inst.project_id !== ctx.projectId) throw new NotFound(`Instance ${uuid} could not be found.`);
    this.policy.authorize(ctx, `${P}:${rule}`, { project_id: inst.project_id, user_id: inst.user_id });
    return inst;
  }

  private async migrationOf(inst: InstanceRecord, id: string): Promise<MigrationRecord> {
    const m = /^\d+$/.test(id) ? await this.migrations.get(Number(id)).catch(() => null) : null;
    if (!m || m.instance_uuid !== inst.uuid) throw new NotFound(`Migration ${id} not found for instance ${inst.uuid}`);
    return m;
  }
}
