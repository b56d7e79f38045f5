/**
 * Moves through the real binary (fake driver): resize + confirm/revert (and auto-confirm), cold
 * migration, live migration and evacuation, the `migrations` rows (os-migrations) and the 409s
 * and 400s of the state rules. Single host on SQLite + in-process bus (same-host resize
 * allowed); several compute processes on MariaDB + RabbitMQ.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Cloud, startCloud } from '../utils/cloud';
import { createTestDatabases, TestDatabases } from '../utils/databases';
import { RABBIT_URL } from '../utils/buses';
import { NovaProcess, runNova, waitFor, writeConf } from '../utils/nova-process';
import { freePort } from '../utils/free-port';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('server moves on one host (sqlite)', () => {
  let cloud: Cloud;
  let image: string;
  let small: string;
  let medium: string;
  let huge: string;

  before(async () => {
    cloud = await startCloud('sqlite', '[DEFAULT]\nallow_resize_to_same_host = true\nresize_confirm_window = 0\n[fake_driver]\nvcpus = 8\nmemory_mb = 8192\nlocal_gb = 100\n');
    await cloud.waitForCompute();
    image = await cloud.createImage('cirros');
    small = await cloud.createFlavor('m1.small', 512, 1, 1);
    medium = await cloud.createFlavor('m1.medium', 1024, 2, 2);
    huge = await cloud.createFlavor('m1.huge', 16384, 1, 2);
  });
  after(async () => {
    await cloud?.stop();
  });

  const boot = async (name: string, token = 'alice:proj1') => {
    const r = await cloud.request('POST', '/v2.1/servers', { token, body: { server: { name, imageRef: image, flavorRef: small } } });
    assert.equal(r.status, 202, r.text);
    const s = await cloud.waitServer(r.body.server.id, (x) => x?.status === 'ACTIVE' || x?.status === 'ERROR', { token });
    assert.equal(s.status, 'ACTIVE');
    return s.id as string;
  };
  const act = (id: string, body: unknown, token = 'alice:proj1') => cloud.request('POST', `/v2.1/servers/${id}/action`, { token, body });
  const migrationsOf = async (id: string): Promise<Json[]> => (await cloud.request('GET', `/v2.1/os-migrations?instance_uuid=${id}`)).body.migrations;

  it('resize → VERIFY_RESIZE → confirm → ACTIVE with the new flavor; the migration row follows', async () => {
    const id = await boot('rs1');
    const r = await act(id, { resize: { flavorRef: medium } });
    assert.equal(r.status, 202, r.text);
    const s = await cloud.waitServer(id, (x) => x?.status === 'VERIFY_RESIZE' || x?.status === 'ACTIVE' || x?.status === 'ERROR', { token: 'alice:proj1' });
    assert.equal(s.status, 'VERIFY_RESIZE', JSON.stringify(s.fault));
    assert.equal(s.flavor.id, medium);
    assert.equal(s['OS-EXT-STS:vm_state'], 'resized');
    let [m] = await migrationsOf(id);
    assert.equal(m.status, 'finished');
    assert.equal(m.source_compute, 'functest');
    assert.equal(m.dest_compute, 'functest');
    assert.notEqual(m.old_instance_type_id, m.new_instance_type_id);
    assert.equal(m.migration_type, undefined, 'migration_type only from 2.23');
    assert.equal(m.uuid, undefined, 'uuid only from 2.59');
    // A second resize while VERIFY_RESIZE: Nova's state rule.
    const again = await act(id, { resize: { flavorRef: small } });
    assert.equal(again.status, 409);
    assert.match(again.body.conflictingRequest.message, /Cannot 'resize' instance .* while it is in vm_state resized/);
    const c = await act(id, { confirmResize: null });
    assert.equal(c.status, 204, c.text);
    const done = await cloud.waitServer(id, (x) => x?.status === 'ACTIVE', { token: 'alice:proj1' });
    assert.equal(done.flavor.id, medium);
    assert.equal(done['OS-EXT-STS:task_state'], null);
    assert.equal(done['OS-EXT-STS:power_state'], 1);
    [m] = await migrationsOf(id);
    assert.equal(m.status, 'confirmed');
    const actions = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`);
    assert.equal(actions.status, 200);
    assert.deepEqual(actions.body.instanceActions.map((a: Json) => a.action).slice(0, 2), ['confirmResize', 'resize']);
    // Confirming again: not resized any more.
    const c2 = await act(id, { confirmResize: null });
    assert.equal(c2.status, 409);
    assert.match(c2.body.conflictingRequest.message, /Cannot 'confirmResize' instance .* while it is in vm_state active/);
  });

  it('revert brings the old flavor back; a stopped server stays stopped', async () => {
    const id = await boot('rs2');
    assert.equal((await act(id, { 'os-stop': null })).status, 202);
    await cloud.waitServer(id, (x) => x?.status === 'SHUTOFF', { token: 'alice:proj1' });
    assert.equal((await act(id, { resize: { flavorRef: medium } })).status, 202);
    const v = await cloud.waitServer(id, (x) => x?.status === 'VERIFY_RESIZE' || x?.status === 'ERROR', { token: 'alice:proj1' });
    assert.equal(v.status, 'VERIFY_RESIZE');
    assert.equal(v['OS-EXT-STS:power_state'], 4);
    const r = await act(id, { revertResize: null });
    assert.equal(r.status, 202, r.text);
    const s = await cloud.waitServer(id, (x) => x?.status === 'SHUTOFF' && x['OS-EXT-STS:task_state'] === null, { token: 'alice:proj1' });
    assert.equal(s.flavor.id, small);
    const [m] = await migrationsOf(id);
    assert.equal(m.status, 'reverted');
    assert.equal((await act(id, { revertResize: null })).status, 409);
  });

  it('request checks: same flavor 400, unknown flavor 400, quota 403, migrate needs admin', async () => {
    const id = await boot('rs3');
    const same = await act(id, { resize: { flavorRef: small } });
    assert.equal(same.status, 400);
    assert.equal(same.body.badRequest.message, 'When resizing, instances must change flavor!');
    const unknown = await act(id, { resize: { flavorRef: 'nope' } });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.badRequest.message, 'Flavor nope could not be found.');
    const q = await cloud.request('PUT', '/v2.1/os-quota-sets/proj9', { body: { quota_set: { cores: 1 } } });
    assert.equal(q.status, 200, q.text);
    const other = await boot('rs3b', 'carol:proj9');
    const over = await act(other, { resize: { flavorRef: medium } }, 'carol:proj9');
    assert.equal(over.status, 403, over.text);
    assert.equal(over.body.forbidden.message, 'Quota exceeded for cores: Requested 1, but already used 1 of 1 cores');
    const migrate = await act(id, { migrate: null });
    assert.equal(migrate.status, 403);
    const live = await act(id, { 'os-migrateLive': { host: null, block_migration: false, disk_over_commit: false } });
    assert.equal(live.status, 403);
    assert.equal((await cloud.request('GET', '/v2.1/os-migrations', { token: 'alice:proj1' })).status, 403);
  });

  it('no valid host for a resize: back to ACTIVE with a fault, migration error, allocation back', async () => {
    const id = await boot('rs4');
    assert.equal((await act(id, { resize: { flavorRef: huge } })).status, 202);
    await waitFor(async () => (await migrationsOf(id))[0]?.status === 'error', 20_000, 'migration error');
    const s = await cloud.waitServer(id, (x) => x?.['OS-EXT-STS:task_state'] === null, { token: 'alice:proj1' });
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s.flavor.id, small);
    // The fault is recorded (Nova shows it only in ERROR); the resize action ends in Error.
    const actions = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions`);
    if (actions.status === 200) {
      const resize = actions.body.instanceActions.find((a: Json) => a.action === 'resize');
      assert.equal(resize.message, 'Error');
      const detail = await cloud.request('GET', `/v2.1/servers/${id}/os-instance-actions/${resize.request_id}`);
      const ev = detail.body.instanceAction.events.find((e: Json) => e.event === 'conductor_migrate_server');
      assert.equal(ev.result, 'Error');
    }
    // The allocation is the instance's again: a resize that fits still works.
    assert.equal((await act(id, { resize: { flavorRef: medium } })).status, 202);
    await cloud.waitServer(id, (x) => x?.status === 'VERIFY_RESIZE', { token: 'alice:proj1' });
    assert.equal((await act(id, { revertResize: null })).status, 202);
    await cloud.waitServer(id, (x) => x?.status === 'ACTIVE' && x['OS-EXT-STS:task_state'] === null, { token: 'alice:proj1' });
  });

  it('cold migrate (admin, same host allowed here) → VERIFY_RESIZE → confirm', async () => {
    const id = await boot('mg1');
    const r = await act(id, { migrate: null }, 'admin:admin');
    assert.equal(r.status, 202, r.text);
    const v = await cloud.waitServer(id, (x) => x?.status === 'VERIFY_RESIZE' || x?.status === 'ERROR');
    assert.equal(v.status, 'VERIFY_RESIZE', JSON.stringify(v.fault));
    assert.equal(v.flavor.id, small);
    assert.equal((await act(id, { confirmResize: null }, 'admin:admin')).status, 204);
    await cloud.waitServer(id, (x) => x?.status === 'ACTIVE');
    const [m] = await migrationsOf(id);
    assert.equal(m.status, 'confirmed');
    assert.equal(m.old_instance_type_id, m.new_instance_type_id);
    const typed = await cloud.request('GET', `/v2.1/os-migrations?status=confirmed&host=functest`);
    assert.ok(typed.body.migrations.some((x: Json) => x.instance_uuid === id));
    const none = await cloud.request('GET', `/v2.1/os-migrations?source_compute=elsewhere`);
    assert.deepEqual(none.body.migrations, []);
  });

  it('live migration without another host: 400 and the task state is cleared; evacuate with the compute up: 400', async () => {
    const id = await boot('lm1');
    const r = await act(id, { 'os-migrateLive': { host: null, block_migration: false, disk_over_commit: false } }, 'admin:admin');
    assert.equal(r.status, 400, r.text);
    assert.match(r.body.badRequest.message, /No valid host was found/);
    const s = await cloud.waitServer(id, (x) => x?.['OS-EXT-STS:task_state'] === null);
    assert.equal(s.status, 'ACTIVE');
    const same = await act(id, { 'os-migrateLive': { host: 'functest', block_migration: false, disk_over_commit: false } }, 'admin:admin');
    assert.equal(same.status, 400);
    assert.match(same.body.badRequest.message, /Unable to migrate instance .* to current host \(functest\)/);
    const e = await act(id, { evacuate: { onSharedStorage: false } }, 'admin:admin');
    assert.equal(e.status, 400);
    assert.equal(e.body.badRequest.message, 'Compute service of functest is still in use.');
    const e2 = await act(id, { evacuate: { host: 'nowhere', onSharedStorage: false } }, 'admin:admin');
    assert.equal(e2.status, 404);
    // Server migrations appear at 2.23; this API's maximum is below it.
    assert.equal((await cloud.request('GET', `/v2.1/servers/${id}/migrations`)).status, 404);
  });
});

describe('automatic confirm after resize_confirm_window (sqlite)', () => {
  let cloud: Cloud;
  before(async () => {
    cloud = await startCloud('sqlite', '[DEFAULT]\nallow_resize_to_same_host = true\nresize_confirm_window = 1\n');
    await cloud.waitForCompute();
  });
  after(async () => {
    await cloud?.stop();
  });

  it('a resize left in VERIFY_RESIZE is confirmed by the periodic task', async () => {
    const image = await cloud.createImage('cirros');
    const a = await cloud.createFlavor('a1', 256, 1, 1);
    const b = await cloud.createFlavor('b1', 512, 1, 1);
    const r = await cloud.request('POST', '/v2.1/servers', { body: { server: { name: 'ac', imageRef: image, flavorRef: a } } });
    const id = r.body.server.id as string;
    await cloud.waitServer(id, (x) => x?.status === 'ACTIVE');
    assert.equal((await cloud.request('POST', `/v2.1/servers/${id}/action`, { body: { resize: { flavorRef: b } } })).status, 202);
    const s = await cloud.waitServer(id, (x) => x?.status === 'ACTIVE' && x.flavor.id === b, { timeoutMs: 30_000 });
    assert.equal(s['OS-EXT-STS:vm_state'], 'active');
    const m = (await cloud.request('GET', `/v2.1/os-migrations?instance_uuid=${id}`)).body.migrations[0];
    assert.equal(m.status, 'confirmed');
  });
});

describe('server moves between compute processes (MariaDB + RabbitMQ)', () => {
  let dbs: TestDatabases;
  let conf: string;
  let url = '';
  const procs = new Map<string, NovaProcess>();
  const start = (name: string, args: string[]) => {
    const p = new NovaProcess([...args, '--config-file', conf]);
    procs.set(name, p);
    return p;
  };
  const req = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; text: string }> => {
    const res = await fetch(url + path, { method, headers: { 'X-Auth-Token': 'admin:admin', Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
  };
  const server = async (id: string) => {
    const r = await req('GET', `/v2.1/servers/${id}`);
    return r.status === 200 ? r.body.server : { unexpected: r.text };
  };
  const waitServer = async (id: string, done: (s: Json) => boolean, what: string) => {
    let last: Json;
    try {
      await waitFor(async () => done((last = await server(id))), 40_000, what);
    } catch (err) {
      throw new Error(`${(err as Error).message}; last ${JSON.stringify(last)}`);
    }
    return last;
  };
  const act = (id: string, body: unknown) => req('POST', `/v2.1/servers/${id}/action`, body);
  const hostOf = (s: Json) => s['OS-EXT-SRV-ATTR:host'] as string;
  const other = (h: string) => (h === 'cmp1' ? 'cmp2' : 'cmp1');
  let image = '';
  let small = '';
  let medium = '';

  before(async () => {
    dbs = await createTestDatabases('mysql');
    conf = writeConf(dbs.statePath, 'nova.conf', [
      '[DEFAULT]', `state_path = ${dbs.statePath}`, `transport_url = ${RABBIT_URL}`, `control_exchange = nova_mv_${randomBytes(3).toString('hex')}`,
      'report_interval = 1', 'service_down_time = 4', 'graceful_shutdown_timeout = 5', 'osapi_compute_listen = 127.0.0.1', 'osapi_compute_listen_port = 0',
      // A fixed image service port: the compute processes upload shelve snapshots to it.
      '[api]', 'auth_strategy = noauth2', '[image_service]', 'listen = 127.0.0.1', `listen_port = ${await freePort()}`,
      '[database]', `connection = ${dbs.main}`, '[api_database]', `connection = ${dbs.api}`, '',
    ].join('\n'));
    const sync = runNova(['db', 'sync', '--config-file', conf]);
    assert.equal(sync.code, 0, sync.stderr);
    const ctl = start('ctl', ['--role=conductor,scheduler,api', '--host', 'ctl1']);
    start('cmp1', ['--role=compute', '--host', 'cmp1']);
    start('cmp2', ['--role=compute', '--host', 'cmp2']);
    const re = /Compute API listening on (http:\/\/127\.0\.0\.1:\d+)\//;
    await ctl.waitForOutput(re, 60_000);
    url = re.exec(ctl.output)![1];
    await ctl.waitForOutput(/built-in image service listening on 127\.0\.0\.1:(\d+)/, 30_000);
    const imageUrl = `http://127.0.0.1:${/built-in image service listening on 127\.0\.0\.1:(\d+)/.exec(ctl.output)![1]}`;
    await waitFor(async () => {
      const r = await req('GET', '/v2.1/os-hypervisors');
      return r.status === 200 && r.body.hypervisors.length === 2;
    }, 60_000, 'two hypervisors');
    const h = { 'X-Auth-Token': 'admin:admin', 'Content-Type': 'application/json' };
    const img = await fetch(`${imageUrl}/v2/images`, { method: 'POST', headers: h, body: JSON.stringify({ name: 'cirros', disk_format: 'qcow2', container_format: 'bare', visibility: 'public' }) });
    image = ((await img.json()) as { id: string }).id;
    await fetch(`${imageUrl}/v2/images/${image}/file`, { method: 'PUT', headers: { ...h, 'Content-Type': 'application/octet-stream' }, body: Buffer.from('fake image '.repeat(32)) });
    small = (await req('POST', '/v2.1/flavors', { flavor: { name: 's', ram: 256, vcpus: 1, disk: 1, id: null } })).body.flavor.id;
    medium = (await req('POST', '/v2.1/flavors', { flavor: { name: 'm', ram: 512, vcpus: 2, disk: 2, id: null } })).body.flavor.id;
  });

  after(async () => {
    await Promise.all([...procs.values()].map((p) => p.stop('SIGKILL').catch(() => undefined)));
    await dbs?.drop();
  });

  const boot = async (name: string): Promise<Json> => {
    const r = await req('POST', '/v2.1/servers', { server: { name, imageRef: image, flavorRef: small } });
    assert.equal(r.status, 202, r.text);
    return waitServer(r.body.server.id, (s) => s?.status === 'ACTIVE' || s?.status === 'ERROR', 'ACTIVE');
  };

  it('resize moves to the other host; revert comes back; resize + confirm stays there', async () => {
    const s = await boot('mp-rs');
    const src = hostOf(s);
    assert.equal((await act(s.id, { resize: { flavorRef: medium } })).status, 202);
    const v = await waitServer(s.id, (x) => x.status === 'VERIFY_RESIZE' || x.status === 'ERROR', 'VERIFY_RESIZE');
    assert.equal(v.status, 'VERIFY_RESIZE', JSON.stringify(v.fault));
    assert.equal(hostOf(v), other(src));
    assert.equal((await act(s.id, { revertResize: null })).status, 202);
    const back = await waitServer(s.id, (x) => x.status === 'ACTIVE' && x['OS-EXT-STS:task_state'] === null, 'reverted');
    assert.equal(hostOf(back), src);
    assert.equal(back.flavor.id, small);
    assert.equal((await act(s.id, { resize: { flavorRef: medium } })).status, 202);
    await waitServer(s.id, (x) => x.status === 'VERIFY_RESIZE', 'VERIFY_RESIZE again');
    assert.equal((await act(s.id, { confirmResize: null })).status, 204);
    const done = await waitServer(s.id, (x) => x.status === 'ACTIVE', 'confirmed');
    assert.equal(hostOf(done), other(src));
    assert.equal(done.flavor.id, medium);
    const ms = (await req('GET', `/v2.1/os-migrations?instance_uuid=${s.id}`)).body.migrations;
    assert.deepEqual(ms.map((m: Json) => m.status), ['confirmed', 'reverted']);
  });

  it('cold migration to the other host', async () => {
    const s = await boot('mp-mg');
    assert.equal((await act(s.id, { migrate: null })).status, 202);
    const v = await waitServer(s.id, (x) => x.status === 'VERIFY_RESIZE' || x.status === 'ERROR', 'VERIFY_RESIZE');
    assert.equal(hostOf(v), other(hostOf(s)));
    assert.equal((await act(s.id, { confirmResize: null })).status, 204);
    await waitServer(s.id, (x) => x.status === 'ACTIVE', 'ACTIVE');
  });

  it('deleting a server in VERIFY_RESIZE confirms the resize first: the source host gets its resources back', async () => {
    const memUsed = async (host: string): Promise<number> => {
      const hv = (await req('GET', '/v2.1/os-hypervisors/detail')).body.hypervisors.find((x: Json) => x.service.host === host);
      return hv.memory_mb_used;
    };
    const s = await boot('mp-del');
    const src = hostOf(s);
    assert.equal((await act(s.id, { resize: { flavorRef: medium } })).status, 202);
    const v = await waitServer(s.id, (x) => x.status === 'VERIFY_RESIZE' || x.status === 'ERROR', 'VERIFY_RESIZE');
    assert.equal(hostOf(v), other(src));
    const srcWhileResized = await memUsed(src);
    assert.equal((await req('DELETE', `/v2.1/servers/${s.id}`)).status, 204);
    await waitFor(async () => (await req('GET', `/v2.1/servers/${s.id}`)).status === 404, 30_000, 'deleted');
    const ms = (await req('GET', `/v2.1/os-migrations?instance_uuid=${s.id}`)).body.migrations;
    assert.deepEqual(ms.map((m: Json) => m.status), ['confirmed']);
    // The claim the migration held on the source (the small flavor's 256 MB) is gone.
    await waitFor(async () => (await memUsed(src)) === srcWhileResized - 256, 20_000, `source ${src} releases 256 MB (was ${srcWhileResized})`);
  });

  it('unshelve keeps the server group rules: an affinity member cannot be unshelved onto another host', async () => {
    const v291 = async (id: string, body: unknown) => {
      const res = await fetch(`${url}/v2.1/servers/${id}/action`, {
        method: 'POST', body: JSON.stringify(body),
        headers: { 'X-Auth-Token': 'admin:admin', 'Content-Type': 'application/json', 'X-OpenStack-Nova-API-Version': '2.91' },
      });
      return { status: res.status, text: await res.text() };
    };
    const group = (await req('POST', '/v2.1/os-server-groups', { server_group: { name: 'aff-shelve', policies: ['affinity'] } })).body.server_group.id;
    const bootIn = async (name: string) => {
      const r = await req('POST', '/v2.1/servers', { server: { name, imageRef: image, flavorRef: small }, 'os:scheduler_hints': { group } });
      assert.equal(r.status, 202, r.text);
      return waitServer(r.body.server.id, (x) => x?.status === 'ACTIVE' || x?.status === 'ERROR', 'ACTIVE');
    };
    const a = await bootIn('aff-a');
    const b = await bootIn('aff-b');
    assert.equal(hostOf(b), hostOf(a));
    assert.equal((await act(b.id, { shelve: null })).status, 202);
    const off = await waitServer(b.id, (x) => x.status === 'SHELVED_OFFLOADED' || x.status === 'ERROR' || (x.status === 'ACTIVE' && x['OS-EXT-STS:task_state'] === null && x.fault), 'offloaded');
    assert.equal(off.status, 'SHELVED_OFFLOADED', JSON.stringify(off));
    // Asking for the other host: the affinity filter must refuse it.
    const r = await v291(b.id, { unshelve: { host: other(hostOf(a)) } });
    assert.equal(r.status, 202, r.text);
    const refused = await waitServer(b.id, (x) => x.status === 'SHELVED_OFFLOADED' && x['OS-EXT-STS:task_state'] === null, 'unshelve refused');
    assert.equal(hostOf(refused), null);
    // The refusal is recorded on the unshelve action (a fault shows only in ERROR, as in Nova).
    const actions = (await req('GET', `/v2.1/servers/${b.id}/os-instance-actions`)).body.instanceActions as Json[];
    const unshelve = actions.find((x) => x.action === 'unshelve');
    const events = (await req('GET', `/v2.1/servers/${b.id}/os-instance-actions/${unshelve.request_id}`)).body.instanceAction.events as Json[];
    assert.ok(events.some((e) => e.event === 'conductor_unshelve_instance' && e.result === 'Error'), JSON.stringify(events));
    // Unshelved without a host, it goes back next to its group's other member.
    assert.equal((await v291(b.id, { unshelve: null })).status, 202);
    const back = await waitServer(b.id, (x) => x.status === 'ACTIVE' || x.status === 'ERROR', 'unshelved');
    assert.equal(back.status, 'ACTIVE', JSON.stringify(back.fault));
    assert.equal(hostOf(back), hostOf(a));
  });

  it('live migration keeps the server running (and a paused one paused) on the new host', async () => {
    const s = await boot('mp-lm');
    const r = await act(s.id, { 'os-migrateLive': { host: null, block_migration: false, disk_over_commit: false } });
    assert.equal(r.status, 202, r.text);
    const moved = await waitServer(s.id, (x) => x['OS-EXT-STS:task_state'] === null && hostOf(x) !== hostOf(s), 'live migrated');
    assert.equal(moved.status, 'ACTIVE');
    assert.equal(moved['OS-EXT-STS:power_state'], 1);
    await waitFor(async () => (await req('GET', `/v2.1/os-migrations?instance_uuid=${s.id}`)).body.migrations[0]?.status === 'completed', 10_000, 'completed');
    assert.equal((await act(s.id, { pause: null })).status, 202);
    await waitServer(s.id, (x) => x.status === 'PAUSED', 'paused');
    const back = await act(s.id, { 'os-migrateLive': { host: hostOf(s), block_migration: false, disk_over_commit: false } });
    assert.equal(back.status, 202, back.text);
    const p = await waitServer(s.id, (x) => x['OS-EXT-STS:task_state'] === null && hostOf(x) === hostOf(s), 'back');
    assert.equal(p.status, 'PAUSED');
    assert.equal(p['OS-EXT-STS:power_state'], 3);
  });

  it('evacuate after the compute died: rebuilt on the other host, migration done then completed when it returns', async () => {
    const s = await boot('mp-ev');
    const src = hostOf(s);
    const early = await act(s.id, { evacuate: { onSharedStorage: false } });
    assert.equal(early.status, 400);
    await procs.get(src)!.stop('SIGKILL');
    await waitFor(async () => {
      const svc = (await req('GET', `/v2.1/os-services?host=${src}`)).body.services[0];
      return svc?.state === 'down';
    }, 20_000, `${src} down`);
    const r = await act(s.id, { evacuate: { onSharedStorage: false } });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.body.adminPass, 'string');
    const e = await waitServer(s.id, (x) => x['OS-EXT-STS:task_state'] === null && hostOf(x) === other(src), 'evacuated');
    assert.equal(e.status, 'ACTIVE');
    let [m] = (await req('GET', `/v2.1/os-migrations?instance_uuid=${s.id}`)).body.migrations;
    assert.equal(m.status, 'done');
    assert.equal(m.source_compute, src);
    assert.equal(m.dest_compute, other(src));
    start(src, ['--role=compute', '--host', src]);
    await waitFor(async () => ([m] = (await req('GET', `/v2.1/os-migrations?instance_uuid=${s.id}`)).body.migrations, m.status === 'completed'), 30_000, 'completed');
  });
});
