import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { NotFound } from '../../common/errors';
import { InstanceRepository } from '../../db/repositories/instance.repository';
import { QuotaRepository } from '../../db/repositories/quota.repository';
import type { InstanceRecord } from '../../objects/instance.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import type { Query } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { ServerActionsService } from '../servers/server-actions.service';
import { checkState } from '../servers/state-checks';
import { checkMetadataQuota, checkMetaMatchesUri, checkNoQuery, mergedMetadata, parseMetadataBody, parseMetaItemBody } from '../servers/subresource-requests';

const P = 'server-metadata';

/**
 * `/servers/{id}/metadata` (nova/api/openstack/compute/server_metadata.py): list, merge (POST),
 * replace (PUT), and one item (GET/PUT/DELETE). Changes go through compute.API's
 * `update_instance_metadata`/`delete_instance_metadata` checks: the lock, vm_state active,
 * paused, suspended or stopped, launched; then the metadata_items quota.
 */
@Controller('v2.1/servers/:server_id/metadata')
export class ServerMetadataController {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly quotas: QuotaRepository,
    private readonly servers: ServerActionsService,
  ) {}

  private async server(ctx: RequestContext, id: string, rule: string): Promise<InstanceRecord> {
    const inst = await this.servers.visible(ctx, id);
    this.servers.authorize(ctx, `${P}:${rule}`, inst);
    return inst;
  }

  @Get()
  async index(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @QueryParams() query: Query) {
    checkNoQuery(query, ctx.version);
    const inst = await this.server(ctx, id, 'index');
    return { metadata: await this.instances.metadataOf(inst.uuid) };
  }

  @Post()
  async create(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Body() body: unknown) {
    const metadata = parseMetadataBody(body);
    const inst = await this.server(ctx, id, 'create');
    return { metadata: await this.update(ctx, inst, metadata, false) };
  }

  @Put()
  async updateAll(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Body() body: unknown) {
    const metadata = parseMetadataBody(body);
    const inst = await this.server(ctx, id, 'update_all');
    return { metadata: await this.update(ctx, inst, metadata, true) };
  }

  @Get(':key')
  async show(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Param('key') key: string, @QueryParams() query: Query) {
    checkNoQuery(query, ctx.version);
    const inst = await this.server(ctx, id, 'show');
    const metadata = await this.instances.metadataOf(inst.uuid);
    if (!Object.prototype.hasOwnProperty.call(metadata, key)) throw new NotFound('Metadata item was not found');
    return { meta: { [key]: metadata[key] } };
  }

  @Put(':key')
  async updateItem(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Param('key') key: string, @Body() body: unknown) {
    const meta = parseMetaItemBody(body);
    const inst = await this.server(ctx, id, 'update');
    checkMetaMatchesUri(meta, key);
    await this.update(ctx, inst, meta, false);
    return { meta };
  }

  @Delete(':key')
  @HttpCode(204)
  async remove(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Param('key') key: string): Promise<void> {
    const inst = await this.server(ctx, id, 'delete');
    const metadata = await this.instances.metadataOf(inst.uuid);
    if (!Object.prototype.hasOwnProperty.call(metadata, key)) throw new NotFound('Metadata item was not found');
    checkState(inst, 'delete_instance_metadata', ctx.isAdmin, 'delete metadata');
    await this.instances.deleteMetadataKey(inst.uuid, key);
  }

  /** compute.API.update_instance_metadata: state checks, the quota on the result, then the save. */
  private async update(ctx: RequestContext, inst: InstanceRecord, metadata: Record<string, string>, replace: boolean): Promise<Record<string, string>> {
    checkState(inst, 'update_instance_metadata', ctx.isAdmin, 'update metadata');
    const result = mergedMetadata(await this.instances.metadataOf(inst.uuid), metadata, replace);
    const limits = await this.quotas.getProjectQuotas(ctx.projectId, ctx.userId);
    checkMetadataQuota(Object.keys(result).length, limits.metadata_items);
    await this.instances.setMetadata(inst.uuid, result, true);
    return { ...result };
  }
}
