import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { Conflict, Invalid, NotFound } from '../../src/common/errors';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { FlavorEntity } from '../../src/db/entities';
import { FlavorRepository } from '../../src/db/repositories/flavor.repository';
import { uniqueViolation } from '../../src/db/db-helpers';
import { DEFAULT_DEVSTACK_FLAVORS, FLAVOR_SORT_KEYS, FlavorCreate, FlavorRecord } from '../../src/objects/flavor.object';
import { createTestDatabases, ENGINES, TestDatabases } from '../utils/databases';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const base = (name: string, extra: Partial<FlavorCreate> = {}): FlavorCreate => ({ name, memory_mb: 512, vcpus: 1, root_gb: 1, ...extra });
const rejectsWith = (p: Promise<unknown>, cls: typeof Conflict | typeof Invalid | typeof NotFound, message: string) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.equal((err as Error).message, message);
    return true;
  });
const ids = (list: FlavorRecord[]) => list.map((f) => f.flavorid);

for (const engine of ENGINES) {
  describe(`flavors on ${engine}`, () => {
    let dbs: TestDatabases;
    let ds: DataSource;
    let repo: FlavorRepository;
    const clear = async () => {
      for (const t of ['flavor_projects', 'flavor_extra_specs', 'flavors']) await ds.query(`DELETE FROM ${t}`);
    };

    before(async () => {
      dbs = await createTestDatabases(engine);
      ds = await openDataSource('api', parseConnectionUrl(dbs.api));
      await syncSchema(ds);
      repo = new FlavorRepository(ds);
    });
    after(async () => {
      await ds.destroy();
      await dbs.drop();
    });
    beforeEach(clear);

    it('creates a flavor with defaults, a string id and plain values', async () => {
      const f = await repo.create(base('  small  ', { flavorid: 42, rxtx_factor: 1.5, description: 'd', swap: 512 }));
      assert.equal(f.flavorid, '42');
      assert.equal(f.name, 'small', 'the name is stripped, as flavors.create does');
      assert.deepEqual({ ...f, id: 0, created_at: null }, {
        id: 0, flavorid: '42', name: 'small', memory_mb: 512, vcpus: 1, root_gb: 1, ephemeral_gb: 0, swap: 512,
        rxtx_factor: 1.5, vcpu_weight: null, disabled: false, is_public: true, description: 'd', extra_specs: {},
        created_at: null, updated_at: null,
      });
      assert.ok(Math.abs(Date.parse(f.created_at!) - Date.now()) < 5_000, `created_at ${f.created_at} is now, UTC`);
      for (const flavorid of [null, undefined, '', 0]) {
        const g = await repo.create(base(`auto-${String(flavorid)}`, { flavorid }));
        assert.match(g.flavorid, UUID);
      }
      const priv = await repo.create(base('private', { is_public: false, disabled: true, vcpu_weight: 3 }));
      assert.deepEqual([priv.is_public, priv.disabled, priv.vcpu_weight], [false, true, 3]);
      assert.deepEqual(await repo.getByFlavorId('42'), f);
    });

    it("refuses duplicate names and ids with Nova's messages", async () => {
      await repo.create(base('dup', { flavorid: 'dup-id' }));
      await rejectsWith(repo.create(base('dup', { flavorid: 'other' })), Conflict, 'Flavor with name dup already exists.');
      await rejectsWith(repo.create(base('other', { flavorid: 'dup-id' })), Conflict, 'Flavor with ID dup-id already exists.');
      await rejectsWith(repo.create(base(' dup ')), Conflict, 'Flavor with name dup already exists.');
    });

    it('concurrent creates of one name or one id: exactly one wins, the others get Conflict', async () => {
      for (const [same, message] of [['name', 'Flavor with name race already exists.'], ['id', 'Flavor with ID race-id already exists.']] as const) {
        await clear();
        const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) =>
          repo.create(same === 'name' ? base('race', { flavorid: `r${i}` }) : base(`race${i}`, { flavorid: 'race-id' }))));
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1, `${same}: one winner`);
        for (const l of lost) {
          assert.ok(l.reason instanceof Conflict, `${same}: ${String(l.reason)}`);
          assert.equal(l.reason.message, message);
        }
        assert.equal((await repo.list({ isPublic: null, includeDisabled: true })).length, 1);
      }
    });

    it('recognises the unique violations of this engine (the path a lost race takes)', async () => {
      const raw = ds.getRepository(FlavorEntity);
      const row = () => ({ name: 'uv', flavorid: 'uv-id', memory_mb: 1, vcpus: 1, created_at: new Date() });
      await raw.insert(row());
      const byName = await raw.insert({ ...row(), flavorid: 'uv-2' }).then(() => null, (e: unknown) => e);
      const byId = await raw.insert({ ...row(), name: 'uv-2' }).then(() => null, (e: unknown) => e);
      assert.ok(byName && byId);
      assert.ok(!uniqueViolation(byName)!.includes('flavorid'), String(uniqueViolation(byName)));
      assert.ok(uniqueViolation(byId)!.includes('flavorid'), String(uniqueViolation(byId)));
      assert.equal(uniqueViolation(new Error('other')), null);
    });

    it('a create whose check passed but whose INSERT lost still answers Conflict with the right message', async () => {
      await repo.create(base('taken', { flavorid: 'taken-id' }));
      // Both checks of a racing create ran before the winner's INSERT: only the unique keys can tell.
      const blind = new FlavorRepository(ds);
      (blind as unknown as { flavors: { existsBy: () => Promise<boolean> } }).flavors.existsBy = async () => false;
      await rejectsWith(blind.create(base('taken', { flavorid: 'x' })), Conflict, 'Flavor with name taken already exists.');
      await rejectsWith(blind.create(base('free', { flavorid: 'taken-id' })), Conflict, 'Flavor with ID taken-id already exists.');
    });

    it('gets by flavorid; a private flavor is invisible to projects without access', async () => {
      await rejectsWith(repo.getByFlavorId('nope'), NotFound, 'Flavor nope could not be found.');
      await repo.create(base('priv', { flavorid: 'p', is_public: false }));
      await repo.addAccess('p', 'proj-a');
      assert.equal((await repo.getByFlavorId('p', { visibleToProject: 'proj-a' })).name, 'priv');
      await rejectsWith(repo.getByFlavorId('p', { visibleToProject: 'proj-b' }), NotFound, 'Flavor p could not be found.');
    });

    it('lists with is_public semantics, access lists, disabled and minimum filters', async () => {
      await repo.create(base('pub', { flavorid: 'a', memory_mb: 1024, root_gb: 10 }));
      await repo.create(base('priv-shared', { flavorid: 'b', is_public: false, memory_mb: 2048 }));
      await repo.create(base('priv-other', { flavorid: 'c', is_public: false }));
      await repo.create(base('pub-disabled', { flavorid: 'd', disabled: true, root_gb: 20 }));
      await repo.addAccess('b', 'p1');
      await repo.addAccess('c', 'p2');
      const list = (o: Partial<Parameters<FlavorRepository['list']>[0]>) => repo.list({ isPublic: true, includeDisabled: false, ...o }).then(ids);
      assert.deepEqual(await list({ projectId: 'p1' }), ['a', 'b']);
      assert.deepEqual(await list({ projectId: 'p3' }), ['a']);
      assert.deepEqual(await list({}), ['a']);
      assert.deepEqual(await list({ isPublic: false }), ['b', 'c']);
      assert.deepEqual(await list({ isPublic: null }), ['a', 'b', 'c']);
      assert.deepEqual(await list({ isPublic: null, includeDisabled: true }), ['a', 'b', 'c', 'd']);
      assert.deepEqual(await list({ isPublic: null, visibleToProject: 'p2' }), ['a', 'c']);
      assert.deepEqual(await list({ isPublic: false, visibleToProject: 'p2' }), ['c']);
      assert.deepEqual(await list({ isPublic: null, minMemoryMb: 1024 }), ['a', 'b']);
      assert.deepEqual(await list({ isPublic: null, includeDisabled: true, minRootGb: 10 }), ['a', 'd']);
      await rejectsWith(list({ isPublic: null, visibleToProject: 'p1', marker: 'c' }), Invalid, 'marker [c] not found');
    });

    it('pages through every sort key in both directions, NULLs included, without gaps or repeats', async () => {
      const specs: FlavorCreate[] = [
        base('n-e', { flavorid: '5', memory_mb: 2048, vcpus: 2, rxtx_factor: 1.1, vcpu_weight: 2, description: 'beta' }),
        base('n-a', { flavorid: '1', memory_mb: 512, vcpus: 4, rxtx_factor: 2.2, description: null }),
        base('n-c', { flavorid: '3', memory_mb: 2048, vcpus: 1, rxtx_factor: 1.1, vcpu_weight: 1, description: 'alpha', is_public: false }),
        base('n-b', { flavorid: '2', memory_mb: 1024, vcpus: 2, swap: 10, vcpu_weight: null, disabled: true }),
        base('n-d', { flavorid: '4', memory_mb: 512, vcpus: 8, ephemeral_gb: 5, root_gb: 0, description: 'alpha' }),
        base('n-f', { flavorid: '6', memory_mb: 4096, vcpus: 1, vcpu_weight: 2 }),
      ];
      for (const s of specs) await repo.create(s);
      for (const sortKey of FLAVOR_SORT_KEYS) {
        for (const sortDir of ['asc', 'desc'] as const) {
          const opts = { isPublic: null, includeDisabled: true, sortKey, sortDir };
          const all = await repo.list(opts);
          assert.equal(all.length, specs.length);
          assertSorted(all, sortKey, sortDir);
          for (const limit of [1, 2, 4]) {
            const seen: string[] = [];
            let marker: string | undefined;
            for (let page = 0; page < 10; page++) {
              const items = await repo.list({ ...opts, limit, marker });
              seen.push(...ids(items));
              if (items.length < limit) break;
              marker = items[items.length - 1].flavorid;
            }
            assert.deepEqual(seen, ids(all), `${sortKey} ${sortDir} limit ${limit}`);
          }
        }
      }
      assert.deepEqual(ids(await repo.list({ isPublic: null, includeDisabled: true })), ['1', '2', '3', '4', '5', '6'], 'default: flavorid asc');
      assert.deepEqual(await repo.list({ isPublic: null, includeDisabled: true, limit: 0 }), []);
      await rejectsWith(repo.list({ isPublic: null, includeDisabled: true, marker: 'nope' }), Invalid, 'marker [nope] not found');
      await rejectsWith(repo.list({ isPublic: null, includeDisabled: true, sortKey: 'bogus' as never }), Invalid, 'Sort key supplied was not valid.');
    });

    it('filters names by regular expression, with | taken literally as on MySQL', async () => {
      for (const name of ['m1.tiny', 'm1.small', 'x-m1', 'a|b']) await repo.create(base(name));
      const names = async (re: string) => (await repo.list({ isPublic: null, includeDisabled: true, nameRegex: re, sortKey: 'name' })).map((f) => f.name);
      assert.deepEqual(await names('^m1\\.'), ['m1.small', 'm1.tiny']);
      assert.deepEqual(await names('m1'), ['m1.small', 'm1.tiny', 'x-m1']);
      assert.deepEqual(await names('a|b'), ['a|b']);
      await rejectsWith(names('('), Invalid, 'Invalid name filter [(]');
    });

    it('updates the description and deletes a flavor with its specs and access rows', async () => {
      await repo.create(base('del', { flavorid: 'del', is_public: false }));
      const updated = await repo.updateDescription('del', 'new text');
      assert.equal(updated.description, 'new text');
      assert.ok(updated.updated_at);
      await repo.updateExtraSpecs('del', { 'hw:cpu_policy': 'dedicated' });
      await repo.addAccess('del', 'p1');
      await repo.delete('del');
      await rejectsWith(repo.getByFlavorId('del'), NotFound, 'Flavor del could not be found.');
      await rejectsWith(repo.delete('del'), NotFound, 'Flavor del could not be found.');
      await rejectsWith(repo.updateDescription('del', null), NotFound, 'Flavor del could not be found.');
      for (const t of ['flavor_extra_specs', 'flavor_projects']) {
        const [{ n }] = await ds.query(`SELECT COUNT(*) AS n FROM ${t}`);
        assert.equal(Number(n), 0, `${t} emptied`);
      }
      const again = await repo.create(base('del', { flavorid: 'del' }));
      assert.deepEqual(again.extra_specs, {});
    });

    it('concurrent deletes each run in their own transaction; deleting one flavor twice at once finds it once', async () => {
      for (let i = 0; i < 6; i++) {
        await repo.create(base(`cd${i}`, { flavorid: `cd${i}`, is_public: false }));
        await repo.updateExtraSpecs(`cd${i}`, { a: '1', b: '2' });
        await repo.addAccess(`cd${i}`, 'p');
      }
      const results = await Promise.allSettled([...['cd0', 'cd1', 'cd2', 'cd3', 'cd4'].map((id) => repo.delete(id)), repo.delete('cd0')]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 5);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(failed.length, 1);
      assert.ok(failed[0].reason instanceof NotFound);
      assert.deepEqual(ids(await repo.list({ isPublic: null, includeDisabled: true })), ['cd5']);
      const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM flavor_extra_specs');
      assert.equal(Number(n), 2, 'only cd5 keeps its specs');
    });

    it('upserts extra specs as strings and deletes them one by one', async () => {
      await repo.create(base('specs', { flavorid: 's' }));
      assert.deepEqual(await repo.updateExtraSpecs('s', { 'hw:numa_nodes': 2, 'quota:cpu_quota': '1000' }), { 'hw:numa_nodes': '2', 'quota:cpu_quota': '1000' });
      assert.deepEqual(await repo.updateExtraSpecs('s', { 'hw:numa_nodes': '1', 'trait:FOO': 'required' }),
        { 'hw:numa_nodes': '1', 'quota:cpu_quota': '1000', 'trait:FOO': 'required' });
      assert.deepEqual((await repo.getByFlavorId('s')).extra_specs, await repo.getExtraSpecs('s'));
      assert.deepEqual(await repo.updateExtraSpecs('s', {}), await repo.getExtraSpecs('s'));
      await repo.deleteExtraSpec('s', 'trait:FOO');
      await rejectsWith(repo.deleteExtraSpec('s', 'trait:FOO'), NotFound, 'Flavor s has no extra specs with key trait:FOO.');
      await rejectsWith(repo.getExtraSpecs('nope'), NotFound, 'Flavor nope could not be found.');
      await rejectsWith(repo.updateExtraSpecs('nope', { a: 'b' }), NotFound, 'Flavor nope could not be found.');
      const writes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => repo.updateExtraSpecs('s', { 'hw:numa_nodes': String(i), [`k${i}`]: 'v' })));
      assert.deepEqual(writes.filter((w) => w.status === 'rejected'), [], 'concurrent upserts all succeed');
      const final = await repo.getExtraSpecs('s');
      assert.equal(Object.keys(final).length, 10);
      assert.match(final['hw:numa_nodes'], /^[0-7]$/);
      assert.deepEqual((await repo.list({ isPublic: null, includeDisabled: true }))[0].extra_specs, final);
    });

    it('grants and revokes access to private flavors', async () => {
      const priv = await repo.create(base('acl', { flavorid: 'acl', is_public: false }));
      await repo.create(base('open', { flavorid: 'open' }));
      assert.deepEqual(await repo.listAccess('acl'), []);
      assert.deepEqual(await repo.addAccess('acl', 'p1'), ['p1']);
      assert.deepEqual(await repo.addAccess('acl', 'p2'), ['p1', 'p2']);
      await rejectsWith(repo.addAccess('acl', 'p1'), Conflict, `Flavor access already exists for flavor ${priv.id} and project p1 combination.`);
      await rejectsWith(repo.addAccess('open', 'p1'), Conflict, 'Can not add access to a public flavor.');
      await rejectsWith(repo.listAccess('open'), NotFound, 'Access list not available for public flavors.');
      assert.deepEqual(await repo.addAccess('open', 'p1', { allowPublic: true }), ['p1']);
      assert.deepEqual(await repo.removeAccess('acl', 'p1'), ['p2']);
      await rejectsWith(repo.removeAccess('acl', 'p1'), NotFound, `Flavor access not found for ${priv.id} / p1 combination.`);
      await rejectsWith(repo.addAccess('nope', 'p1'), NotFound, 'Flavor nope could not be found.');
      assert.deepEqual(await repo.listAccess('acl'), ['p2']);
    });

    it('can seed the DevStack flavors', async () => {
      for (const f of DEFAULT_DEVSTACK_FLAVORS) await repo.create(f);
      const list = await repo.list({ isPublic: true, includeDisabled: false });
      assert.deepEqual(list.map((f) => [f.flavorid, f.name, f.memory_mb, f.vcpus, f.root_gb]), [
        ['1', 'm1.tiny', 512, 1, 1], ['2', 'm1.small', 2048, 1, 20], ['3', 'm1.medium', 4096, 2, 40],
        ['4', 'm1.large', 8192, 4, 80], ['5', 'm1.xlarge', 16384, 8, 160],
      ]);
    });
  });
}

/** Order by key (NULLs first ascending, last descending), then internal id in the same direction. */
function assertSorted(list: FlavorRecord[], key: keyof FlavorRecord, dir: 'asc' | 'desc'): void {
  const cmp = (a: FlavorRecord, b: FlavorRecord) => {
    const x = a[key] as string | number | boolean | null;
    const y = b[key] as string | number | boolean | null;
    let c = 0;
    if (x === null && y !== null) c = -1;
    else if (y === null && x !== null) c = 1;
    else if (x !== null && y !== null) c = x < y ? -1 : x > y ? 1 : 0;
    if (c === 0) c = a.id - b.id;
    return dir === 'asc' ? c : -c;
  };
  assert.deepEqual(ids(list), ids([...list].sort(cmp)), `sorted by ${key} ${dir}`);
}
