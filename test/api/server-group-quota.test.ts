import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

for (const backend of BACKENDS) {
  describe(`server_groups quota (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend, '[quota]\nserver_groups = 2\n');
    });
    after(async () => cloud?.stop());

    const create = (name: string, token: string) =>
      cloud.request('POST', '/v2.1/os-server-groups', { token, body: { server_group: { name, policies: ['anti-affinity'] } } });

    it('refuses the group over the project quota with Nova\'s 403, per project, and frees a slot on delete', async () => {
      assert.equal((await create('g1', 'alice:q1')).status, 200);
      const second = await create('g2', 'bob:q1');
      assert.equal(second.status, 200);
      const third = await create('g3', 'alice:q1');
      assert.deepEqual(third.body, { forbidden: { code: 403, message: 'Quota exceeded, too many server groups.' } });
      assert.equal((await create('other', 'carol:q2')).status, 200, 'another project has its own quota');
      const limits = await cloud.request('GET', '/v2.1/limits', { token: 'alice:q1' });
      assert.equal(limits.body.limits.absolute.maxServerGroups, 2);
      assert.equal(limits.body.limits.absolute.totalServerGroupsUsed, 2);
      assert.equal((await cloud.request('DELETE', `/v2.1/os-server-groups/${second.body.server_group.id}`, { token: 'bob:q1' })).status, 204);
      assert.equal((await create('g3', 'alice:q1')).status, 200);
    });

    it('concurrent creates never end above the quota', async () => {
      await cloud.request('PUT', '/v2.1/os-quota-sets/q3', { body: { quota_set: { server_groups: 3 } } });
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => create(`c${i}`, 'dave:q3')));
      assert.ok(results.every((r) => r.status === 200 || r.status === 403), results.map((r) => r.status).join(','));
      const listed = await cloud.request('GET', '/v2.1/os-server-groups', { token: 'dave:q3' });
      assert.equal(listed.body.server_groups.length, 3, 'exactly the quota is used');
      assert.equal(results.filter((r) => r.status === 200).length, 3);
    });
  });
}
