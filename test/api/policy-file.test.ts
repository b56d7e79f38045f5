import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';
import { runNova, writeConf } from '../utils/nova-process';

for (const backend of BACKENDS) {
  describe(`[oslo_policy] policy_file overrides Nova's defaults (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'policy-'));
      const file = join(dir, 'policy.yaml');
      writeFileSync(file, [
        '# open the services list to readers; restrict reading flavor extra specs to admins',
        '"os_compute_api:os-services:list": "role:reader"',
        '"os_compute_api:os-flavor-extra-specs:index": "rule:context_is_admin"',
        '',
      ].join('\n'));
      cloud = await startCloud(backend, `[oslo_policy]\npolicy_file = ${file}\n`);
    });
    after(async () => cloud?.stop());

    it('a rule from the file replaces the default; other rules keep theirs', async () => {
      assert.equal((await cloud.request('GET', '/v2.1/os-services', { token: 'alice:p1' })).status, 200);
      assert.equal((await cloud.request('GET', '/v2.1/os-services', { token: 'alice:p1', headers: { 'X-Roles': 'member' } })).status, 403);
      assert.equal((await cloud.request('PUT', '/v2.1/os-services/disable', { token: 'alice:p1', body: { host: 'functest', binary: 'nova-compute' } })).status, 403);
      await cloud.request('POST', '/v2.1/flavors', { body: { flavor: { name: 'pf', ram: 64, vcpus: 1, disk: 0, id: 'pf' } } });
      assert.equal((await cloud.request('GET', '/v2.1/flavors/pf/os-extra_specs', { token: 'alice:p1' })).status, 403);
      assert.match(cloud.output, /policy: \/.*policy\.yaml/);
    });
  });
}

describe('a broken policy file', () => {
  it('stops start-up with one line naming the file and the rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'policy-bad-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, '"os_compute_api:os-services:list": "role:admin and"\n');
    const conf = writeConf(dir, 'nova.conf', `[DEFAULT]\nstate_path = ${dir}\nosapi_compute_listen_port = 0\n[api]\nauth_strategy = noauth2\n[oslo_policy]\npolicy_file = ${file}\n`);
    assert.equal(runNova(['db', 'sync', '--config-file', conf]).code, 0);
    const r = runNova(['--role=all', '--config-file', conf]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /policy\.yaml: rule 'os_compute_api:os-services:list': unexpected end/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
