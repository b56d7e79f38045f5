import { Body, Controller, Delete, Get, HttpCode, Param, Put, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { NotFound } from '../../common/errors';
import { instanceNotFound, InstanceRepository } from '../../db/repositories/instance.repository';
import type { InstanceRecord } from '../../objects/instance.object';
import { QueryParams, ReqCtx } from '../http/req-ctx.decorator';
import type { Query } from '../http/query';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { PolicyService } from '../policy/policy.service';
import { ServerActionsService } from '../servers/server-actions.service';
import {
  checkNoQuery, checkTagCount, checkTagInUri, checkTagPutBody, checkTagState, parseTagsBody, tagLocation, versionNotFound,
} from '../servers/subresource-requests';
import { resourceLinks } from '../views/format';

const P = 'os_compute_api:os-server-tags';

/**
 * `/servers/{id}/tags` (nova/api/openstack/compute/server_tags.py), microversion 2.26 and later.
 * Nova finds the server through its cell mapping and checks the policy against the mapping's
 * project before it looks at the instance: another project's server is a 403 here, an unknown
 * one `Instance <id> has no mapping to a cell.`. Changes need vm_state active, paused,
 * suspended or stopped (no lock check), and go through `common.get_instance` (project-scoped).
 */
@Controller('v2.1/servers/:server_id/tags')
export class ServerTagsController {
  constructor(
    private readonly instances: InstanceRepository,
    private readonly servers: ServerActionsService,
    private readonly policy: PolicyService,
  ) {}

  /** The instance mapping's project, the policy against it; a deleted server is then 404. */
  private async mapped(ctx: RequestContext, id: string, rule: string): Promise<InstanceRecord> {
    if (!atLeast(ctx.version, '2.26')) throw versionNotFound();
    let inst: InstanceRecord;
    try {
      inst = await this.instances.get(id, { readDeleted: true });
    } catch (err) {
      if (err instanceof NotFound) throw new NotFound(`Instance ${id} has no mapping to a cell.`);
      throw err;
    }
    this.policy.authorize(ctx, `${P}:${rule}`, { project_id: inst.project_id });
    return inst;
  }

  /** `_check_instance_in_valid_state`: the project-scoped instance, then its vm_state. */
  private async changeable(ctx: RequestContext, id: string, rule: string, action: string): Promise<InstanceRecord> {
    const mapped = await this.mapped(ctx, id, rule);
    if (mapped.deleted) throw instanceNotFound(id);
    const inst = await this.servers.visible(ctx, mapped.uuid);
    checkTagState(inst, action, id);
    return inst;
  }

  /** Reads check that the instance exists in the caller's project (`_check_instance_exists_in_project`). */
  private async readable(ctx: RequestContext, id: string, rule: string): Promise<InstanceRecord> {
    const inst = await this.mapped(ctx, id, rule);
    if (inst.deleted || (!ctx.isAdmin && inst.project_id !== ctx.projectId)) throw instanceNotFound(id);
    return inst;
  }

  @Get()
  async index(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @QueryParams() query: Query) {
    if (!atLeast(ctx.version, '2.26')) throw versionNotFound();
    checkNoQuery(query, ctx.version);
    const inst = await this.readable(ctx, id, 'index');
    return { tags: await this.instances.tagsOf(inst.uuid) };
  }

  @Put()
  async updateAll(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Body() body: unknown) {
    if (!atLeast(ctx.version, '2.26')) throw versionNotFound();
    const tags = parseTagsBody(body);
    const inst = await this.changeable(ctx, id, 'update_all', 'update tags');
    return { tags: await this.instances.setTags(inst.uuid, tags) };
  }

  @Delete()
  @HttpCode(204)
  async removeAll(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string): Promise<void> {
    const inst = await this.changeable(ctx, id, 'delete_all', 'delete tags');
    await this.instances.setTags(inst.uuid, []);
  }

  @Get(':tag')
  @HttpCode(204)
  async show(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Param('tag') tag: string, @QueryParams() query: Query): Promise<void> {
    if (!atLeast(ctx.version, '2.26')) throw versionNotFound();
    checkNoQuery(query, ctx.version);
    const inst = await this.readable(ctx, id, 'show');
    if (!(await this.instances.tagsOf(inst.uuid)).includes(tag)) throw new NotFound(`Server ${id} has no tag '${tag}'`);
  }

  @Put(':tag')
  async update(
    @ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Param('tag') tag: string, @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    if (!atLeast(ctx.version, '2.26')) throw versionNotFound();
    checkTagPutBody(body);
    const inst = await this.changeable(ctx, id, 'update', 'update tag');
    checkTagInUri(tag);
    const tags = await this.instances.tagsOf(inst.uuid);
    checkTagCount(tags.length);
    if (tags.includes(tag) || !(await this.instances.addTag(inst.uuid, tag))) {
      reply.code(204);
      return;
    }
    reply.code(201);
    reply.header('Location', tagLocation(resourceLinks(ctx, 'servers', id)[0].href, tag));
  }

  @Delete(':tag')
  @HttpCode(204)
  async remove(@ReqCtx() ctx: RequestContext, @Param('server_id') id: string, @Param('tag') tag: string): Promise<void> {
    const inst = await this.changeable(ctx, id, 'delete', 'delete tag');
    if (!(await this.instances.deleteTag(inst.uuid, tag))) throw new NotFound(`Instance ${id} has no tag '${tag}'`);
  }
}
