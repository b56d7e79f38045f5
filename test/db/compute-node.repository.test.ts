import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Invalid, NotFound } from '../../src/common/errors';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { ComputeNodeRepository } from '../../src/db/repositories/compute-node.repository';
import { ServiceRepository } from '../../src/db/repositories/service.repository';
import { ComputeNodeReport } from '../../src/objects/compute-node.object';
import { createTestDatabases, ENGINES, TestDatabases } from '../utils/databases';

function report(host: string, node: string, extra: Partial<ComputeNodeReport> = {}): ComputeNodeReport {
  return {
    host, hypervisor_hostname: node, hypervisor_type: 'QEMU', hypervisor_version: 8002000,
    vcpus: 8, memory_mb: 16384, local_gb: 100, vcpus_used: 1, memory_mb_used: 2560, local_gb_used: 10,
    free_ram_mb: 13824, free_disk_gb: 90, disk_available_least: 80, current_workload: 0, running_vms: 1,
    host_ip: '192.0.2.10', cpu_info: { arch: 'x86_64', model: 'Haswell', topology: { sockets: 1, cores: 4, threads: 2 } },
    stats: { num_instances: '1' }, supported_instances: [['x86_64', 'qemu', 'hvm']],
    cpu_allocation_ratio: 4.0, ram_allocation_ratio: 1.0, disk_allocation_ratio: 1.0, ...extra,
  };
}

for (const engine of ENGINES) {
  describe(`compute nodes on ${engine}`, () => {
    let dbs: TestDatabases;
    let ds: DataSource;
    let repo: ComputeNodeRepository;

    before(async () => {
      dbs = await createTestDatabases(engine);
      ds = await openDataSource('main', parseConnectionUrl(dbs.main));
      await syncSchema(ds);
      repo = new ComputeNodeRepository(ds);
    });
    after(async () => {
      await ds.destroy();
      await dbs.drop();
    });

    it('upsert creates the node once, then updates it in place', async () => {
      const first = await repo.upsert(report('up1', 'up1.example'));
      assert.match(first.uuid, /^[0-9a-f-]{36}$/);
      assert.deepEqual(first.cpu_info, { arch: 'x86_64', model: 'Haswell', topology: { sockets: 1, cores: 4, threads: 2 } });
      assert.deepEqual(first.stats, { num_instances: '1' });
      assert.deepEqual(first.supported_instances, [['x86_64', 'qemu', 'hvm']]);
      assert.equal(first.hypervisor_version, 8002000);
      assert.equal(first.cpu_allocation_ratio, 4);
      assert.equal(first.updated_at, null);
      const again = await repo.upsert(report('up1', 'up1.example', { vcpus_used: 3, running_vms: 3, cpu_info: '{"arch": "aarch64"}' }));
      assert.equal(again.id, first.id);
      assert.equal(again.uuid, first.uuid);
      assert.equal(again.vcpus_used, 3);
      assert.equal(again.running_vms, 3);
      assert.deepEqual(again.cpu_info, { arch: 'aarch64' });
      assert.ok(again.updated_at);
      assert.deepEqual(await repo.getByUuid(first.uuid), again);
      assert.deepEqual(await repo.getByHostAndNode('up1', 'up1.example'), again);
      const given = randomUUID();
      assert.equal((await repo.upsert(report('up1', 'up1-b.example', { uuid: given, cpu_info: null }))).uuid, given);
      assert.deepEqual((await repo.getByUuid(given)).cpu_info, {});
      assert.deepEqual((await repo.listByHost('up1')).map((n) => n.hypervisor_hostname), ['up1.example', 'up1-b.example']);
    });

    it('concurrent first reports of one node end with one row', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => repo.upsert(report('race', 'race.example', { running_vms: i }))));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      assert.equal(new Set(results.map((r) => r.uuid)).size, 1);
      assert.equal((await repo.listByHost('race')).length, 1);
    });

    it('get and getByUuid report Nova\'s not-found message', async () => {
      await assert.rejects(repo.get(987654), (e: unknown) => e instanceof NotFound && e.message === 'Compute host 987654 could not be found.');
      const u = randomUUID();
      await assert.rejects(repo.getByUuid(u), (e: unknown) => e instanceof NotFound && e.message === `Compute host ${u} could not be found.`);
    });

    it('lists by id with limit, uuid or id markers, and a hostname pattern', async () => {
      const nodes = [];
      for (const n of ['pa', 'pb', 'pc', 'pd']) nodes.push(await repo.upsert(report('pager', `${n}.pager.example`)));
      const all = await repo.list();
      const ids = all.map((n) => n.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      const page = (await repo.list({ marker: nodes[0].uuid, limit: 2 })).map((n) => n.uuid);
      assert.deepEqual(page, [nodes[1].uuid, nodes[2].uuid]);
      assert.deepEqual((await repo.list({ marker: nodes[2].id, limit: 1 })).map((n) => n.uuid), [nodes[3].uuid]);
      assert.deepEqual((await repo.list({ marker: String(nodes[2].id), limit: 1 })).map((n) => n.uuid), [nodes[3].uuid]);
      assert.deepEqual(await repo.list({ marker: nodes[3].uuid }), []);
      const bad = randomUUID();
      await assert.rejects(repo.list({ marker: bad }), (e: unknown) => e instanceof Invalid && e.message === `marker [${bad}] not found`);
      assert.deepEqual((await repo.list({ hostnamePattern: 'pager' })).map((n) => n.uuid), nodes.map((n) => n.uuid));
      assert.deepEqual((await repo.list({ hostnamePattern: 'pc.pager' })).map((n) => n.uuid), [nodes[2].uuid]);
      assert.deepEqual(await repo.list({ hostnamePattern: 'no-such-node' }), []);
    });

    it('statistics sum the nodes of enabled, live nova-compute services', async () => {
      const services = new ServiceRepository(ds);
      const enabled = await services.register({ host: 'st1', binary: 'nova-compute', topic: 'compute', version: 1 });
      const disabled = await services.register({ host: 'st2', binary: 'nova-compute', topic: 'compute', version: 1 });
      await services.setDisabled(disabled.id, true, 'maintenance');
      await services.register({ host: 'st3', binary: 'nova-conductor', topic: 'conductor', version: 1 });
      const before = await repo.statistics();
      await repo.upsert(report('st1', 'st1a', { service_id: enabled.id }));
      await repo.upsert(report('st1', 'st1b', { service_id: enabled.id, vcpus: 4, running_vms: 2, disk_available_least: null }));
      await repo.upsert(report('st2', 'st2a', { service_id: disabled.id }));
      await repo.upsert(report('st3', 'st3a'));
      const after = await repo.statistics();
      assert.equal(after.count - before.count, 2);
      assert.equal(after.vcpus - before.vcpus, 12);
      assert.equal(after.memory_mb - before.memory_mb, 32768);
      assert.equal(after.running_vms - before.running_vms, 3);
      assert.equal(after.disk_available_least - before.disk_available_least, 80);
      for (const v of Object.values(after)) assert.equal(typeof v, 'number');
    });

    it('soft delete by host hides its nodes; a later report creates a new node or revives a known uuid', async () => {
      const n = await repo.upsert(report('gone', 'gone.example'));
      const m = await repo.upsert(report('gone', 'gone2.example'));
      assert.equal(await repo.softDeleteByHost('gone'), 2);
      assert.equal(await repo.softDeleteByHost('gone'), 0);
      await assert.rejects(repo.get(n.id), NotFound);
      assert.deepEqual(await repo.listByHost('gone'), []);
      assert.ok(!(await repo.list()).some((x) => x.host === 'gone'));
      const fresh = await repo.upsert(report('gone', 'gone.example'));
      assert.notEqual(fresh.id, n.id);
      assert.notEqual(fresh.uuid, n.uuid);
      const revived = await repo.upsert(report('gone', 'gone2.example', { uuid: m.uuid, vcpus: 2 }));
      assert.equal(revived.id, m.id);
      assert.equal(revived.vcpus, 2);
    });
  });
}
