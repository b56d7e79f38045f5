// The server sub-resource controllers at microversions the API does not advertise yet (tags 2.26,
// instance actions 2.21/2.58/2.62, usage paging 2.40), against real repositories on SQLite.
// Nova's policy defaults; the other project's caller and admin as Nova sees them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Conflict, Forbidden, Invalid, NotFound } from '../../src/common/errors';
import type { NovaConf } from '../../src/config/options';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { InstanceActionRepository } from '../../src/db/repositories/instance-action.repository';
import { InstanceRepository, NewInstance } from '../../src/db/repositories/instance.repository';
import { UsageReportRepository } from '../../src/db/repositories/usage-report.repository';
import type { RequestContext } from '../../src/api/http/request-context';
import { PolicyService } from '../../src/api/policy/policy.service';
import type { ServerActionsService } from '../../src/api/servers/server-actions.service';
import { ServerTagsController } from '../../src/api/controllers/server-tags.controller';
import { InstanceActionsController } from '../../src/api/controllers/instance-actions.controller';
import { SimpleTenantUsageController } from '../../src/api/controllers/simple-tenant-usage.controller';
import type { InstanceRecord } from '../../src/objects/instance.object';
import { createTestDatabases, TestDatabases } from '../utils/databases';
import { ctx, failsWith } from '../utils/api-assertions';

const conf = { oslo_policy: { enforce_new_defaults: false, policy_file: '/nonexistent/policy.yaml' }, api: { max_limit: 1000 } } as unknown as NovaConf;

/** A reply double for @Res({passthrough}) handlers. */
function reply() {
  const r = { status: 200, headers: {} as Record<string, string>, code(n: number) { r.status = n; return r; }, header(k: string, v: string) { r.headers[k] = v; return r; } };
  return r;
}

describe('server sub-resource controllers (sqlite)', () => {
  let dbs: TestDatabases;
  let ds: DataSource;
  let instances: InstanceRepository;
  let actions: InstanceActionRepository;
  let policy: PolicyService;
  let tags: ServerTagsController;
  let actionsApi: InstanceActionsController;
  let usage: SimpleTenantUsageController;

  const make = async (over: Partial<NewInstance> = {}): Promise<InstanceRecord> => {
    const uuid = randomUUID();
    const [inst] = await instances.create([{
      uuid, display_name: 'vm', display_description: null, hostname: 'vm', project_id: 'p1', user_id: 'alice', image_ref: null,
      flavor: { id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0, extra_specs: {} },
      key_name: null, key_data: null, user_data: null, availability_zone: null, reservation_id: 'r-1', launch_index: 0,
      access_ip_v4: null, access_ip_v6: null, config_drive: null, auto_disk_config: false, vm_state: 'active', task_state: null,
      metadata: {}, system_metadata: {}, tags: [], ...over,
    }]);
    return instances.update(inst.uuid, { launched_at: new Date(Date.now() - 3600_000).toISOString() });
  };

  before(async () => {
    dbs = await createTestDatabases('sqlite');
    ds = await openDataSource('main', parseConnectionUrl(dbs.main));
    await syncSchema(ds);
    instances = new InstanceRepository(ds);
    actions = new InstanceActionRepository(ds);
    policy = new PolicyService(conf);
    // ServerActionsService.visible/authorize, without the RPC machinery it also carries.
    const servers = {
      async visible(c: RequestContext, uuid: string) {
        const inst = await instances.get(uuid);
        if (!c.isAdmin && inst.project_id !== c.projectId) throw new NotFound(`Instance ${uuid} could not be found.`);
        return inst;
      },
      authorize(c: RequestContext, rule: string, inst: InstanceRecord) {
        policy.authorize(c, `os_compute_api:${rule}`, { project_id: inst.project_id, user_id: inst.user_id });
      },
    } as unknown as ServerActionsService;
    tags = new ServerTagsController(instances, servers, policy);
    actionsApi = new InstanceActionsController(instances, actions, policy, conf);
    usage = new SimpleTenantUsageController(new UsageReportRepository(ds), policy, conf);
  });
  after(async () => {
    await ds?.destroy();
    await dbs?.drop();
  });

  it('tags: 404 before 2.26; list, replace, add (201 + Location, then 204), check, delete', async () => {
    const s = await make();
    await failsWith(tags.index(ctx('2.25'), s.uuid, {}), NotFound, 'The resource could not be found.');
    const v = ctx('2.26');
    assert.deepEqual(await tags.index(v, s.uuid, {}), { tags: [] });
    assert.deepEqual(await tags.updateAll(v, s.uuid, { tags: ['b', 'a', 'b'] }), { tags: ['a', 'b'] });
    let r = reply();
    await tags.update(v, s.uuid, 'web', undefined, r as never);
    assert.equal(r.status, 201);
    assert.equal(r.headers.Location, `http://ctl:8774/v2.1/servers/${s.uuid}/tags/web`);
    r = reply();
    await tags.update(v, s.uuid, 'web', null, r as never);
    assert.equal(r.status, 204);
    assert.equal(r.headers.Location, undefined);
    await tags.show(v, s.uuid, 'web', {});
    await failsWith(tags.show(v, s.uuid, 'nope', {}), NotFound, `Server ${s.uuid} has no tag 'nope'`);
    await failsWith(tags.update(v, s.uuid, 'a,b', undefined, reply() as never), Invalid, /^Tag 'a,b' is invalid\./);
    await failsWith(tags.update(v, s.uuid, 'x', { a: 1 }, reply() as never), Invalid, "{'a': 1} is not of type 'null'");
    await tags.remove(v, s.uuid, 'web');
    await failsWith(tags.remove(v, s.uuid, 'web'), NotFound, `Instance ${s.uuid} has no tag 'web'`);
    await tags.removeAll(v, s.uuid);
    assert.deepEqual(await tags.index(v, s.uuid, {}), { tags: [] });
  });

  it('tags: the 50 limit, the vm_state rule, another project (403), unknown and deleted servers', async () => {
    const v = ctx('2.26');
    const s = await make();
    await tags.updateAll(v, s.uuid, { tags: Array.from({ length: 50 }, (_, i) => `t${i}`) });
    await failsWith(tags.update(v, s.uuid, 't1', undefined, reply() as never), Invalid, 'The number of tags exceeded the per-server limit 50');
    const building = await make({ vm_state: 'building' });
    await failsWith(tags.update(v, building.uuid, 'x', undefined, reply() as never), Conflict, `Cannot 'update tag' instance ${building.uuid} while it is in vm_state building`);
    await failsWith(tags.updateAll(v, building.uuid, { tags: [] }), Conflict, `Cannot 'update tags' instance ${building.uuid} while it is in vm_state building`);
    await failsWith(tags.removeAll(v, building.uuid), Conflict, /'delete tags'/);
    assert.deepEqual(await tags.index(v, building.uuid, {}), { tags: [] });
    await failsWith(tags.index(ctx('2.26', 'other'), s.uuid, {}), Forbidden, "Policy doesn't allow os_compute_api:os-server-tags:index to be performed.");
    assert.equal((await tags.index(ctx('2.26', 'admin'), s.uuid, {})).tags.length, 50);
    const ghost = randomUUID();
    await failsWith(tags.index(v, ghost, {}), NotFound, `Instance ${ghost} has no mapping to a cell.`);
    const gone = await make();
    await instances.destroy(gone.uuid);
    await failsWith(tags.index(v, gone.uuid, {}), NotFound, `Instance ${gone.uuid} could not be found.`);
  });

  it('instance actions: deleted servers readable from 2.21; 2.58 paging and links; events per policy and version', async () => {
    const s = await make();
    for (const [i, name] of ['create', 'stop', 'start'].entries()) {
      await actions.start(s.uuid, name, { request_id: `req-${i}`, user_id: 'alice', project_id: 'p1' });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await actions.eventStart(s.uuid, 'req-1', 'compute_stop_instance', 'cmp1');
    await actions.eventFinish(s.uuid, 'req-1', 'compute_stop_instance', null);
    const owner = ctx('2.1');
    const all = (await actionsApi.index(owner, s.uuid, {})).instanceActions as Array<Record<string, unknown>>;
    assert.deepEqual(all.map((a) => a.action), ['start', 'stop', 'create']);
    assert.equal('updated_at' in all[0], false);
    await failsWith(actionsApi.index(ctx('2.1', 'other'), s.uuid, {}), NotFound, `Instance ${s.uuid} could not be found.`);

    const page = await actionsApi.index(ctx('2.58'), s.uuid, { limit: ['2'] });
    assert.deepEqual((page.instanceActions as Array<Record<string, unknown>>).map((a) => a.request_id), ['req-2', 'req-1']);
    assert.deepEqual(page.links, [{ rel: 'next', href: `http://ctl:8774/v2.1/servers/${s.uuid}/os-instance-actions?limit=2&marker=req-1` }]);
    const rest = await actionsApi.index(ctx('2.58'), s.uuid, { limit: ['2'], marker: ['req-1'] });
    assert.deepEqual((rest.instanceActions as Array<Record<string, unknown>>).map((a) => a.request_id), ['req-0']);
    assert.equal(rest.links, undefined);
    assert.deepEqual((await actionsApi.index(ctx('2.58'), s.uuid, { limit: ['0'] })).instanceActions, []);
    await failsWith(actionsApi.index(ctx('2.58'), s.uuid, { marker: ['req-none'] }), Invalid, 'Marker req-none could not be found.');
    await failsWith(actionsApi.index(ctx('2.58'), s.uuid, { foo: ['1'] }), Invalid, "Additional properties are not allowed ('foo' was unexpected)");

    const shown = (await actionsApi.show(owner, s.uuid, 'req-1', {})).instanceAction;
    assert.equal('events' in shown, false);
    const asAdmin = (await actionsApi.show(ctx('2.1', 'admin'), s.uuid, 'req-1', {})).instanceAction;
    assert.deepEqual(Object.keys((asAdmin.events as Array<Record<string, unknown>>)[0]), ['event', 'start_time', 'finish_time', 'result', 'traceback']);
    const v262 = (await actionsApi.show(ctx('2.62'), s.uuid, 'req-1', {})).instanceAction.events as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(v262[0]), ['event', 'start_time', 'finish_time', 'result', 'hostId']);
    assert.equal(v262[0].result, 'Success');
    await failsWith(actionsApi.show(owner, s.uuid, 'req-none', {}), NotFound, 'Action req-none not found');

    await instances.destroy(s.uuid);
    await failsWith(actionsApi.index(ctx('2.20'), s.uuid, {}), NotFound, `Instance ${s.uuid} could not be found.`);
    assert.equal(((await actionsApi.index(ctx('2.21'), s.uuid, {})).instanceActions as unknown[]).length, 3);
    assert.equal((await actionsApi.show(ctx('2.21'), s.uuid, 'req-0', {})).instanceAction.action, 'create');
  });

  it('simple tenant usage: deleted instances count, 2.40 pages by instance uuid with links', async () => {
    const a = await make({ project_id: 'pu' });
    const b = await make({ project_id: 'pu' });
    const c = await make({ project_id: 'pu' });
    await instances.destroy(c.uuid);
    await make({ project_id: 'pu', vm_state: 'building' }).then((x) => instances.update(x.uuid, { launched_at: null }));
    const ids = [a.uuid, b.uuid, c.uuid].sort();
    const start = { start: [new Date(Date.now() - 7200_000).toISOString().slice(0, 19)] };
    const shown = await usage.show(ctx('2.1', 'admin'), 'pu', start);
    const u = shown.tenant_usage as { server_usages: Array<Record<string, unknown>>; total_hours: number };
    assert.deepEqual(u.server_usages.map((s) => s.instance_id), ids);
    assert.equal(u.server_usages.find((s) => s.instance_id === c.uuid)?.state, 'terminated');
    assert.ok(u.total_hours > 2.5 && u.total_hours < 3.1, String(u.total_hours));
    assert.deepEqual((await usage.show(ctx('2.1', 'admin'), 'nobody', start)).tenant_usage, {});
    await failsWith(usage.show(ctx('2.1', 'other'), 'pu', start), Forbidden);
    await failsWith(usage.index(ctx('2.1'), start), Forbidden, "Policy doesn't allow os_compute_api:os-simple-tenant-usage:list to be performed.");

    const page = await usage.show(ctx('2.40', 'admin'), 'pu', { ...start, limit: ['2'] });
    assert.deepEqual((page.tenant_usage as { server_usages: Array<{ instance_id: string }> }).server_usages.map((s) => s.instance_id), ids.slice(0, 2));
    assert.match(String((page.tenant_usage_links as Array<{ href: string }>)[0].href), new RegExp(`/v2.1/os-simple-tenant-usage/pu\\?limit=2&start=.*&marker=${ids[1]}$`));
    const next = await usage.show(ctx('2.40', 'admin'), 'pu', { ...start, limit: ['2'], marker: [ids[1]] });
    assert.deepEqual((next.tenant_usage as { server_usages: Array<{ instance_id: string }> }).server_usages.map((s) => s.instance_id), ids.slice(2));
    assert.equal(next.tenant_usage_links, undefined);
    await failsWith(usage.show(ctx('2.40', 'admin'), 'pu', { ...start, marker: ['nope'] }), Invalid, 'Marker nope could not be found.');
    const listed = await usage.index(ctx('2.40', 'admin'), { ...start, limit: ['1'] });
    assert.equal((listed.tenant_usages as unknown[]).length, 1);
    assert.ok(Array.isArray(listed.tenant_usages_links));
  });
});
