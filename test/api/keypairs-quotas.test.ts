import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKENDS, Cloud, startCloud } from '../utils/cloud';

for (const backend of BACKENDS) {
  describe(`keypairs, limits and quotas (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend);
    });
    after(async () => cloud?.stop());

    it('generates a usable key pair once (private key only in the create response)', async () => {
      const r = await cloud.request('POST', '/v2.1/os-keypairs', { token: 'alice:p1', body: { keypair: { name: 'gen' } } });
      assert.equal(r.status, 200, 'keypair create is 200 at 2.1');
      const kp = r.body.keypair;
      assert.match(kp.public_key, /^ssh-rsa AAAA\S+ Generated-by-Nova$/);
      assert.match(kp.fingerprint, /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
      assert.equal(kp.user_id, 'alice');
      // The private key really belongs to the public key: ssh-keygen derives the same one.
      const dir = mkdtempSync(join(tmpdir(), 'kp-'));
      writeFileSync(join(dir, 'id'), kp.private_key, { mode: 0o600 });
      const derived = execFileSync('ssh-keygen', ['-y', '-f', join(dir, 'id')], { encoding: 'utf8' }).trim();
      assert.equal(derived.split(' ').slice(0, 2).join(' '), kp.public_key.split(' ').slice(0, 2).join(' '));
      const shown = await cloud.request('GET', '/v2.1/os-keypairs/gen', { token: 'alice:p1' });
      assert.equal(shown.body.keypair.private_key, undefined);
      assert.equal(shown.body.keypair.deleted, false);
      assert.match(shown.body.keypair.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    });

    it('imports a public key with the fingerprint ssh-keygen computes; bad keys → 400; names per user', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kp-'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      const pub = readFileSync(join(dir, 'k.pub'), 'utf8').trim();
      const expected = execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', join(dir, 'k.pub')], { encoding: 'utf8' }).split(' ')[1].replace(/^MD5:/, '');
      const r = await cloud.request('POST', '/v2.1/os-keypairs', { token: 'alice:p1', body: { keypair: { name: 'imported', public_key: pub } } });
      assert.equal(r.status, 200);
      assert.equal(r.body.keypair.fingerprint, expected);
      assert.equal(r.body.keypair.private_key, undefined);
      const bad = await cloud.request('POST', '/v2.1/os-keypairs', { token: 'alice:p1', body: { keypair: { name: 'bad', public_key: 'ssh-rsa notbase64!!' } } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.badRequest.message, /Keypair data is invalid/);
      const dup = await cloud.request('POST', '/v2.1/os-keypairs', { token: 'alice:p1', body: { keypair: { name: 'imported', public_key: pub } } });
      assert.deepEqual(dup.body, { conflictingRequest: { code: 409, message: "Key pair 'imported' already exists." } });
      const bobSame = await cloud.request('POST', '/v2.1/os-keypairs', { token: 'bob:p1', body: { keypair: { name: 'imported', public_key: pub } } });
      assert.equal(bobSame.status, 200, 'the same name is fine for another user');
      const badName = await cloud.request('POST', '/v2.1/os-keypairs', { token: 'alice:p1', body: { keypair: { name: 'a@b', public_key: pub } } });
      assert.equal(badName.status, 400, '@ is allowed only from 2.92');
    });

    it('each user sees only their own keys; delete is 202 at 2.1', async () => {
      const alice = await cloud.request('GET', '/v2.1/os-keypairs', { token: 'alice:p1' });
      assert.deepEqual(alice.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name).sort(), ['gen', 'imported']);
      const bob = await cloud.request('GET', '/v2.1/os-keypairs', { token: 'bob:p1' });
      assert.deepEqual(bob.body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name), ['imported']);
      assert.equal((await cloud.request('GET', '/v2.1/os-keypairs/gen', { token: 'bob:p1' })).status, 404);
      assert.equal((await cloud.request('DELETE', '/v2.1/os-keypairs/gen', { token: 'alice:p1' })).status, 202);
      assert.equal((await cloud.request('GET', '/v2.1/os-keypairs/gen', { token: 'alice:p1' })).status, 404);
    });

    it('quota sets: defaults, admin update (reader gets 403), detail shows usage, key_pairs quota enforced', async () => {
      const show = await cloud.request('GET', '/v2.1/os-quota-sets/p1', { token: 'alice:p1' });
      assert.equal(show.status, 200);
      assert.equal(show.body.quota_set.id, 'p1');
      assert.equal(show.body.quota_set.instances, 10);
      assert.equal(show.body.quota_set.key_pairs, 100);
      assert.equal((await cloud.request('PUT', '/v2.1/os-quota-sets/p1', { token: 'alice:p1', body: { quota_set: { instances: 50 } } })).status, 403);
      const other = await cloud.request('GET', '/v2.1/os-quota-sets/p2', { token: 'alice:p1' });
      assert.equal(other.status, 403, 'another project\'s quotas are not visible');
      const upd = await cloud.request('PUT', '/v2.1/os-quota-sets/p1', { body: { quota_set: { instances: 5, key_pairs: 1, force: true } } });
      assert.equal(upd.status, 200);
      assert.equal(upd.body.quota_set.instances, 5);
      assert.equal(upd.body.quota_set.id, undefined);
      const detail = await cloud.request('GET', '/v2.1/os-quota-sets/p1/detail?user_id=alice', { token: 'alice:p1' });
      assert.deepEqual(detail.body.quota_set.key_pairs, { limit: 1, in_use: 1, reserved: 0 });
      const over = await cloud.request('POST', '/v2.1/os-keypairs', { token: 'alice:p1', body: { keypair: { name: 'onemore' } } });
      assert.deepEqual(over.body, { forbidden: { code: 403, message: 'Quota exceeded, too many key pairs.' } });
      const below = await cloud.request('PUT', '/v2.1/os-quota-sets/p1?user_id=alice', { body: { quota_set: { key_pairs: 0 } } });
      assert.equal(below.status, 400, 'a limit below usage needs force');
      const badValue = await cloud.request('PUT', '/v2.1/os-quota-sets/p1', { body: { quota_set: { instances: -2 } } });
      assert.equal(badValue.status, 400);
      const unknown = await cloud.request('PUT', '/v2.1/os-quota-sets/p1', { body: { quota_set: { gpus: 1 } } });
      assert.match(unknown.body.badRequest.message, /'gpus' was unexpected/);
      const badForce = await cloud.request('PUT', '/v2.1/os-quota-sets/p1', { body: { quota_set: { force: 'maybe' } } });
      assert.match(badForce.body.badRequest.message, /^Invalid input for field\/attribute force\. Value: maybe\. 'maybe' is not one of \[True, 'True'/);
      const badRam = await cloud.request('PUT', '/v2.1/os-quota-sets/p1', { body: { quota_set: { ram: 'x' } } });
      assert.equal(badRam.body.badRequest.message, "Invalid input for field/attribute ram. Value: x. 'x' does not match '^-?[0-9]+$'");
      assert.equal((await cloud.request('DELETE', '/v2.1/os-quota-sets/p1')).status, 202);
      assert.equal((await cloud.request('GET', '/v2.1/os-quota-sets/p1')).body.quota_set.instances, 10);
      const defaults = await cloud.request('GET', '/v2.1/os-quota-sets/p1/defaults', { token: 'alice:p1' });
      assert.equal(defaults.body.quota_set.cores, 20);
    });

    it('limits show the project\'s absolute limits and usage; quota class defaults apply to everyone', async () => {
      const cls = await cloud.request('PUT', '/v2.1/os-quota-class-sets/default', { body: { quota_class_set: { cores: 40 } } });
      assert.equal(cls.status, 200);
      assert.equal(cls.body.quota_class_set.cores, 40);
      const r = await cloud.request('GET', '/v2.1/limits', { token: 'bob:p9' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.limits.rate, []);
      const abs = r.body.limits.absolute;
      assert.equal(abs.maxTotalCores, 40);
      assert.equal(abs.maxTotalInstances, 10);
      assert.equal(abs.totalInstancesUsed, 0);
      assert.equal(abs.maxImageMeta, 128, 'maxImageMeta is shown before 2.39');
      assert.equal((await cloud.request('GET', '/v2.1/os-quota-class-sets/default', { token: 'bob:p9' })).status, 403);
    });
  });
}

for (const backend of BACKENDS) {
  describe(`key_pairs quota under concurrency (${backend})`, () => {
    let cloud: Cloud;
    before(async () => {
      cloud = await startCloud(backend, '[quota]\nkey_pairs = 3\n');
    });
    after(async () => cloud?.stop());

    it('ten concurrent imports against a quota of 3 leave exactly 3 keys, the rest get Nova\'s 403', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kpq-'));
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      const pub = readFileSync(join(dir, 'k.pub'), 'utf8').trim();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
        cloud.request('POST', '/v2.1/os-keypairs', { token: 'erin:pq', body: { keypair: { name: `k${i}`, public_key: pub } } })));
      assert.equal(results.filter((r) => r.status === 200).length, 3, results.map((r) => r.status).join(','));
      assert.ok(results.filter((r) => r.status !== 200).every((r) => r.body?.forbidden?.message === 'Quota exceeded, too many key pairs.'));
      const listed = await cloud.request('GET', '/v2.1/os-keypairs', { token: 'erin:pq' });
      assert.equal(listed.body.keypairs.length, 3);
    });
  });
}
