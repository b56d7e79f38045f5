/**
 * A small multi-host cloud, one process per role, on MariaDB + RabbitMQ: 200 boots at
 * concurrency 20 across five small fake hosts (no host overbooked, every server ACTIVE or a
 * clear no-valid-host fault, builds that fail on one host rescheduled elsewhere), server group
 * affinity and anti-affinity, and a compute killed mid-build leaving nothing in BUILD.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cloudConfLines } from '../utils/cloud';
import { createTestDatabases, TestDatabases } from '../utils/databases';
import { NovaProcess, runNova, waitFor, writeConf } from '../utils/nova-process';

const HOST_VCPUS = 8;
const HOSTS = ['scl1', 'scl2', 'scl3', 'scl4', 'scl5'];
/** Every spawn on this host fails: its builds must be rescheduled. */
const BROKEN_HOST = 'scl5';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('multi-host scheduling on MariaDB + RabbitMQ (one process per role)', () => {
  let dbs: TestDatabases;
  let conf: string;
  let api: NovaProcess;
  let url: string;
  let image: string;
  let flavor: string;
  const procs: NovaProcess[] = [];
  const start = (args: string[], confs: string[] = [conf]) => {
    const p = new NovaProcess([...args, ...confs.flatMap((c) => ['--config-file', c])]);
    procs.push(p);
    return p;
  };

  const request = async (method: string, path: string, body?: unknown, token = 'admin:admin'): Promise<{ status: number; body: Json; text: string }> => {
    const res = await fetch(url + path, {
      method,
      headers: { 'X-Auth-Token': token, Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
  };

  const allServers = async (): Promise<Json[]> => (await request('GET', '/v2.1/servers/detail?all_tenants=1&limit=1000')).body.servers;

  const settled = (s: Json) => s.status === 'ACTIVE' || s.status === 'ERROR';

  before(async () => {
    dbs = await createTestDatabases('mysql');
    conf = writeConf(dbs.statePath, 'nova.conf', [
      ...cloudConfLines('mysql', dbs, 'nova_scale', [
        'report_interval = 1',
        'service_down_time = 6',
        'cpu_allocation_ratio = 1.0',
        'ram_allocation_ratio = 1.0',
        'reserved_host_memory_mb = 0',
      ]),
      '[quota]',
      'instances = -1',
      'cores = -1',
      'ram = -1',
      '[fake_driver]',
      `vcpus = ${HOST_VCPUS}`,
      'memory_mb = 65536',
      'local_gb = 1000',
      `fail_spawn_on_hosts = ${BROKEN_HOST}`,
      '',
    ].join('\n'));
    const sync = runNova(['db', 'sync', '--config-file', conf]);
    assert.equal(sync.code, 0, sync.stderr);
    start(['--role=conductor,scheduler', '--host', 'sclctl']);
    for (const h of HOSTS) start(['--role=compute', '--host', h]);
    api = start(['--role=api', '--host', 'sclctl']);
    await api.waitForOutput(/built-in image service listening on 127\.0\.0\.1:(\d+)/, 60_000);
    url = `http://127.0.0.1:${/Compute API listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(api.output)![1]}`;
    const imageUrl = `http://127.0.0.1:${/built-in image service listening on 127\.0\.0\.1:(\d+)/.exec(api.output)![1]}`;
    await waitFor(async () => {
      const r = await request('GET', '/v2.1/os-hypervisors');
      return r.status === 200 && r.body.hypervisors.length === HOSTS.length;
    }, 60_000, 'five hypervisors');

    const headers = { 'X-Auth-Token': 'admin:admin', 'Content-Type': 'application/json' };
    const img = await fetch(`${imageUrl}/v2/images`, { method: 'POST', headers, body: JSON.stringify({ name: 'img', disk_format: 'raw', container_format: 'bare', visibility: 'public' }) });
    image = ((await img.json()) as { id: string }).id;
    const up = await fetch(`${imageUrl}/v2/images/${image}/file`, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/octet-stream' }, body: Buffer.from('x') });
    assert.equal(up.status, 204);
    const f = await request('POST', '/v2.1/flavors', { flavor: { name: 'one', ram: 256, vcpus: 1, disk: 1, id: null } });
    flavor = f.body.flavor.id;
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL').catch(() => undefined)));
    await dbs?.drop();
  });

  it('boots 200 servers at concurrency 20: no host overbooked, the rest fail with a clear fault', async () => {
    const ids: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < 200) {
        const i = next++;
        const r = await request('POST', '/v2.1/servers', { server: { name: `s${i}`, imageRef: image, flavorRef: flavor } }, `user:scale`);
        assert.equal(r.status, 202, r.text);
        ids.push(r.body.server.id);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    try {
      await checkPlacements(ids);
    } finally {
      // Free the capacity for the next tests.
      for (const id of ids) await request('DELETE', `/v2.1/servers/${id}`);
      await waitFor(async () => (await allServers()).filter((s) => ids.includes(s.id)).length === 0, 60_000, 'all deleted');
    }
  });
  const checkPlacements = async (ids: string[]) => {
    await waitFor(async () => (await allServers()).filter((s) => ids.includes(s.id)).every(settled), 120_000, 'all 200 servers settled');
    const servers = (await allServers()).filter((s) => ids.includes(s.id));
    assert.equal(servers.length, 200);
    const perHost = new Map<string, number>();
    for (const s of servers) {
      if (s.status === 'ACTIVE') {
        const host = s['OS-EXT-SRV-ATTR:host'] as string;
        perHost.set(host, (perHost.get(host) ?? 0) + 1);
      } else {
        assert.match(s.fault?.message ?? '', /No valid host was found|Exceeded maximum number of retries/, JSON.stringify(s));
      }
    }
    const healthy = HOSTS.filter((h) => h !== BROKEN_HOST);
    for (const [host, count] of perHost) {
      assert.ok(healthy.includes(host), `a server is ACTIVE on ${host}`);
      assert.ok(count <= HOST_VCPUS, `${host} overbooked: ${count} servers for ${HOST_VCPUS} vCPUs`);
    }
    // Every healthy host filled up: the capacity was used, not just not exceeded.
    assert.equal([...perHost.values()].reduce((a, b) => a + b, 0), healthy.length * HOST_VCPUS);
    // The hypervisors API agrees with the placements once the computes have reported.
    let hyp: Json[] = [];
    await waitFor(async () => {
      hyp = (await request('GET', '/v2.1/os-hypervisors/detail')).body.hypervisors;
      return hyp.every((h) => h.vcpus_used === (perHost.get(h.hypervisor_hostname) ?? 0));
    }, 15_000, 'hypervisors report the placements').catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(hyp.map((h) => [h.hypervisor_hostname, h.vcpus_used]))} vs ${JSON.stringify([...perHost])}`);
    });
    assert.equal(hyp.reduce((a, h) => a + h.running_vms, 0), healthy.length * HOST_VCPUS);
  };

  it('places anti-affinity members on distinct hosts and affinity members together', async () => {
    // Affinity members cannot be rescheduled away from their group's host: keep the broken host out.
    const disabled = await request('PUT', '/v2.1/os-services/disable', { host: BROKEN_HOST, binary: 'nova-compute' });
    assert.equal(disabled.status, 200, disabled.text);
    const anti = await request('POST', '/v2.1/os-server-groups', { server_group: { name: 'anti', policies: ['anti-affinity'] } });
    const aff = await request('POST', '/v2.1/os-server-groups', { server_group: { name: 'aff', policies: ['affinity'] } });
    const bootIn = async (group: string, n: number) => {
      const r = await request('POST', '/v2.1/servers', { server: { name: 'g', imageRef: image, flavorRef: flavor, min_count: n, max_count: n, return_reservation_id: true }, 'os:scheduler_hints': { group } });
      assert.equal(r.status, 202, r.text);
      const resId = r.body.reservation_id;
      await waitFor(async () => (await allServers()).filter((s) => s['OS-EXT-SRV-ATTR:reservation_id'] === resId || s.name.startsWith('g-')).length >= n, 20_000, 'listed');
      let servers: Json[] = [];
      await waitFor(async () => {
        servers = (await request('GET', `/v2.1/servers/detail?reservation_id=${resId}`)).body.servers;
        return servers.length === n && servers.every(settled);
      }, 30_000, 'group members settled');
      return servers;
    };
    const antiMembers = await bootIn(anti.body.server_group.id, 3);
    assert.ok(antiMembers.every((s) => s.status === 'ACTIVE'), JSON.stringify(antiMembers.map((s) => s.fault)));
    assert.equal(new Set(antiMembers.map((s) => s['OS-EXT-SRV-ATTR:host'])).size, 3);
    const affMembers = await bootIn(aff.body.server_group.id, 3);
    assert.ok(affMembers.every((s) => s.status === 'ACTIVE'), JSON.stringify(affMembers.map((s) => s.fault)));
    assert.equal(new Set(affMembers.map((s) => s['OS-EXT-SRV-ATTR:host'])).size, 1);
    const group = await request('GET', `/v2.1/os-server-groups/${anti.body.server_group.id}`);
    assert.equal(group.body.server_group.members.length, 3);
    assert.ok(![...antiMembers, ...affMembers].some((s) => s['OS-EXT-SRV-ATTR:host'] === BROKEN_HOST), 'nothing on the disabled host');
    await request('PUT', '/v2.1/os-services/enable', { host: BROKEN_HOST, binary: 'nova-compute' });
  });

  it('leaves no server in BUILD when its compute is killed mid-build and restarted', async () => {
    const slowConf = writeConf(dbs.statePath, 'slow.conf', '[fake_driver]\nspawn_delay_ms = 30000\n');
    const slow = start(['--role=compute', '--host', 'sclslow'], [conf, slowConf]);
    await waitFor(async () => (await request('GET', '/v2.1/os-hypervisors')).body.hypervisors.some((h: Json) => h.hypervisor_hostname === 'sclslow'), 30_000, 'slow host up');
    const r = await request('POST', '/v2.1/servers', { server: { name: 'interrupted', imageRef: image, flavorRef: flavor, availability_zone: 'nova:sclslow' } });
    assert.equal(r.status, 202, r.text);
    const id = r.body.server.id;
    await waitFor(async () => (await request('GET', `/v2.1/servers/${id}`)).body.server['OS-EXT-STS:task_state'] === 'spawning', 20_000, 'spawning');
    await slow.stop('SIGKILL');
    start(['--role=compute', '--host', 'sclslow'], [conf, slowConf]);
    let s: Json;
    await waitFor(async () => {
      s = (await request('GET', `/v2.1/servers/${id}`)).body.server;
      return s.status !== 'BUILD';
    }, 30_000, 'out of BUILD after the restart');
    assert.equal(s.status, 'ERROR');
    assert.equal(s['OS-EXT-STS:task_state'], null);
    assert.match(s.fault.message, /restarted while the instance was being built/);
  });
});
