import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverGroupView } from '../../src/api/views/server-group.view';
import type { ServerGroupRecord } from '../../src/objects/server-group.object';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEYS_21 = ['id', 'members', 'metadata', 'name', 'policies'];

describe('server group view per microversion', () => {
  const g = {
    id: '1f0c3a4b-5d6e-4f70-8a9b-0c1d2e3f4a5b', db_id: 1, name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: 2 },
    members: [], project_id: 'p', user_id: 'u', created_at: null, updated_at: null,
  } as ServerGroupRecord;
  const members = ['8c2d1e0f-1111-4222-8333-944455556666'];
  it('2.1: policies list and empty metadata; 2.13 adds project and user; 2.64 has policy and rules', () => {
    assert.deepEqual(serverGroupView({ major: 2, minor: 1 }, g, members), { id: g.id, name: 'g', policies: ['anti-affinity'], metadata: {}, members });
    const v213 = serverGroupView({ major: 2, minor: 13 }, g, []);
    assert.deepEqual(Object.keys(v213).sort(), [...KEYS_21, 'project_id', 'user_id'].sort());
    assert.equal(v213.project_id, 'p');
    assert.equal(v213.user_id, 'u');
    const v264 = serverGroupView({ major: 2, minor: 64 }, g, []);
    assert.deepEqual(Object.keys(v264).sort(), ['id', 'members', 'name', 'policy', 'project_id', 'rules', 'user_id']);
    assert.equal(v264.policy, 'anti-affinity');
    assert.deepEqual(v264.rules, { max_server_per_host: 2 });
  });
});

for (const backend of BACKENDS) {
  describe(`os-server-groups (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend);
    });
    after(async () => cloud?.stop());

    const req = (method: string, path: string, token: string, body?: unknown) => cloud.request(method, `/v2.1${path}`, { token, body });
    async function create(token: string, name: string, policy = 'anti-affinity'): Promise<string> {
      const r = await req('POST', '/os-server-groups', token, { server_group: { name, policies: [policy] } });
      assert.equal(r.status, 200, r.text);
      return r.body.server_group.id;
    }
    const ids = async (token: string, query = '') => {
      const r = await req('GET', `/os-server-groups${query}`, token);
      assert.equal(r.status, 200, r.text);
      return r.body.server_groups.map((g: { id: string }) => g.id) as string[];
    };
    function assertFault(r: { status: number; body: unknown; text: string }, status: number, message: string) {
      const name = { 400: 'badRequest', 403: 'forbidden', 404: 'itemNotFound' }[status]!;
      assert.equal(r.status, status, r.text);
      assert.deepEqual(r.body, { [name]: { code: status, message } });
    }

    it('create answers 200 with the 2.1 shape; show and list return the same object', async () => {
      const r = await req('POST', '/os-server-groups', 'ann:pa', { server_group: { name: 'web', policies: ['affinity'] } });
      assert.equal(r.status, 200);
      const g = r.body.server_group;
      assert.deepEqual(Object.keys(g).sort(), KEYS_21);
      assert.match(g.id, UUID);
      assert.deepEqual(g, { id: g.id, name: 'web', policies: ['affinity'], metadata: {}, members: [] });
      const shown = await req('GET', `/os-server-groups/${g.id}`, 'ann:pa');
      assert.equal(shown.status, 200);
      assert.deepEqual(shown.body, { server_group: g });
      const list = await req('GET', '/os-server-groups', 'ann:pa');
      assert.deepEqual(list.body, { server_groups: [g] });
    });

    it('groups are per project: others get 403 on show and delete and do not list them', async () => {
      const mine = await create('bea:pb', 'mine');
      assert.ok(!(await ids('ann:pa')).includes(mine));
      assertFault(await req('GET', `/os-server-groups/${mine}`, 'ann:pa'), 403, "Policy doesn't allow os_compute_api:os-server-groups:show to be performed.");
      assertFault(await req('DELETE', `/os-server-groups/${mine}`, 'ann:pa'), 403, "Policy doesn't allow os_compute_api:os-server-groups:delete to be performed.");
      // Another user of the same project shares them.
      assert.equal((await req('GET', `/os-server-groups/${mine}`, 'bob:pb')).status, 200);
      // all_projects is ignored for non-admins, whatever its value.
      assert.deepEqual(await ids('ann:pa', '?all_projects=True'), await ids('ann:pa'));
      assert.equal((await req('GET', `/os-server-groups/${mine}`, 'bea:pb')).status, 200, 'still there');
    });

    it('admins list their own project by default and every project with all_projects (any value)', async () => {
      const theirs = await create('cat:pc', 'theirs');
      const adminOwn = await create('admin:admin', 'admin-own');
      const own = await ids('admin:admin');
      assert.ok(own.includes(adminOwn));
      assert.ok(!own.includes(theirs));
      for (const q of ['?all_projects=True', '?all_projects=1', '?all_projects=0', '?all_projects']) {
        const all = await ids('admin:admin', q);
        assert.ok(all.includes(theirs) && all.includes(adminOwn), q);
      }
      assert.equal((await req('GET', `/os-server-groups/${theirs}`, 'admin:admin')).status, 200);
      const del = await req('DELETE', `/os-server-groups/${theirs}`, 'admin:admin');
      assert.equal(del.status, 204);
      assert.equal(del.text, '');
      assertFault(await req('GET', `/os-server-groups/${theirs}`, 'cat:pc'), 404, `Instance group ${theirs} could not be found.`);
    });

    it('delete answers 204, then 404; unknown ids are 404', async () => {
      const id = await create('dan:pd', 'short-lived');
      const del = await req('DELETE', `/os-server-groups/${id}`, 'dan:pd');
      assert.equal(del.status, 204);
      assert.equal(del.text, '');
      assert.deepEqual(await ids('dan:pd'), []);
      assertFault(await req('DELETE', `/os-server-groups/${id}`, 'dan:pd'), 404, `Instance group ${id} could not be found.`);
      assertFault(await req('GET', '/os-server-groups/no-such-group', 'dan:pd'), 404, 'Instance group no-such-group could not be found.');
    });

    it('limit and offset page through a project\'s groups in creation order', async () => {
      const made = [];
      for (const n of ['p1', 'p2', 'p3']) made.push(await create('eve:pe', n));
      assert.deepEqual(await ids('eve:pe'), made);
      assert.deepEqual(await ids('eve:pe', '?limit=2'), made.slice(0, 2));
      assert.deepEqual(await ids('eve:pe', '?offset=1'), made.slice(1));
      assert.deepEqual(await ids('eve:pe', '?limit=1&offset=2'), made.slice(2));
      assert.deepEqual(await ids('eve:pe', '?limit=0'), made, 'limit 0 means no limit');
      assert.deepEqual(await ids('eve:pe', '?offset=5'), []);
      assertFault(await req('GET', '/os-server-groups?limit=-1', 'eve:pe'), 400, "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'");
      assertFault(await req('GET', '/os-server-groups?offset=x', 'eve:pe'), 400, "Invalid input for query parameters offset. Value: x. 'x' does not match '^[0-9]*$'");
    });

    it('create validation (2.1 schema: one policy of affinity/anti-affinity)', async () => {
      const cases: Array<[unknown, string]> = [
        [{ server_group: { name: 'g', policies: ['soft-affinity'] } }, "Invalid input for field/attribute 0. Value: soft-affinity. 'soft-affinity' is not one of ['anti-affinity', 'affinity']"],
        [{ server_group: { name: 'g', policies: ['bogus'] } }, "Invalid input for field/attribute 0. Value: bogus. 'bogus' is not one of ['anti-affinity', 'affinity']"],
        [{ server_group: { name: 'g', policies: [] } }, 'Invalid input for field/attribute policies. Value: []. [] is too short'],
        [{ server_group: { name: 'g', policies: ['affinity', 'anti-affinity'] } }, "Invalid input for field/attribute policies. Value: ['affinity', 'anti-affinity']. ['affinity', 'anti-affinity'] is too long"],
        [{ server_group: { name: 'g', policies: ['affinity', 'affinity'] } }, "Invalid input for field/attribute policies. Value: ['affinity', 'affinity']. ['affinity', 'affinity'] has non-unique elements"],
        [{ server_group: { name: 'g', policies: 'affinity' } }, "Invalid input for field/attribute policies. Value: affinity. 'affinity' is not of type 'array'"],
        [{ server_group: { name: 'g' } }, "Invalid input for field/attribute server_group. Value: {'name': 'g'}. 'policies' is a required property"],
        [{ server_group: { policies: ['affinity'] } }, "Invalid input for field/attribute server_group. Value: {'policies': ['affinity']}. 'name' is a required property"],
        [{ server_group: { name: 'g', policies: ['affinity'], policy: 'affinity' } },
          "Invalid input for field/attribute server_group. Value: {'name': 'g', 'policies': ['affinity'], 'policy': 'affinity'}. Additional properties are not allowed ('policy' was unexpected)"],
        [{ server_group: { name: 'g ', policies: ['affinity'] } }, "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace."],
        [{ server_group: { name: 'tab\tname', policies: ['affinity'] } }, "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace."],
        [{ name: 'g', policies: ['affinity'] }, "'server_group' is a required property"],
        [{ server_group: null }, "Invalid input for field/attribute server_group. Value: None. None is not of type 'object'"],
      ];
      for (const [body, message] of cases) assertFault(await req('POST', '/os-server-groups', 'fay:pf', body), 400, message);
      assert.deepEqual(await ids('fay:pf'), [], 'nothing was created');
    });
  });
}
