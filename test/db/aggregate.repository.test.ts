import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { Conflict, Invalid, NotFound, NovaError } from '../../src/common/errors';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { AggregateChecks, AggregateRepository } from '../../src/db/repositories/aggregate.repository';
import { createTestDatabases, ENGINES, TestDatabases } from '../utils/databases';

/** Asserts the promise rejects with exactly this error class and message. */
async function rejectsWith(p: Promise<unknown>, cls: new (m: string) => NovaError, message: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

const computes = new Set(['h1', 'h2', 'h3', 'busy', 'race', 'gone']);
const known: AggregateChecks = { hostExists: async (h) => computes.has(h) };

for (const engine of ENGINES) {
  describe(`aggregates on ${engine}`, () => {
    let dbs: TestDatabases;
    let ds: DataSource;
    let repo: AggregateRepository;

    before(async () => {
      dbs = await createTestDatabases(engine);
      ds = await openDataSource('api', parseConnectionUrl(dbs.api));
      await syncSchema(ds);
      repo = new AggregateRepository(ds);
    });
    after(async () => {
      await ds.destroy();
      await dbs.drop();
    });

    it('creates aggregates with a zone from metadata; names are unique', async () => {
      const a = await repo.create('agg-create', 'az-c');
      assert.equal(a.name, 'agg-create');
      assert.equal(a.availability_zone, 'az-c');
      assert.deepEqual(a.metadata, { availability_zone: 'az-c' });
      assert.deepEqual(a.hosts, []);
      assert.equal(a.deleted, false);
      assert.equal(a.deleted_at, null);
      assert.match(a.uuid, /^[0-9a-f-]{36}$/);
      assert.ok(a.created_at && Math.abs(Date.parse(a.created_at) - Date.now()) < 5_000);
      const plain = await repo.create('agg-plain');
      assert.equal(plain.availability_zone, null);
      assert.deepEqual(plain.metadata, {});
      assert.deepEqual(await repo.getByUuid(a.uuid), a);
      const names = (await repo.list()).map((x) => x.name);
      assert.ok(names.indexOf('agg-create') < names.indexOf('agg-plain'));
      await rejectsWith(repo.create('agg-create'), Conflict, 'Aggregate agg-create already exists.');
      await rejectsWith(repo.get(99999), NotFound, 'Aggregate 99999 could not be found.');
    });

    it('updates name and zone; a taken name is a conflict and an empty zone is refused', async () => {
      const a = await repo.create('agg-upd');
      await repo.create('agg-taken');
      const renamed = await repo.update(a.id, { name: 'agg-upd2', availability_zone: 'az-u' });
      assert.equal(renamed.name, 'agg-upd2');
      assert.equal(renamed.availability_zone, 'az-u');
      assert.ok(renamed.updated_at);
      await rejectsWith(repo.update(a.id, { name: 'agg-taken' }), Conflict, 'Aggregate agg-taken already exists.');
      await rejectsWith(repo.update(a.id, { availability_zone: null }), Invalid,
        `Cannot update aggregate ${a.id}. Reason: Aggregate agg-upd2 does not support empty named availability zone.`);
      await rejectsWith(repo.update(424242, { name: 'x' }), NotFound, 'Aggregate 424242 could not be found.');
      assert.equal((await repo.get(a.id)).name, 'agg-upd2');
    });

    it('sets metadata: merges, null deletes, case-variant keys refused', async () => {
      const a = await repo.create('agg-meta', 'az-m');
      const m = await repo.setMetadata(a.id, { foo: 'bar', ssd: 'true' });
      assert.deepEqual(m.metadata, { availability_zone: 'az-m', foo: 'bar', ssd: 'true' });
      const m2 = await repo.setMetadata(a.id, { foo: null, ssd: 'false', missing: null });
      assert.deepEqual(m2.metadata, { availability_zone: 'az-m', ssd: 'false' });
      await rejectsWith(repo.setMetadata(a.id, { SSD: 'x' }), Invalid, `Aggregate ${a.id} already contain metadata key ssd.`);
      await rejectsWith(repo.setMetadata(a.id, { availability_zone: null }), Invalid,
        `Cannot update metadata of aggregate ${a.id}. Reason: Aggregate agg-meta does not support empty named availability zone.`);
      assert.equal((await repo.setMetadata(a.id, { availability_zone: 'az-m2' })).availability_zone, 'az-m2');
    });

    it('adds and removes hosts with Nova\'s errors', async () => {
      const a = await repo.create('agg-hosts');
      await rejectsWith(repo.addHost(a.id, 'nohost', known), NotFound, 'Compute host nohost could not be found.');
      assert.deepEqual((await repo.addHost(a.id, 'h1', known)).hosts, ['h1']);
      assert.deepEqual((await repo.addHost(a.id, 'h2', known)).hosts, ['h1', 'h2']);
      await rejectsWith(repo.addHost(a.id, 'h1', known), Conflict, `Aggregate ${a.id} already has host h1.`);
      await rejectsWith(repo.addHost(31337, 'h1', known), NotFound, 'Aggregate 31337 could not be found.');
      await rejectsWith(repo.removeHost(a.id, 'h3', known), NotFound, `Cannot remove host h3 in aggregate ${a.id}`);
      await rejectsWith(repo.removeHost(a.id, 'nohost', known), NotFound, `Cannot remove host nohost in aggregate ${a.id}`);
      await rejectsWith(repo.removeHost(31337, 'h1'), NotFound, 'Cannot remove host h1 in aggregate 31337');
      assert.deepEqual((await repo.removeHost(a.id, 'h1', known)).hosts, ['h2']);
      assert.deepEqual((await repo.listForHost('h2')).map((x) => x.id), [a.id]);
      await repo.removeHost(a.id, 'h2');
    });

    it('refuses to delete a non-empty aggregate; delete removes its metadata', async () => {
      const a = await repo.create('agg-del', 'az-d');
      await repo.addHost(a.id, 'h3');
      await rejectsWith(repo.delete(a.id), Invalid, `Cannot remove host from aggregate ${a.id}. Reason: Host aggregate is not empty.`);
      await repo.removeHost(a.id, 'h3');
      await repo.delete(a.id);
      await rejectsWith(repo.get(a.id), NotFound, `Aggregate ${a.id} could not be found.`);
      await rejectsWith(repo.delete(a.id), NotFound, `Aggregate ${a.id} could not be found.`);
      const rows: unknown[] = await ds.query('SELECT id FROM aggregate_metadata WHERE aggregate_id = ?', [a.id]);
      assert.equal(rows.length, 0);
      assert.equal((await repo.create('agg-del')).name, 'agg-del');
    });

    it('keeps every host in at most one availability zone', async () => {
      const z1 = await repo.create('zone-1', 'az1');
      const z2 = await repo.create('zone-2', 'az2');
      const free = await repo.create('zone-free');
      await repo.addHost(z1.id, 'zh1');
      await rejectsWith(repo.addHost(z2.id, 'zh1'), Conflict,
        `Cannot add host to aggregate ${z2.id}. Reason: One or more hosts already in availability zone(s) ['az1'].`);
      await repo.addHost(free.id, 'zh1');
      await rejectsWith(repo.update(free.id, { availability_zone: 'az9' }), Invalid,
        `Cannot update aggregate ${free.id}. Reason: One or more hosts already in availability zone(s) ['az1'].`);
      await rejectsWith(repo.setMetadata(free.id, { availability_zone: 'az9' }), Invalid,
        `Cannot update metadata of aggregate ${free.id}. Reason: One or more hosts already in availability zone(s) ['az1'].`);
      assert.equal((await repo.setMetadata(free.id, { availability_zone: 'az1' })).availability_zone, 'az1');
      // The zone's own aggregate may rename its zone when no other aggregate contradicts it... but
      // here `free` now also says az1, so renaming zone-1 alone is refused.
      await rejectsWith(repo.update(z1.id, { availability_zone: 'az1b' }), Invalid,
        `Cannot update aggregate ${z1.id}. Reason: One or more hosts already in availability zone(s) ['az1'].`);
      await repo.addHost(z2.id, 'zh2');
      assert.deepEqual(await repo.hostsInZone('az1'), ['zh1']);
      assert.deepEqual(await repo.hostsInZone('az2'), ['zh2']);
      assert.deepEqual(await repo.hostsInZone('nowhere'), []);
      assert.deepEqual((await repo.listForHost('zh1')).map((x) => x.name), ['zone-1', 'zone-free']);
      assert.equal(await repo.removeHostEverywhere('zh1'), 2);
      assert.deepEqual(await repo.listForHost('zh1'), []);
    });

    it('refuses zone changes that would move existing instances', async () => {
      const withInstances: AggregateChecks = { ...known, instancesOnHosts: async (hosts) => (hosts.includes('busy') ? 2 : 0) };
      const az = await repo.create('inst-az', 'az-i');
      await rejectsWith(repo.addHost(az.id, 'busy', withInstances), Conflict,
        `Cannot add host to aggregate ${az.id}. Reason: The host cannot be added to the aggregate as the availability zone of the host ` +
        `would change from 'None' to 'az-i' but the host already has 2 instance(s). Changing the AZ of an existing instance is not ` +
        'supported by this action. Move the instances away from this host then try again. If you need to move the instances between ' +
        'AZs then you can use shelve_offload and unshelve to achieve this..');
      const plain = await repo.create('inst-plain');
      await repo.addHost(plain.id, 'busy', withInstances);
      await rejectsWith(repo.update(plain.id, { availability_zone: 'az-new' }, withInstances), Invalid,
        `Cannot update aggregate ${plain.id}. Reason: One or more hosts contain instances in this zone.`);
      await repo.addHost(az.id, 'busy'); // no instance check without the callback
      await assert.rejects(repo.removeHost(az.id, 'busy', withInstances), (err: unknown) =>
        err instanceof Conflict && err.message.startsWith(`Cannot remove host from aggregate ${az.id}. Reason: The host cannot be removed from the aggregate as the availability zone of the host would change from 'az-i' to 'None' but the host already has 2 instance(s).`));
      await repo.removeHost(az.id, 'busy');
    });

    it('can refuse a reserved zone name (internal_service_availability_zone)', async () => {
      const strict = new AggregateRepository(ds, { reservedZone: 'internal' });
      await rejectsWith(strict.create('agg-internal', 'internal'), Invalid,
        'Cannot create aggregate agg-internal. Reason: Availability zone internal is reserved for internal services.');
      const a = await strict.create('agg-ok', 'az-ok');
      await assert.rejects(strict.update(a.id, { availability_zone: 'internal' }), Invalid);
      await assert.rejects(strict.setMetadata(a.id, { availability_zone: 'internal' }), Invalid);
    });

    it('concurrent adds of one host and concurrent creates of one name end with one row', async () => {
      const a = await repo.create('agg-race');
      const adds = await Promise.allSettled(Array.from({ length: 4 }, () => repo.addHost(a.id, 'race', known)));
      assert.equal(adds.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of adds) if (r.status === 'rejected') assert.ok(r.reason instanceof Conflict, String(r.reason));
      assert.deepEqual((await repo.get(a.id)).hosts, ['race']);
      const creates = await Promise.allSettled(Array.from({ length: 4 }, () => repo.create('agg-race-name', 'az-r')));
      assert.equal(creates.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of creates) if (r.status === 'rejected') assert.ok(r.reason instanceof Conflict, String(r.reason));
      assert.equal((await repo.list()).filter((x) => x.name === 'agg-race-name').length, 1);
    });
  });
}
