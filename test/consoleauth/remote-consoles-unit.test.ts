// Remote consoles without the binary: Nova's access URL, the request schemas per microversion,
// the token table (sha256 only, expiry, single use), the compute's console endpoints on the fake
// driver, consoleauth's check_token, and the API controllers at microversions the API does not
// advertise yet (2.6, 2.8, 2.31, 2.99), against real repositories on SQLite.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Conflict, Forbidden, Invalid, NotFound } from '../../src/common/errors';
import type { NovaConf } from '../../src/config/options';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { ConsoleAuthTokenEntity } from '../../src/db/entities/move.entity';
import { InstanceRepository, NewInstance } from '../../src/db/repositories/instance.repository';
import type { RequestContext } from '../../src/api/http/request-context';
import { parseVersion } from '../../src/api/microversion/api-version';
import { PolicyService } from '../../src/api/policy/policy.service';
import type { ServerActionsService } from '../../src/api/servers/server-actions.service';
import { parseRemoteConsole } from '../../src/api/servers/remote-console-request';
import { RemoteConsolesService } from '../../src/api/servers/remote-consoles.service';
import { RemoteConsolesController } from '../../src/api/controllers/remote-consoles.controller';
import { ConsoleAuthTokensController } from '../../src/api/controllers/console-auth-tokens.controller';
import { ComputeConsoleManager } from '../../src/compute/compute-console.manager';
import { CONSOLE_METHODS, type ComputeConsoleRpcClient, type ConsoleProtocol, type GetConsoleArgs, type ValidateConsolePortArgs } from '../../src/compute/compute-console.rpc-client';
import type { ComputeDriver, GuestSpec } from '../../src/compute/driver/compute-driver';
import { GuestNotFound } from '../../src/compute/driver/compute-driver';
import { FakeDriver } from '../../src/compute/drivers/fake/fake.driver';
import { ConsoleAuthTokenStore, tokenHash } from '../../src/consoleauth/console-auth-token.store';
import { ConsoleNotSupported, ConsoleTypeInvalid, ConsoleTypeUnavailable, InstanceNotReady } from '../../src/consoleauth/console-errors';
import { consoleAccessUrl, parseQs, quotePlus } from '../../src/consoleauth/console-url';
import { ConsoleAuthManager } from '../../src/consoleauth/consoleauth.manager';
import { deserializeFailure, serializeFailure } from '../../src/rpc/rpc-errors';
import type { InstanceRecord } from '../../src/objects/instance.object';
import { createTestDatabases, TestDatabases } from '../utils/databases';
import { ctx, failsWith } from '../utils/api-assertions';

const BASE_URL = 'http://127.0.0.1:6080/vnc_auto.html';

function makeConf(over: { vnc?: Partial<NovaConf['vnc']>; ttl?: number } = {}): NovaConf {
  return {
    oslo_policy: { enforce_new_defaults: false, policy_file: '/nonexistent/policy.yaml' },
    api: { max_limit: 1000 },
    vnc: { enabled: true, novncproxy_base_url: BASE_URL, ...over.vnc },
    consoleauth: { token_ttl: over.ttl ?? 600 },
  } as unknown as NovaConf;
}

function guest(uuid: string, node = 'h1'): GuestSpec {
  return {
    uuid, name: 'instance-00000001', hostname: 'vm', vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0,
    image: { id: 'img', properties: {} }, metadata: {}, node,
  };
}

/** A ComputeConsoleRpcClient that calls the managers of in-memory computes by host, as the bus would. */
function computeClient(managers: Map<string, ComputeConsoleManager>): ComputeConsoleRpcClient {
  const of = (host: string) => {
    const m = managers.get(host);
    if (!m) throw new Error(`no compute ${host}`);
    return m;
  };
  // Errors cross the bus as documents: rebuild them as the caller would see them.
  const viaBus = async <T>(p: () => Promise<T>): Promise<T> => {
    try {
      return await p();
    } catch (err) {
      throw deserializeFailure(serializeFailure(err));
    }
  };
  return {
    get_console: (host: string, protocol: ConsoleProtocol, args: GetConsoleArgs) => viaBus(() => of(host)[CONSOLE_METHODS[protocol]](args)),
    validate_console_port: (host: string, args: ValidateConsolePortArgs) => viaBus(() => of(host).validate_console_port(args)),
  } as unknown as ComputeConsoleRpcClient;
}

describe('console access URL (Nova ConsoleAuthToken.access_url)', () => {
  it('novnc: the token goes into path= of the query, merged as urllib does', () => {
    // Expected values computed with CPython's urllib.parse (parse_qs + urlencode(doseq=True)).
    assert.equal(consoleAccessUrl('novnc', BASE_URL, '1b2c-3d'), 'http://127.0.0.1:6080/vnc_auto.html?path=%3Ftoken%3D1b2c-3d');
    assert.equal(
      consoleAccessUrl('novnc', 'https://c.example.com:6080/vnc_lite.html?foo=a+b&path=websockify&x=1&x=2&blank=#frag', '1b2c-3d'),
      'https://c.example.com:6080/vnc_lite.html?foo=a+b&path=websockify%3Ftoken%3D1b2c-3d&x=1&x=2#frag',
    );
    assert.equal(
      consoleAccessUrl('novnc', 'http://h/vnc.html?path=%2Fws%2Fx&autoconnect=true&e=%C3%A9 z', '1b2c-3d'),
      'http://h/vnc.html?path=%2Fws%2Fx%3Ftoken%3D1b2c-3d&autoconnect=true&e=%C3%A9+z',
    );
  });

  it('other types append ?token=', () => {
    assert.equal(consoleAccessUrl('spice-html5', 'http://h:6082/spice_auto.html', 'abc'), 'http://h:6082/spice_auto.html?token=abc');
  });

  it('quote_plus and parse_qs corner cases', () => {
    assert.equal(quotePlus('a b/c?d=e&f~g_h.i-j'), 'a+b%2Fc%3Fd%3De%26f~g_h.i-j');
    assert.deepEqual([...parseQs('a=1&b&c=&a=2&%7E=x+y')], [['a', ['1', '2']], ['~', ['x y']]]);
  });
});

describe('remote-consoles request schema per microversion', () => {
  const ok = (v: string, protocol: string, type: string) => parseRemoteConsole({ remote_console: { protocol, type } }, parseVersion(v));
  it('2.6: vnc, spice, serial, rdp; mks and webmks from 2.8; spice-direct from 2.99', () => {
    assert.deepEqual(ok('2.6', 'vnc', 'novnc'), { protocol: 'vnc', type: 'novnc' });
    assert.deepEqual(ok('2.6', 'rdp', 'rdp-html5'), { protocol: 'rdp', type: 'rdp-html5' });
    assert.throws(() => ok('2.7', 'mks', 'webmks'), (e: Error) => e instanceof Invalid && /'mks' is not one of \['vnc', 'spice', 'serial', 'rdp'\]/.test(e.message));
    assert.deepEqual(ok('2.8', 'mks', 'webmks'), { protocol: 'mks', type: 'webmks' });
    assert.throws(() => ok('2.98', 'spice', 'spice-direct'), Invalid);
    assert.deepEqual(ok('2.99', 'spice', 'spice-direct'), { protocol: 'spice', type: 'spice-direct' });
  });
  it('required keys and no extra keys', () => {
    assert.throws(() => parseRemoteConsole({}, parseVersion('2.6')), (e: Error) => e instanceof Invalid && e.message === "'remote_console' is a required property");
    assert.throws(() => parseRemoteConsole({ remote_console: { protocol: 'vnc' } }, parseVersion('2.6')), (e: Error) => e instanceof Invalid && e.message === "Invalid input for field/attribute remote_console. Value: {'protocol': 'vnc'}. 'type' is a required property");
    assert.throws(() => parseRemoteConsole({ remote_console: { protocol: 'vnc', type: 'novnc', x: 1 } }, parseVersion('2.6')), Invalid);
    assert.throws(() => parseRemoteConsole({ remote_console: { protocol: 'vnc', type: 'novnc' }, y: 1 }, parseVersion('2.6')), Invalid);
    assert.throws(() => parseRemoteConsole({ remote_console: { protocol: 1, type: 'novnc' } }, parseVersion('2.6')), Invalid);
  });
});

describe('the compute console endpoints (fake driver)', () => {
  let d: FakeDriver;
  let m: ComputeConsoleManager;
  const uuid = randomUUID();
  const args = (over: Partial<GetConsoleArgs> = {}): GetConsoleArgs => ({ ctx: { request_id: 'r', user_id: 'u', project_id: 'p', is_admin: false }, instance_uuid: uuid, console_type: 'novnc', ...over });
  before(async () => {
    d = new FakeDriver({ vcpus: 8, memoryMb: 8192, localGb: 100, nodes: [] });
    await d.init('cc-h1');
    await d.spawn(guest(uuid, 'cc-h1'));
    m = new ComputeConsoleManager(d, makeConf());
  });
  after(() => d.close());

  it("get_vnc_console: Nova's fake endpoint and this compute's novncproxy_base_url", async () => {
    assert.deepEqual(await m.get_vnc_console(args()), {
      console_type: 'novnc', host: 'fakevncconsole.com', port: 6969, internal_access_path: `fake-vnc/cc-h1/${uuid}`, access_url_base: BASE_URL,
      ssh_tunnel: null,
    });
  });

  it('[vnc] server_proxyclient_ssh_host: the answer tells the proxy to go through that sshd', async () => {
    const tunnelled = new ComputeConsoleManager(d, makeConf({ vnc: { server_proxyclient_ssh_host: 'hv1.example.org', server_proxyclient_ssh_port: 2222 } }));
    const info = await tunnelled.get_vnc_console(args());
    assert.deepEqual(info.ssh_tunnel, { host: 'hv1.example.org', port: 2222 });
    assert.equal(info.port, 6969);
  });

  it('xvpvnc is invalid, VNC disabled is unavailable, spice/serial/mks are unavailable', async () => {
    await failsWith(m.get_vnc_console(args({ console_type: 'xvpvnc' })), ConsoleTypeInvalid, 'Invalid console type xvpvnc');
    await failsWith(new ComputeConsoleManager(d, makeConf({ vnc: { enabled: false } })).get_vnc_console(args()), ConsoleTypeUnavailable, 'Unavailable console type novnc.');
    await failsWith(m.get_spice_console(args({ console_type: 'spice-html5' })), ConsoleTypeUnavailable, 'Unavailable console type spice-html5.');
    await failsWith(m.get_serial_console(args({ console_type: 'serial' })), ConsoleTypeUnavailable, 'Unavailable console type serial.');
    await failsWith(m.get_mks_console(args({ console_type: 'webmks' })), ConsoleTypeUnavailable, 'Unavailable console type webmks.');
  });

  it('an unknown guest is 404, or not ready while building; a driver without consoles is 501', async () => {
    const ghost = randomUUID();
    await failsWith(m.get_vnc_console(args({ instance_uuid: ghost, vm_state: 'active' })), GuestNotFound, `Instance ${ghost} could not be found.`);
    await failsWith(m.get_vnc_console(args({ instance_uuid: ghost, vm_state: 'building' })), InstanceNotReady, `Instance ${ghost} is not ready`);
    const bare = { name: 'bare' } as unknown as ComputeDriver;
    await failsWith(new ComputeConsoleManager(bare, makeConf()).get_vnc_console(args()), ConsoleNotSupported, 'The requested functionality is not supported.');
  });

  it('validate_console_port: port as a string, plus host and access path when given', async () => {
    const v = (over: Partial<ValidateConsolePortArgs>) => m.validate_console_port({ ...args(), port: '6969', ...over });
    assert.equal(await v({}), true);
    assert.equal(await v({ host: 'fakevncconsole.com', internal_access_path: `fake-vnc/cc-h1/${uuid}` }), true);
    assert.equal(await v({ port: '5900' }), false);
    assert.equal(await v({ internal_access_path: `fake-vnc/cc-h2/${uuid}` }), false, 'issued on another compute: the guest moved');
    assert.equal(await v({ console_type: 'spice-html5' }), false);
    assert.equal(await v({ instance_uuid: randomUUID() }), false);
  });
});

describe('tokens, consoleauth and the console API (sqlite)', () => {
  let dbs: TestDatabases;
  let ds: DataSource;
  let instances: InstanceRepository;
  let store: ConsoleAuthTokenStore;
  let policy: PolicyService;
  let consoles: RemoteConsolesService;
  let controller: RemoteConsolesController;
  let tokensApi: ConsoleAuthTokensController;
  let consoleauth: ConsoleAuthManager;
  const drivers = new Map<string, FakeDriver>();
  const managers = new Map<string, ComputeConsoleManager>();
  const conf = makeConf();

  const make = async (over: Partial<NewInstance> = {}, host: string | null = 'ut-h1'): Promise<InstanceRecord> => {
    const uuid = randomUUID();
    await instances.create([{
      uuid, display_name: 'vm', display_description: null, hostname: 'vm', project_id: 'p1', user_id: 'alice', image_ref: null,
      flavor: { id: 1, flavorid: '1', name: 'm1.tiny', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 0, extra_specs: {} },
      key_name: null, key_data: null, user_data: null, availability_zone: null, reservation_id: 'r-1', launch_index: 0,
      access_ip_v4: null, access_ip_v6: null, config_drive: null, auto_disk_config: false, vm_state: 'active', task_state: null,
      metadata: {}, system_metadata: {}, tags: [], ...over,
    }]);
    if (host) await drivers.get(host)!.spawn(guest(uuid, host));
    return instances.update(uuid, { launched_at: new Date(Date.now() - 3600_000).toISOString(), host, node: host });
  };
  const tokenOf = (url: string) => /path=%3Ftoken%3D([0-9a-f-]{36})$/.exec(url)![1];

  before(async () => {
    dbs = await createTestDatabases('sqlite');
    ds = await openDataSource('main', parseConnectionUrl(dbs.main));
    await syncSchema(ds);
    instances = new InstanceRepository(ds);
    store = new ConsoleAuthTokenStore(ds);
    policy = new PolicyService(conf);
    for (const host of ['ut-h1', 'ut-h2']) {
      const d = new FakeDriver({ vcpus: 8, memoryMb: 8192, localGb: 100, nodes: [] });
      await d.init(host);
      drivers.set(host, d);
      managers.set(host, new ComputeConsoleManager(d, conf));
    }
    const compute = computeClient(managers);
    consoles = new RemoteConsolesService(compute, store, policy, conf);
    const servers = {
      async visible(c: RequestContext, uuid: string) {
        const inst = await instances.get(uuid);
        if (!c.isAdmin && inst.project_id !== c.projectId) throw new NotFound(`Instance ${uuid} could not be found.`);
        return inst;
      },
    } as unknown as ServerActionsService;
    controller = new RemoteConsolesController(servers, consoles, policy);
    tokensApi = new ConsoleAuthTokensController(store, instances, policy);
    consoleauth = new ConsoleAuthManager(store, instances, compute);
  });
  after(async () => {
    for (const d of drivers.values()) await d.close();
    await ds?.destroy();
    await dbs?.drop();
  });

  it('the store keeps only the sha256 of a random token; validate does not consume, consume does once', async () => {
    const uuid = randomUUID();
    const { token, record } = await store.authorize({ instance_uuid: uuid, console_type: 'novnc', host: 'h', port: 5900, internal_access_path: null, access_url_base: BASE_URL }, 600);
    assert.match(token, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a uuid4: 122 random bits');
    const rows = await ds.getRepository(ConsoleAuthTokenEntity).findBy({ instance_uuid: uuid });
    assert.equal(rows.length, 1);
    assert.equal(rows[0].token_hash, tokenHash(token));
    assert.ok(!JSON.stringify(rows).includes(token), 'the token itself is never stored');
    assert.ok(Math.abs(record.expires - (Date.now() / 1000 + 600)) < 3);
    assert.deepEqual(await store.validate(token), record);
    assert.deepEqual(await store.validate(token), record);
    assert.deepEqual(await store.consume(token), record);
    assert.equal(await store.consume(token), null);
    assert.equal(await store.validate(token), null);
    const expired = await store.authorize({ instance_uuid: uuid, console_type: 'novnc', host: 'h', port: 5900, internal_access_path: null, access_url_base: BASE_URL }, 0);
    assert.equal(await store.validate(expired.token), null, 'valid only while now < expires');
    assert.equal(await store.consume(expired.token), null);
    await store.authorize({ instance_uuid: uuid, console_type: 'novnc', host: 'h', port: 5900, internal_access_path: null, access_url_base: BASE_URL }, 600);
    assert.equal((await ds.getRepository(ConsoleAuthTokenEntity).findBy({ instance_uuid: uuid })).length, 1, 'expired rows are dropped when a token is issued');
    assert.equal(await store.deleteForInstance(uuid), 1);
  });

  it('POST remote-consoles: 404 before 2.6; 200 with the URL at 2.6 and 2.8; the token is usable once', async () => {
    const s = await make();
    const body = { remote_console: { protocol: 'vnc', type: 'novnc' } };
    await failsWith(controller.create(ctx('2.5'), s.uuid, body), NotFound, 'The resource could not be found.');
    for (const v of ['2.6', '2.8', '2.99']) {
      const r = await controller.create(ctx(v), s.uuid, body);
      assert.deepEqual(Object.keys(r.remote_console), ['protocol', 'type', 'url']);
      assert.equal(r.remote_console.protocol, 'vnc');
      assert.equal(r.remote_console.type, 'novnc');
      assert.match(r.remote_console.url, /^http:\/\/127\.0\.0\.1:6080\/vnc_auto\.html\?path=%3Ftoken%3D[0-9a-f-]{36}$/);
    }
    const url = (await controller.create(ctx('2.6'), s.uuid, body)).remote_console.url;
    const conn = await consoleauth.check_token({ token: tokenOf(url) });
    assert.deepEqual(conn && { ...conn, expires: 0 }, {
      instance_uuid: s.uuid, console_type: 'novnc', host: 'fakevncconsole.com', port: 6969, internal_access_path: `fake-vnc/ut-h1/${s.uuid}`, access_url_base: BASE_URL, expires: 0,
      ssh_tunnel: null,
    });
    assert.equal(await consoleauth.check_token({ token: tokenOf(url) }), null, 'single use');
    assert.equal(await consoleauth.check_token({ token: 'nope' }), null);
    assert.equal(await consoleauth.check_token({ token: 42 }), null);
  });

  it("POST remote-consoles: Nova's 400s for rdp, wrong and disabled types", async () => {
    const s = await make();
    const post = (v: string, protocol: string, type: string) => controller.create(ctx(v), s.uuid, { remote_console: { protocol, type } });
    await failsWith(post('2.6', 'rdp', 'rdp-html5'), Invalid, 'Unavailable console type rdp.');
    await failsWith(post('2.6', 'vnc', 'xvpvnc'), Invalid, 'Invalid console type xvpvnc');
    await failsWith(post('2.6', 'vnc', 'serial'), Invalid, 'Invalid console type serial');
    await failsWith(post('2.6', 'spice', 'spice-html5'), Invalid, 'Unavailable console type spice-html5.');
    await failsWith(post('2.6', 'serial', 'serial'), Invalid, 'Unavailable console type serial.');
    await failsWith(post('2.7', 'mks', 'webmks'), Invalid, /Invalid input for field\/attribute protocol/);
    await failsWith(post('2.8', 'mks', 'webmks'), Invalid, 'Unavailable console type webmks.');
    await failsWith(post('2.99', 'spice', 'spice-direct'), Invalid, 'Unavailable console type spice-direct.');
  });

  it('POST remote-consoles: 409 without a host or while deleting/migrating; 404 for another project; policy', async () => {
    const noHost = await make({ vm_state: 'building' }, null);
    const body = { remote_console: { protocol: 'vnc', type: 'novnc' } };
    await failsWith(controller.create(ctx('2.6'), noHost.uuid, body), Conflict, `Instance ${noHost.uuid} is not ready`);
    const s = await make();
    await instances.update(s.uuid, { task_state: 'migrating' });
    await failsWith(controller.create(ctx('2.6'), s.uuid, body), Conflict, `Cannot 'get_vnc_console' instance ${s.uuid} while it is in task_state migrating`);
    await instances.update(s.uuid, { task_state: 'deleting' });
    await failsWith(controller.create(ctx('2.6'), s.uuid, body), Conflict, /task_state deleting$/);
    await instances.update(s.uuid, { task_state: 'powering-off' });
    assert.ok((await controller.create(ctx('2.6'), s.uuid, body)).remote_console.url);
    await failsWith(controller.create(ctx('2.6', 'other'), s.uuid, body), NotFound, `Instance ${s.uuid} could not be found.`);
    assert.ok((await controller.create(ctx('2.6', 'admin'), s.uuid, body)).remote_console.url, 'admins pass the owner policy');
    // Instance building on its host, guest not there yet: 409 not ready (Nova's InstanceNotReady).
    const early = await make({ vm_state: 'building' }, null);
    await instances.update(early.uuid, { host: 'ut-h1' });
    await failsWith(controller.create(ctx('2.6'), early.uuid, body), Conflict, `Instance ${early.uuid} is not ready`);
  });

  it('the os-getVNCConsole action body and its policy check without a target', async () => {
    const s = await make();
    const r = await consoles.perform(ctx('2.1'), s, { action: 'os-getVNCConsole', type: 'novnc' });
    assert.equal(r.status, 200);
    const body = r.body as { console: { type: string; url: string } };
    assert.deepEqual(Object.keys(body.console), ['type', 'url']);
    assert.equal(body.console.type, 'novnc');
    await failsWith(consoles.perform(ctx('2.1'), s, { action: 'os-getSPICEConsole', type: 'spice-html5' }), Invalid, 'Unavailable console type spice-html5.');
    await failsWith(consoles.perform(ctx('2.1'), s, { action: 'os-getSerialConsole', type: 'serial' }), Invalid, 'Unavailable console type serial.');
    await failsWith(consoles.perform(ctx('2.1'), s, { action: 'os-getVNCConsole', type: 'xvpvnc' }), Invalid, 'Invalid console type xvpvnc');
  });

  it('GET os-console-auth-tokens: 400 up to 2.30, admin only, does not consume, 404 unknown/expired/deleted', async () => {
    const s = await make();
    const token = tokenOf((await controller.create(ctx('2.6'), s.uuid, { remote_console: { protocol: 'vnc', type: 'novnc' } })).remote_console.url);
    await failsWith(tokensApi.show(ctx('2.30', 'admin'), token, {}), Invalid, 'The requested console type details are not accessible');
    await failsWith(tokensApi.show(ctx('2.31'), token, {}), Forbidden, "Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed.");
    const expected = { console: { instance_uuid: s.uuid, host: 'fakevncconsole.com', port: 6969, internal_access_path: `fake-vnc/ut-h1/${s.uuid}` } };
    assert.deepEqual(await tokensApi.show(ctx('2.31', 'admin'), token, {}), expected);
    assert.deepEqual(await tokensApi.show(ctx('2.99', 'admin'), token, {}), expected);
    await failsWith(tokensApi.show(ctx('2.99', 'admin'), token, { a: ['1'] }), Invalid, /Additional properties are not allowed/);
    assert.deepEqual(await tokensApi.show(ctx('2.98', 'admin'), token, { a: ['1'] }), expected, 'unknown query parameters are fine before 2.99');
    await failsWith(tokensApi.show(ctx('2.31', 'admin'), 'unknown', {}), NotFound, 'Token not found');
    assert.ok(await consoleauth.check_token({ token }), 'looking a token up did not use it');
    await failsWith(tokensApi.show(ctx('2.31', 'admin'), token, {}), NotFound, 'Token not found');
    const gone = await make();
    const t2 = tokenOf((await controller.create(ctx('2.6'), gone.uuid, { remote_console: { protocol: 'vnc', type: 'novnc' } })).remote_console.url);
    assert.equal((await ds.getRepository(ConsoleAuthTokenEntity).findBy({ instance_uuid: gone.uuid })).length, 1);
    await instances.destroy(gone.uuid);
    assert.equal((await ds.getRepository(ConsoleAuthTokenEntity).findBy({ instance_uuid: gone.uuid })).length, 0, 'deleted with the instance');
    await failsWith(tokensApi.show(ctx('2.31', 'admin'), t2, {}), NotFound, 'Token not found');
  });

  it('check_token refuses tokens of deleted, deleting and moved instances, and drops their other tokens', async () => {
    const body = { remote_console: { protocol: 'vnc', type: 'novnc' } };
    const issue = async (uuid: string) => tokenOf((await controller.create(ctx('2.6'), uuid, body)).remote_console.url);
    const a = await make();
    const [t1, t2] = [await issue(a.uuid), await issue(a.uuid)];
    await instances.destroy(a.uuid);
    assert.equal(await consoleauth.check_token({ token: t1 }), null);
    assert.equal(await consoleauth.check_token({ token: t2 }), null);
    const b = await make();
    const t3 = await issue(b.uuid);
    await instances.update(b.uuid, { task_state: 'deleting' });
    assert.equal(await consoleauth.check_token({ token: t3 }), null);
    // A move: the guest now runs on ut-h2 and the instance points there.
    const c = await make();
    const [t4, t5] = [await issue(c.uuid), await issue(c.uuid)];
    await drivers.get('ut-h2')!.spawn(guest(c.uuid, 'ut-h2'));
    await drivers.get('ut-h1')!.destroy(c.uuid);
    await instances.update(c.uuid, { host: 'ut-h2', node: 'ut-h2' });
    assert.equal(await consoleauth.check_token({ token: t4 }), null);
    assert.equal((await ds.getRepository(ConsoleAuthTokenEntity).findBy({ instance_uuid: c.uuid })).length, 0, 't5 went too');
    assert.equal(await consoleauth.check_token({ token: t5 }), null);
    assert.ok(await consoleauth.check_token({ token: await issue(c.uuid) }), 'a token issued after the move works');
  });
});
