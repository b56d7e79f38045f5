import { DataSource, In, IsNull } from 'typeorm';
import { NotFound } from '../../common/errors';
import type { InstanceActionRecord } from '../../objects/instance-action.object';
import { InstanceActionEntity, InstanceActionEventEntity } from '../entities';
import { isoOrNull } from '../db-helpers';
import { nowSeconds } from './service.repository';

/** Who asked for an action (the API's request context, as it travels with RPC messages). */
export interface ActionContext {
  request_id: string;
  user_id: string;
  project_id: string;
}

/**
 * Nova's instance actions and their events (`nova/objects/instance_action.py`): the API records
 * the action, each service records events `<prefix>_<function>` with `Success` or `Error`; an
 * error event marks its action's message `Error`.
 */
export class InstanceActionRepository {
  constructor(private readonly ds: DataSource) {}

  async start(instanceUuid: string, action: string, ctx: ActionContext): Promise<void> {
    const now = nowSeconds();
    await this.ds.getRepository(InstanceActionEntity).insert({
      action, instance_uuid: instanceUuid, request_id: ctx.request_id, user_id: ctx.user_id, project_id: ctx.project_id,
      start_time: now, finish_time: null, message: null, created_at: now, updated_at: null, deleted_at: null, deleted: 0,
    });
  }

  private async actionId(instanceUuid: string, requestId: string): Promise<number | null> {
    const row = await this.ds.getRepository(InstanceActionEntity).findOne({ where: { instance_uuid: instanceUuid, request_id: requestId, deleted: 0 }, order: { id: 'DESC' }, select: { id: true } });
    return row?.id ?? null;
  }

  /** Starts an event of the action `requestId` started; ignored when there is no such action. */
  async eventStart(instanceUuid: string, requestId: string, event: string, host: string | null): Promise<void> {
    const actionId = await this.actionId(instanceUuid, requestId);
    if (actionId === null) return;
    const now = nowSeconds();
    await this.ds.getRepository(InstanceActionEventEntity).insert({
      event, action_id: actionId, start_time: now, finish_time: null, result: null, traceback: null, host,
      created_at: now, updated_at: null, deleted_at: null, deleted: 0,
    });
    await this.ds.getRepository(InstanceActionEntity).update({ id: actionId }, { updated_at: now });
  }

  async eventFinish(instanceUuid: string, requestId: string, event: string, error: string | null): Promise<void> {
    const actionId = await this.actionId(instanceUuid, requestId);
    if (actionId === null) return;
    const now = nowSeconds();
    const repo = this.ds.getRepository(InstanceActionEventEntity);
    const row = await repo.findOne({ where: { action_id: actionId, event, finish_time: IsNull() }, order: { id: 'DESC' } });
    const values = { finish_time: now, result: error === null ? 'Success' : 'Error', traceback: error, updated_at: now };
    if (row) await repo.update({ id: row.id }, values);
    else await repo.insert({ event, action_id: actionId, start_time: now, host: null, created_at: now, deleted_at: null, deleted: 0, ...values });
    await this.ds.getRepository(InstanceActionEntity).update({ id: actionId }, error === null ? { updated_at: now } : { updated_at: now, message: 'Error' });
  }

  async list(instanceUuid: string, opts: { limit?: number; marker?: string; changesSince?: string; changesBefore?: string } = {}): Promise<InstanceActionRecord[]> {
    const q = this.ds.getRepository(InstanceActionEntity).createQueryBuilder('a').where('a.instance_uuid = :instanceUuid AND a.deleted = 0', { instanceUuid });
    if (opts.changesSince) q.andWhere('COALESCE(a.updated_at, a.created_at) >= :since', { since: new Date(opts.changesSince) });
    if (opts.changesBefore) q.andWhere('COALESCE(a.updated_at, a.created_at) <= :before', { before: new Date(opts.changesBefore) });
    q.orderBy('a.created_at', 'DESC').addOrderBy('a.id', 'DESC');
    if (opts.marker !== undefined) {
      const marker = await this.ds.getRepository(InstanceActionEntity).findOneBy({ instance_uuid: instanceUuid, request_id: opts.marker, deleted: 0 });
      if (!marker) throw new NotFound(`Marker ${opts.marker} could not be found.`);
      q.andWhere('a.id < :markerId', { markerId: marker.id });
    }
    if (opts.limit !== undefined) q.take(opts.limit);
    return (await q.getMany()).map(toRow);
  }

  async get(instanceUuid: string, requestId: string): Promise<InstanceActionRecord> {
    const row = await this.ds.getRepository(InstanceActionEntity).findOne({ where: { instance_uuid: instanceUuid, request_id: requestId, deleted: 0 }, order: { id: 'DESC' } });
    if (!row) throw new NotFound(`Action for request_id ${requestId} on instance ${instanceUuid} not found`);
    // Newest first, as Nova's action_events_get orders them.
    const events = await this.ds.getRepository(InstanceActionEventEntity).find({ where: { action_id: In([row.id]), deleted: 0 }, order: { id: 'DESC' } });
    return {
      ...toRow(row),
      events: events.map((e) => ({
        event: e.event, start_time: isoOrNull(e.start_time), finish_time: isoOrNull(e.finish_time), result: e.result, traceback: e.traceback, host: e.host,
        details: null,
      })),
    };
  }
}

function toRow(r: InstanceActionEntity): InstanceActionRecord {
  return {
    id: r.id, action: r.action, instance_uuid: r.instance_uuid, request_id: r.request_id, user_id: r.user_id, project_id: r.project_id,
    start_time: isoOrNull(r.start_time), finish_time: isoOrNull(r.finish_time), message: r.message, updated_at: isoOrNull(r.updated_at),
  };
}
