import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Invalid, NotFound } from '../../src/common/errors';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { ServerGroupRepository } from '../../src/db/repositories/server-group.repository';
import { ServerGroupPolicy, SERVER_GROUP_POLICIES } from '../../src/objects/server-group.object';
import { createTestDatabases, ENGINES, TestDatabases } from '../utils/databases';

for (const engine of ENGINES) {
  describe(`server groups on ${engine}`, () => {
    let dbs: TestDatabases;
    let ds: DataSource;
    let repo: ServerGroupRepository;
    const count = async (table: string, groupId: number): Promise<number> => {
      const rows: Array<{ n: number | string }> = await ds.query(`SELECT COUNT(*) AS n FROM ${table} WHERE group_id = ?`, [groupId]);
      return Number(rows[0].n);
    };

    before(async () => {
      dbs = await createTestDatabases(engine);
      ds = await openDataSource('api', parseConnectionUrl(dbs.api));
      await syncSchema(ds);
      repo = new ServerGroupRepository(ds);
    });
    after(async () => {
      await ds.destroy();
      await dbs.drop();
    });

    it('creates a group per policy with one policy row; rules keep max_server_per_host as an integer', async () => {
      for (const policy of SERVER_GROUP_POLICIES) {
        const g = await repo.create({ name: `g-${policy}`, policy, projectId: 'p-create', userId: 'u1' });
        assert.equal(g.policy, policy);
        assert.deepEqual(g.rules, {});
        assert.deepEqual(g.members, []);
        assert.match(g.id, /^[0-9a-f-]{36}$/);
        assert.equal(await count('instance_group_policy', g.db_id), 1);
      }
      const anti = await repo.create({ name: 'spread', policy: 'anti-affinity', rules: { max_server_per_host: 2 }, projectId: 'p-create', userId: 'u1' });
      const got = await repo.get(anti.id);
      assert.deepEqual(got.rules, { max_server_per_host: 2 });
      assert.equal(got.project_id, 'p-create');
      assert.equal(got.user_id, 'u1');
      assert.equal(got.name, 'spread');
      assert.ok(got.created_at && Math.abs(Date.parse(got.created_at) - Date.now()) < 5_000);
      await assert.rejects(repo.create({ name: 'bad', policy: 'cluster' as ServerGroupPolicy, projectId: 'p', userId: 'u' }), Invalid);
    });

    it('get is scoped by project when asked and reports Nova\'s message', async () => {
      const g = await repo.create({ name: 'scoped', policy: 'affinity', projectId: 'p-scope', userId: 'u1' });
      assert.equal((await repo.get(g.id, 'p-scope')).id, g.id);
      await assert.rejects(repo.get(g.id, 'p-other'), (e: unknown) => e instanceof NotFound && e.message === `Instance group ${g.id} could not be found.`);
      const missing = randomUUID();
      await assert.rejects(repo.get(missing), (e: unknown) => e instanceof NotFound && e.message === `Instance group ${missing} could not be found.`);
    });

    it('lists by project or all projects, in creation order, with limit and offset', async () => {
      const a = await repo.create({ name: 'la', policy: 'affinity', projectId: 'p-list', userId: 'u1' });
      const b = await repo.create({ name: 'lb', policy: 'affinity', projectId: 'p-list', userId: 'u2' });
      const other = await repo.create({ name: 'lc', policy: 'affinity', projectId: 'p-list2', userId: 'u1' });
      const c = await repo.create({ name: 'ld', policy: 'soft-affinity', projectId: 'p-list', userId: 'u1' });
      assert.deepEqual((await repo.list({ projectId: 'p-list' })).map((g) => g.id), [a.id, b.id, c.id]);
      assert.deepEqual((await repo.list({ projectId: 'p-list', limit: 1, offset: 1 })).map((g) => g.id), [b.id]);
      assert.deepEqual((await repo.list({ projectId: 'p-list', offset: 2 })).map((g) => g.id), [c.id]);
      const all = (await repo.list()).map((g) => g.id);
      assert.ok(all.includes(other.id) && all.includes(a.id));
      assert.equal(await repo.countForProject('p-list'), 3);
      assert.equal(await repo.countForUser('p-list', 'u1'), 2);
      assert.equal(await repo.countForProject('p-none'), 0);
    });

    it('adds members idempotently, also concurrently; removes them; finds an instance\'s groups', async () => {
      const g = await repo.create({ name: 'members', policy: 'anti-affinity', projectId: 'p-mem', userId: 'u1' });
      const [i1, i2, i3] = [randomUUID(), randomUUID(), randomUUID()];
      assert.deepEqual((await repo.addMembers(g.id, [i1, i2])).members, [i1, i2]);
      assert.deepEqual((await repo.addMembers(g.id, [i2, i1, i2])).members, [i1, i2]);
      await Promise.all(Array.from({ length: 4 }, () => repo.addMembers(g.id, [i3])));
      assert.deepEqual((await repo.get(g.id)).members, [i1, i2, i3]);
      assert.equal(await repo.countMembers(g.id), 3);
      assert.deepEqual((await repo.groupsOfInstance(i3)).map((x) => x.id), [g.id]);
      assert.deepEqual(await repo.groupsOfInstance(randomUUID()), []);
      await repo.removeMember(g.id, i2);
      await repo.removeMember(g.id, i2);
      assert.deepEqual((await repo.get(g.id)).members, [i1, i3]);
      assert.equal(await repo.removeInstancesEverywhere([i1]), 1);
      assert.deepEqual((await repo.get(g.id)).members, [i3]);
      await assert.rejects(repo.addMembers(randomUUID(), [i1]), NotFound);
      await assert.rejects(repo.countMembers(randomUUID()), NotFound);
    });

    it('delete removes the group, its policy and its members', async () => {
      const g = await repo.create({ name: 'doomed', policy: 'affinity', projectId: 'p-del', userId: 'u1', members: [randomUUID()] });
      assert.equal(await count('instance_group_member', g.db_id), 1);
      await assert.rejects(repo.delete(g.id, 'p-other'), NotFound);
      await repo.delete(g.id, 'p-del');
      await assert.rejects(repo.get(g.id), (e: unknown) => e instanceof NotFound && e.message === `Instance group ${g.id} could not be found.`);
      assert.equal(await count('instance_group_policy', g.db_id), 0);
      assert.equal(await count('instance_group_member', g.db_id), 0);
      await assert.rejects(repo.delete(g.id), NotFound);
    });

    it('concurrent creates and deletes do not trip over each other', async () => {
      const made = await Promise.all(Array.from({ length: 5 }, (_, i) => repo.create({ name: `c${i}`, policy: 'affinity', projectId: 'p-conc', userId: 'u' })));
      assert.equal(await repo.countForProject('p-conc'), 5);
      await Promise.all(made.map((g) => repo.delete(g.id)));
      assert.equal(await repo.countForProject('p-conc'), 0);
    });
  });
}
