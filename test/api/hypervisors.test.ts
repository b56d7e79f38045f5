import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { hypervisorView, HypervisorViewInput } from '../../src/api/views/hypervisor.view';
import { openDataSource, resolveDbTarget } from '../../src/db/data-source';
import { ComputeNodeRepository } from '../../src/db/repositories/compute-node.repository';
import type { ComputeNodeRecord } from '../../src/objects/compute-node.object';
import type { ServiceRecord } from '../../src/objects/service.object';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';
import { waitFor } from '../utils/nova-process';

const INDEX_KEYS = ['hypervisor_hostname', 'id', 'state', 'status'];
const DETAIL_KEYS_21 = [
  ...INDEX_KEYS, 'hypervisor_type', 'hypervisor_version', 'host_ip', 'service', 'vcpus', 'memory_mb', 'local_gb', 'vcpus_used',
  'memory_mb_used', 'local_gb_used', 'free_ram_mb', 'free_disk_gb', 'current_workload', 'running_vms', 'disk_available_least', 'cpu_info',
].sort();
const STAT_KEYS = [
  'count', 'vcpus', 'memory_mb', 'local_gb', 'vcpus_used', 'memory_mb_used', 'local_gb_used', 'free_ram_mb', 'free_disk_gb',
  'current_workload', 'running_vms', 'disk_available_least',
];

const node: ComputeNodeRecord = {
  id: 3, uuid: '5b1a2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', service_id: 9, host: 'h1', hypervisor_hostname: 'h1.example', hypervisor_type: 'QEMU',
  hypervisor_version: 8002000, vcpus: 8, memory_mb: 16384, local_gb: 100, vcpus_used: 2, memory_mb_used: 4096, local_gb_used: 20,
  free_ram_mb: 12288, free_disk_gb: 80, disk_available_least: 70, current_workload: 0, running_vms: 2, host_ip: '192.0.2.7',
  cpu_info: { arch: 'x86_64', topology: { cores: 4, threads: 2 } }, stats: {}, supported_instances: [],
  cpu_allocation_ratio: 4, ram_allocation_ratio: 1, disk_allocation_ratio: 1, created_at: null, updated_at: null,
};
const service: ServiceRecord = {
  id: 9, uuid: '0a1b2c3d-0000-4000-8000-000000000009', host: 'h1', binary: 'nova-compute', topic: 'compute', report_count: 1,
  disabled: false, disabled_reason: null, forced_down: false, version: 1, last_seen_up: null, created_at: null, updated_at: null,
};
const v = (minor: number) => ({ major: 2, minor });
const input = (extra: Partial<HypervisorViewInput> = {}): HypervisorViewInput => ({ node, service, up: true, ...extra });

describe('hypervisor view per microversion', () => {
  it('2.1 index item: integer id, hostname, state from liveness, status from the service', () => {
    assert.deepEqual(hypervisorView(v(1), input(), false), { id: 3, hypervisor_hostname: 'h1.example', state: 'up', status: 'enabled' });
    const down = hypervisorView(v(1), input({ up: false, service: { ...service, disabled: true, disabled_reason: 'rma' } }), false);
    assert.equal(down.state, 'down');
    assert.equal(down.status, 'disabled');
  });

  it('2.1 detail: resources, the service and cpu_info as the JSON text Python wrote', () => {
    const d = hypervisorView(v(1), input({ service: { ...service, disabled: true, disabled_reason: 'rma' } }), true);
    assert.deepEqual(Object.keys(d).sort(), DETAIL_KEYS_21);
    assert.deepEqual(d.service, { id: 9, host: 'h1', disabled_reason: 'rma' });
    assert.equal(d.cpu_info, '{"arch": "x86_64", "topology": {"cores": 4, "threads": 2}}');
    assert.equal(d.hypervisor_version, 8002000);
    assert.equal(d.free_disk_gb, 80);
  });

  it('2.28 cpu_info is an object; 2.53 ids are uuids', () => {
    assert.deepEqual(hypervisorView(v(28), input(), true).cpu_info, node.cpu_info);
    const d = hypervisorView(v(53), input(), true);
    assert.equal(d.id, node.uuid);
    assert.deepEqual(d.service, { id: service.uuid, host: 'h1', disabled_reason: null });
  });

  it('servers: listed when there are some; an empty list only from 2.75 when asked for', () => {
    const servers = [{ name: 'vm1', uuid: '11111111-2222-4333-8444-555555555555' }];
    assert.deepEqual(hypervisorView(v(53), input({ servers, withServers: true }), false).servers, servers);
    assert.equal('servers' in hypervisorView(v(53), input({ servers: [], withServers: true }), false), false);
    assert.deepEqual(hypervisorView(v(75), input({ servers: [], withServers: true }), false).servers, []);
    assert.equal('servers' in hypervisorView(v(75), input(), false), false);
  });

  it('2.88 detail drops the resource fields and adds uptime (from stats when the node reports it)', () => {
    const d = hypervisorView(v(88), input(), true);
    assert.deepEqual(Object.keys(d).sort(), [...INDEX_KEYS, 'host_ip', 'hypervisor_type', 'hypervisor_version', 'service', 'uptime'].sort());
    assert.equal(d.uptime, null);
    const up = ' 10:00:00 up 3 days,  1 user,  load average: 0.1, 0.2, 0.3';
    assert.equal(hypervisorView(v(88), input({ node: { ...node, stats: { uptime: up } } }), true).uptime, up);
    assert.equal('uptime' in hypervisorView(v(88), input(), false), false);
  });
});

/** The main database the cloud uses, from its nova.conf. */
function mainDbTarget(confPath: string) {
  const text = readFileSync(confPath, 'utf8');
  const statePath = /^state_path\s*=\s*(.+)$/m.exec(text)![1].trim();
  const section = /^\[database\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(text)?.[1] ?? '';
  const connection = /^connection\s*=\s*(.+)$/m.exec(section)?.[1].trim();
  return resolveDbTarget('main', { connection, statePath });
}

const FAKE_CPU_INFO = { arch: 'x86_64', model: 'fake', vendor: 'nova-ts', topology: { cells: 1, sockets: 1, cores: 4, threads: 1 }, features: [] };

for (const backend of BACKENDS) {
  describe(`os-hypervisors (${backend})`, () => {
    let cloud: Cloud;
    let ds: DataSource | undefined;
    let computeServiceId: number;
    before(async () => {
      cloud = await startCloud(backend, '[fake_driver]\nvcpus = 4\nmemory_mb = 8192\nlocal_gb = 50\n');
      // The compute reports its node through the conductor once it has started.
      await waitFor(async () => (await cloud.request('GET', '/v2.1/os-hypervisors')).body?.hypervisors?.length === 1, 30_000, 'the compute node')
        .catch((err: Error) => Promise.reject(new Error(`${err.message}; nova output:\n${cloud.output.split('\n').slice(-40).join('\n')}`)));
      computeServiceId = (await cloud.request('GET', '/v2.1/os-services?binary=nova-compute')).body.services[0].id;
    });
    after(async () => {
      await ds?.destroy();
      await cloud?.stop();
    });

    const get = (path: string, token?: string) => cloud.request('GET', `/v2.1${path}`, { token });
    function assertFault(r: { status: number; body: unknown; text: string }, status: number, message: string) {
      const name = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound' }[status]!;
      assert.equal(r.status, status, r.text);
      assert.deepEqual(r.body, { [name]: { code: status, message } });
    }

    it("lists the compute's node with the 2.1 index keys; detail and show add resources and the service", async () => {
      const list = await get('/os-hypervisors');
      assert.equal(list.status, 200);
      const [h] = list.body.hypervisors;
      assert.deepEqual(h, { id: h.id, hypervisor_hostname: 'functest', state: 'up', status: 'enabled' });
      assert.equal(typeof h.id, 'number');
      assert.equal('hypervisors_links' in list.body, false, 'no paging links before 2.33');

      const detail = await get('/os-hypervisors/detail');
      assert.equal(detail.status, 200);
      const [d] = detail.body.hypervisors;
      assert.deepEqual(Object.keys(d).sort(), DETAIL_KEYS_21);
      const { cpu_info: cpuInfo, host_ip: hostIp, ...rest } = d;
      assert.deepEqual(rest, {
        id: h.id, hypervisor_hostname: 'functest', state: 'up', status: 'enabled', hypervisor_type: 'fake', hypervisor_version: 1000,
        service: { id: computeServiceId, host: 'functest', disabled_reason: null },
        vcpus: 4, memory_mb: 8192, local_gb: 50, vcpus_used: 0, memory_mb_used: 512, local_gb_used: 0, free_ram_mb: 7680, free_disk_gb: 50,
        current_workload: 0, running_vms: 0, disk_available_least: 50,
      });
      assert.equal(typeof hostIp, 'string');
      assert.equal(typeof cpuInfo, 'string', 'cpu_info is JSON text before 2.28');
      assert.deepEqual(JSON.parse(cpuInfo), FAKE_CPU_INFO);
      assert.ok(cpuInfo.startsWith('{"arch": "x86_64", '), `Python's separators: ${cpuInfo}`);

      const shown = await get(`/os-hypervisors/${h.id}`);
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body, { hypervisor: d });

      const stats = await get('/os-hypervisors/statistics');
      assert.equal(stats.status, 200);
      assert.deepEqual(stats.body, {
        hypervisor_statistics: {
          count: 1, vcpus: 4, memory_mb: 8192, local_gb: 50, vcpus_used: 0, memory_mb_used: 512, local_gb_used: 0, free_ram_mb: 7680,
          free_disk_gb: 50, current_workload: 0, running_vms: 0, disk_available_least: 50,
        },
      });
      assert.deepEqual(Object.keys(stats.body.hypervisor_statistics), STAT_KEYS);
    });

    it('search and servers (before 2.53) match a hostname substring; uptime shows the index item plus uptime', async () => {
      const list = (await get('/os-hypervisors')).body;
      const search = await get('/os-hypervisors/unctes/search');
      assert.equal(search.status, 200);
      assert.deepEqual(search.body, list);
      const servers = await get('/os-hypervisors/functest/servers');
      assert.equal(servers.status, 200);
      assert.deepEqual(servers.body, list, 'no servers key while the host has none');
      const id = list.hypervisors[0].id;
      const uptime = await get(`/os-hypervisors/${id}/uptime`);
      assert.equal(uptime.status, 200);
      assert.deepEqual(Object.keys(uptime.body.hypervisor).sort(), [...INDEX_KEYS, 'uptime'].sort());
      assert.equal(uptime.body.hypervisor.id, id);
      assert.match(uptime.body.hypervisor.uptime, /^ \d\d:\d\d:\d\d up .*load average: /, 'the compute host answers over RPC with an uptime line');
    });

    it("404s carry Nova's messages", async () => {
      assertFault(await get('/os-hypervisors/987654'), 404, "Hypervisor with ID '987654' could not be found.");
      assertFault(await get('/os-hypervisors/abc'), 404, "Hypervisor with ID 'abc' could not be found.");
      assertFault(await get('/os-hypervisors/987654/uptime'), 404, "Hypervisor with ID '987654' could not be found.");
      assertFault(await get('/os-hypervisors/nomatch/search'), 404, "No hypervisor matching 'nomatch' could be found.");
      assertFault(await get('/os-hypervisors/nomatch/servers'), 404, "No hypervisor matching 'nomatch' could be found.");
    });

    it('every call is admin only', async () => {
      const calls: Array<[string, string]> = [
        ['/os-hypervisors', 'list'], ['/os-hypervisors/detail', 'list-detail'], ['/os-hypervisors/1', 'show'],
        ['/os-hypervisors/statistics', 'statistics'], ['/os-hypervisors/1/uptime', 'uptime'],
        ['/os-hypervisors/functest/search', 'search'], ['/os-hypervisors/functest/servers', 'servers'],
      ];
      for (const [path, rule] of calls) {
        assertFault(await get(path, 'dora:pd'), 403, `Policy doesn't allow os_compute_api:os-hypervisors:${rule} to be performed.`);
      }
    });

    it('a node whose compute service is gone is neither listed nor shown', async () => {
      ds = await openDataSource('main', mainDbTarget(cloud.confPath), 1);
      const ghost = await new ComputeNodeRepository(ds).upsert({
        host: 'ghosthost', hypervisor_hostname: 'ghosthost', hypervisor_type: 'fake', hypervisor_version: 1000, vcpus: 2, memory_mb: 1024, local_gb: 10,
      });
      const names = (await get('/os-hypervisors')).body.hypervisors.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname);
      assert.deepEqual(names, ['functest']);
      assert.equal((await get('/os-hypervisors/detail')).body.hypervisors.length, 1);
      assertFault(await get(`/os-hypervisors/${ghost.id}`), 404, `Hypervisor with ID '${ghost.id}' could not be found.`);
      // The pattern matches a node, so no 404: the node is skipped and the list is empty (as in Nova).
      const search = await get('/os-hypervisors/ghost/search');
      assert.equal(search.status, 200);
      assert.deepEqual(search.body, { hypervisors: [] });
    });

    it("the service's status and reason show on the hypervisor; disabled hosts leave the statistics", async () => {
      const off = await cloud.request('PUT', '/v2.1/os-services/disable-log-reason', {
        body: { host: 'functest', binary: 'nova-compute', disabled_reason: 'firmware' },
      });
      assert.equal(off.status, 200, off.text);
      const [h] = (await get('/os-hypervisors/detail')).body.hypervisors;
      assert.equal(h.status, 'disabled');
      assert.equal(h.state, 'up');
      assert.equal(h.service.disabled_reason, 'firmware');
      assert.equal((await get('/os-hypervisors/statistics')).body.hypervisor_statistics.count, 0);
      await cloud.request('PUT', '/v2.1/os-services/enable', { body: { host: 'functest', binary: 'nova-compute' } });
      const [back] = (await get('/os-hypervisors/detail')).body.hypervisors;
      assert.equal(back.status, 'enabled');
      assert.equal(back.service.disabled_reason, null);
    });
  });
}
