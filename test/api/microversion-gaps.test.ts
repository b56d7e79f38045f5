// Per-microversion behaviour above the advertised maximum: requested destinations (2.74, and
// the unforced hosts of moves), trusted image certificates (2.63), server topology (2.78),
// aggregate image pre-caching (2.81), extra-spec validation (2.86). Controllers run against real
// repositories on SQLite; the scheduler's pure core runs alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Forbidden, Invalid, NotFound } from '../../src/common/errors';
import type { NovaConf } from '../../src/config/options';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { AggregateRepository } from '../../src/db/repositories/aggregate.repository';
import { FlavorRepository } from '../../src/db/repositories/flavor.repository';
import { ImageRepository } from '../../src/db/repositories/image.repository';
import { InstanceRepository, NewInstance } from '../../src/db/repositories/instance.repository';
import { PolicyService } from '../../src/api/policy/policy.service';
import { AggregatesController } from '../../src/api/controllers/aggregates.controller';
import { FlavorExtrasController } from '../../src/api/controllers/flavor-extras.controller';
import { ServerTopologyController } from '../../src/api/controllers/server-topology.controller';
import { validateExtraSpec } from '../../src/api/validation/extra-specs';
import { serverDetail, trustedCertsOf } from '../../src/api/views/server.view';
import type { ImageTaskRpcClient, CacheImagesTaskArgs } from '../../src/conductor/image-task.rpc-client';
import type { ZonesService } from '../../src/api/zones.service';
import { FilterScheduler } from '../../src/scheduler/filter-scheduler';
import { host, spec } from '../scheduler/helpers';
import { createTestDatabases, TestDatabases } from '../utils/databases';
import { ctx, failsWith } from '../utils/api-assertions';

const conf = { oslo_policy: { enforce_new_defaults: false, policy_file: '/nonexistent/policy.yaml' }, api: { max_limit: 1000 } } as unknown as NovaConf;

describe('requested_destination (2.74; unforced move hosts)', () => {
  const names = (sel: { service_host: string }[]) => sel.map((s) => s.service_host);
  const hosts = [host('a', { memory_mb: 32768 }), host('b'), host('c', { service_up: false }), host('d', { memory_mb: 1024 })];
  const s = new FilterScheduler({ weight_classes: ['RAMWeigher'] });

  it('narrows the candidates to the host (and node) but the filters still run', () => {
    assert.deepEqual(names(s.selectDestinations(hosts, { spec: spec({ requested_destination: { host: 'b' } }) }).selections[0]), ['b']);
    assert.deepEqual(names(s.selectDestinations(hosts, { spec: spec({ requested_destination: { host: 'b', node: 'b' } }) }).selections[0]), ['b']);
    assert.deepEqual(names(s.selectDestinations(hosts, { spec: spec({ requested_destination: { node: 'a' } }) }).selections[0]), ['a']);
    // A host that is down or too small is refused, unlike a forced host.
    assert.deepEqual(s.selectDestinations(hosts, { spec: spec({ requested_destination: { host: 'c' } }) }).selections, []);
    assert.deepEqual(s.selectDestinations(hosts, { spec: spec({ requested_destination: { host: 'd' } }) }).selections, []);
    assert.equal(s.selectDestinations(hosts, { spec: spec({ force_hosts: ['c'] }) }).selections[0][0].service_host, 'c');
    // Exact names; the source host of a move stays excluded.
    assert.deepEqual(s.selectDestinations(hosts, { spec: spec({ requested_destination: { host: 'B' } }) }).selections, []);
    assert.deepEqual(s.selectDestinations(hosts, { spec: spec({ requested_destination: { host: 'b' }, ignore_hosts: ['b'] }) }).selections, []);
    assert.deepEqual(s.selectDestinations(hosts, { spec: spec({ requested_destination: { host: 'b', node: 'x' } }) }).selections, []);
  });
});

describe('extra-spec validation (2.86)', () => {
  it('known specs have their value checked; unknown names in known namespaces are refused; others pass', () => {
    validateExtraSpec('hw:cpu_policy', 'dedicated');
    validateExtraSpec('hw:numa_nodes', '2');
    validateExtraSpec('hw:numa_cpus.0', '0-3,^2');
    validateExtraSpec('hw:mem_page_size', '2MB');
    validateExtraSpec('hw_rng:allowed', 'True');
    validateExtraSpec('quota:cpu_shares', '1024');
    validateExtraSpec('resources:VCPU', '0');
    validateExtraSpec('resources1:CUSTOM_GOLD', '1');
    validateExtraSpec('trait:HW_CPU_X86_AVX2', 'required');
    validateExtraSpec('trait_g1:CUSTOM_FOO', 'forbidden');
    validateExtraSpec('aggregate_instance_extra_specs:ssd', 'true');
    validateExtraSpec('capabilities:cpu_info:arch', 'x86_64');
    validateExtraSpec('os:secure_boot', 'required');
    validateExtraSpec('group_policy', 'isolate');
    validateExtraSpec('my_own_key', 'anything');
    validateExtraSpec('acme:whatever', 'anything');
    const bad = (n: string, v: string) => {
      try {
        validateExtraSpec(n, v);
      } catch (err) {
        assert.ok(err instanceof Invalid);
        return err.message;
      }
      return assert.fail(`${n}=${v} accepted`);
    };
    assert.equal(bad('hw:cpu_policy', 'foo'), "Validation failed; 'foo' is not one of: dedicated, shared, mixed.");
    assert.equal(bad('hw:numa_nodes', 'x'), "Validation failed; 'x' is not a valid integer value.");
    assert.equal(bad('hw:numa_nodes', '0'), "Validation failed; '0' is less than the min value of '1'.");
    assert.equal(bad('hw:cpu_realtime', 'maybe'), "Validation failed; 'maybe' is not a valid boolean-like value.");
    assert.equal(bad('hw:mem_page_size', 'huge'), "Validation failed; 'huge' is not of the format '(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)'.");
    assert.equal(bad('hw:no_such_thing', '1'), "Validation failed; extra spec 'hw:no_such_thing' does not appear to be a valid extra spec.");
    assert.equal(bad('resources:VCPU', 'two'), "Validation failed; 'two' is not a valid integer value.");
    assert.equal(bad('trait:CUSTOM_X', 'preferred'), "Validation failed; 'preferred' is not one of: required, forbidden.");
    assert.equal(bad('group_policy', 'all'), "Validation failed; 'all' is not one of: isolate, none.");
  });
});

describe('controllers at 2.63–2.86 (sqlite)', () => {
  let dbs: TestDatabases;
  let ds: DataSource;
  let apiDs: DataSource;
  let instances: InstanceRepository;
  let policy: PolicyService;
  let aggregates: AggregateRepository;
  let images: ImageRepository;
  let flavors: FlavorRepository;
  const casts: CacheImagesTaskArgs[] = [];

  const make = async (over: Partial<NewInstance> = {}) => {
    const [inst] = await instances.create([{
      uuid: randomUUID(), display_name: 'vm', display_description: null, hostname: 'vm', project_id: 'p1', user_id: 'alice', image_ref: null,
      flavor: { id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0, extra_specs: {} },
      key_name: null, key_data: null, user_data: null, availability_zone: null, reservation_id: 'r-1', launch_index: 0,
      access_ip_v4: null, access_ip_v6: null, config_drive: null, auto_disk_config: false, vm_state: 'active', task_state: null,
      metadata: {}, system_metadata: {}, tags: [], ...over,
    }]);
    return inst;
  };

  before(async () => {
    dbs = await createTestDatabases('sqlite');
    ds = await openDataSource('main', parseConnectionUrl(dbs.main));
    await syncSchema(ds);
    apiDs = await openDataSource('api', parseConnectionUrl(dbs.api));
    await syncSchema(apiDs);
    instances = new InstanceRepository(ds);
    policy = new PolicyService(conf);
    aggregates = new AggregateRepository(apiDs);
    images = new ImageRepository(apiDs);
    flavors = new FlavorRepository(apiDs);
  });
  after(async () => {
    await ds?.destroy();
    await apiDs?.destroy();
    await dbs?.drop();
  });

  it('2.63: trusted certificates kept in system metadata, shown by show and by lists', async () => {
    const withCerts = await make({ system_metadata: { image_os_type: 'linux', trusted_certs: JSON.stringify(['cert-a', 'cert-b']) } });
    const without = await make();
    assert.deepEqual(trustedCertsOf(withCerts), ['cert-a', 'cert-b']);
    assert.equal(trustedCertsOf(without), null);
    const listed = await instances.list({ filter: { exact: { uuid: [withCerts.uuid, without.uuid] } } } as never);
    const byUuid = new Map(listed.map((r) => [r.uuid, r]));
    // Lists load only the system metadata they render.
    assert.deepEqual(byUuid.get(withCerts.uuid)?.system_metadata, { trusted_certs: '["cert-a","cert-b"]' });
    const extras = { isAdmin: false, showExtended: false, showHostStatus: false as const, showFlavorExtraSpecs: false, forList: true, securityGroups: ['default'] };
    const v263 = serverDetail(ctx('2.63'), byUuid.get(withCerts.uuid) as never, extras);
    assert.deepEqual(v263.trusted_image_certificates, ['cert-a', 'cert-b']);
    assert.equal(serverDetail(ctx('2.63'), byUuid.get(without.uuid) as never, extras).trusted_image_certificates, null);
    assert.ok(!('trusted_image_certificates' in serverDetail(ctx('2.62'), byUuid.get(withCerts.uuid) as never, extras)));
  });

  it('2.78: topology of an instance without NUMA topology; 404 before 2.78 and for another project', async () => {
    const topo = new ServerTopologyController(instances, policy);
    const inst = await make();
    await failsWith(topo.index(ctx('2.77'), inst.uuid), NotFound, 'The resource could not be found.');
    assert.deepEqual(await topo.index(ctx('2.78'), inst.uuid), { nodes: [], pagesize_kb: null });
    assert.deepEqual(await topo.index(ctx('2.78', 'admin'), inst.uuid), { nodes: [], pagesize_kb: null });
    await failsWith(topo.index(ctx('2.78', 'other'), inst.uuid), NotFound, `Instance ${inst.uuid} could not be found.`);
    const missing = randomUUID();
    await failsWith(topo.index(ctx('2.78'), missing), NotFound, `Instance ${missing} could not be found.`);
  });

  it('2.81: aggregate image pre-cache: 404 before, admin only, body schema, duplicates, unknown images, then a cast', async () => {
    const tasks = { async cache_images(args: CacheImagesTaskArgs) { casts.push(args); } } as unknown as ImageTaskRpcClient;
    const api = new AggregatesController(aggregates, {} as ZonesService, policy, images, tasks);
    const agg = await aggregates.create('cache-agg');
    await aggregates.addHost(agg.id, 'cmp1');
    await aggregates.addHost(agg.id, 'cmp2');
    const img = randomUUID();
    await images.create(img, 'admin', { name: 'cirros', visibility: 'public' });
    const a = ctx('2.81', 'admin');
    await failsWith(api.images(ctx('2.80', 'admin'), String(agg.id), { cache: [{ id: img }] }), NotFound, 'The resource could not be found.');
    await failsWith(api.images(ctx('2.81'), String(agg.id), { cache: [{ id: img }] }), Forbidden);
    await failsWith(api.images(a, String(agg.id), {}), Invalid, "'cache' is a required property");
    await failsWith(api.images(a, String(agg.id), { cache: [] }), Invalid, 'Invalid input for field/attribute cache. Value: []. [] is too short');
    await failsWith(api.images(a, String(agg.id), { cache: [{ id: 'nope' }] }), Invalid, "Invalid input for field/attribute id. Value: nope. 'nope' is not a 'uuid'");
    await failsWith(api.images(a, String(agg.id), { cache: [{ id: img, x: 1 }] }), Invalid, /Additional properties are not allowed \('x' was unexpected\)/);
    await failsWith(api.images(a, String(agg.id), { cache: [{ id: img }], more: 1 }), Invalid, "Additional properties are not allowed ('more' was unexpected)");
    await failsWith(api.images(a, 'x', { cache: [{ id: img }] }), Invalid, 'Invalid input received: id must be an integer');
    await failsWith(api.images(a, String(agg.id), { cache: [{ id: img }, { id: img }] }), Invalid, 'Duplicate images in request');
    await failsWith(api.images(a, '99999', { cache: [{ id: img }] }), NotFound, 'Aggregate 99999 could not be found.');
    const unknown = randomUUID();
    await failsWith(api.images(a, String(agg.id), { cache: [{ id: unknown }] }), Invalid, `Image ${unknown} could not be found.`);
    assert.equal(casts.length, 0);
    await api.images(a, String(agg.id), { cache: [{ id: img }] });
    assert.equal(casts.length, 1);
    assert.deepEqual(casts[0].hosts.sort(), ['cmp1', 'cmp2']);
    assert.deepEqual(casts[0].images.map((i) => i.id), [img]);
  });

  it('2.86: flavor extra specs validated on create and update from 2.86 only', async () => {
    const api = new FlavorExtrasController(flavors, policy);
    const f = await flavors.create({ name: 'es', memory_mb: 512, vcpus: 1, root_gb: 1 });
    const a86 = ctx('2.86', 'admin');
    await failsWith(api.createSpecs(a86, f.flavorid, { extra_specs: { 'hw:cpu_policy': 'sometimes' } }), Invalid, "Validation failed; 'sometimes' is not one of: dedicated, shared, mixed.");
    await failsWith(api.createSpecs(a86, f.flavorid, { extra_specs: { 'hw:bogus': '1' } }), Invalid, /does not appear to be a valid extra spec/);
    await failsWith(api.updateSpec(a86, f.flavorid, 'hw:numa_nodes', { 'hw:numa_nodes': 0 }), Invalid, "Validation failed; '0' is less than the min value of '1'.");
    assert.deepEqual(await api.createSpecs(a86, f.flavorid, { extra_specs: { 'hw:cpu_policy': 'dedicated', 'acme:x': 'y' } }), { extra_specs: { 'hw:cpu_policy': 'dedicated', 'acme:x': 'y' } });
    assert.deepEqual(await api.updateSpec(a86, f.flavorid, 'hw:numa_nodes', { 'hw:numa_nodes': 2 }), { 'hw:numa_nodes': 2 });
    // Before 2.86 anything goes.
    const a85 = ctx('2.85', 'admin');
    assert.deepEqual(await api.createSpecs(a85, f.flavorid, { extra_specs: { 'hw:bogus': '1' } }), { extra_specs: { 'hw:bogus': '1' } });
  });
});
