import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { Conflict, Invalid, NotFound } from '../../src/common/errors';
import { generateKeyPair } from '../../src/common/ssh-keys';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { KeyPairRepository } from '../../src/db/repositories/keypair.repository';
import { createTestDatabases, ENGINES, TestDatabases } from '../utils/databases';

const rejectsWith = (p: Promise<unknown>, cls: typeof Conflict | typeof Invalid | typeof NotFound, message: string) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    assert.equal((err as Error).message, message);
    return true;
  });
const PUB = generateKeyPair('ed25519');

/** A self-signed certificate from openssl, or null when openssl is missing. */
function makeCertificate(): string | null {
  if (spawnSync('which', ['openssl']).status !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'nova-cert-'));
  try {
    const r = spawnSync('openssl', ['req', '-x509', '-nodes', '-newkey', 'rsa:2048', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '1', '-subj', '/CN=kp']);
    return r.status === 0 ? readFileSync(join(dir, 'c'), 'utf8') : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const CERT = makeCertificate();

for (const engine of ENGINES) {
  describe(`key pairs on ${engine}`, () => {
    let dbs: TestDatabases;
    let ds: DataSource;
    let repo: KeyPairRepository;

    before(async () => {
      dbs = await createTestDatabases(engine);
      ds = await openDataSource('api', parseConnectionUrl(dbs.api));
      await syncSchema(ds);
      repo = new KeyPairRepository(ds);
    });
    after(async () => {
      await ds.destroy();
      await dbs.drop();
    });

    it('stores an ssh key with its fingerprint and reads it back', async () => {
      const kp = await repo.create({ name: 'mine', userId: 'u1', publicKey: PUB.publicKey });
      assert.equal(kp.fingerprint, PUB.fingerprint);
      assert.equal(kp.type, 'ssh');
      assert.equal(kp.user_id, 'u1');
      assert.equal(kp.public_key, PUB.publicKey);
      assert.equal(kp.updated_at, null);
      assert.ok(Math.abs(Date.parse(kp.created_at!) - Date.now()) < 5_000);
      assert.deepEqual(await repo.get('u1', 'mine'), kp);
    });

    it('stores an x509 certificate with its SHA-1 fingerprint', { skip: !CERT && 'no openssl' }, async () => {
      const kp = await repo.create({ name: 'cert', userId: 'u-x509', publicKey: CERT!, type: 'x509' });
      assert.equal(kp.type, 'x509');
      assert.match(kp.fingerprint, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    });

    it('refuses invalid keys before storing anything', async () => {
      await rejectsWith(repo.create({ name: 'bad', userId: 'u-bad', publicKey: 'ssh-rsa AAAA' }), Invalid, 'Keypair data is invalid: failed to generate fingerprint');
      await assert.rejects(repo.create({ name: 'bad', userId: 'u-bad', publicKey: PUB.publicKey, type: 'x509' }), Invalid);
      assert.equal(await repo.countForUser('u-bad'), 0);
    });

    it('names are unique per user, not across users', async () => {
      await repo.create({ name: 'shared', userId: 'ua', publicKey: PUB.publicKey });
      await repo.create({ name: 'shared', userId: 'ub', publicKey: PUB.publicKey });
      await rejectsWith(repo.create({ name: 'shared', userId: 'ua', publicKey: PUB.publicKey }), Conflict, "Key pair 'shared' already exists.");
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => repo.create({ name: 'race', userId: 'uc', publicKey: PUB.publicKey })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.ok(r.reason instanceof Conflict, String(r.reason));
          assert.equal(r.reason.message, "Key pair 'race' already exists.");
        }
      }
      assert.equal(await repo.countForUser('uc'), 1);
    });

    it("get and delete answer Nova's not-found message", async () => {
      await rejectsWith(repo.get('u1', 'nope'), NotFound, 'Keypair nope not found for user u1');
      await repo.create({ name: 'gone', userId: 'ud', publicKey: PUB.publicKey });
      await repo.delete('ud', 'gone');
      await rejectsWith(repo.delete('ud', 'gone'), NotFound, 'Keypair gone not found for user ud');
      await rejectsWith(repo.get('ud', 'gone'), NotFound, 'Keypair gone not found for user ud');
      await repo.create({ name: 'gone', userId: 'ud', publicKey: PUB.publicKey });
    });

    it('lists a user\'s key pairs by name, page by page, and counts them', async () => {
      const names = ['kp-d', 'kp-a', 'kp-c', 'kp-e', 'kp-b'];
      for (const name of names) await repo.create({ name, userId: 'lister', publicKey: PUB.publicKey });
      await repo.create({ name: 'kp-0', userId: 'someone-else', publicKey: PUB.publicKey });
      const all = await repo.list('lister');
      assert.deepEqual(all.map((k) => k.name), ['kp-a', 'kp-b', 'kp-c', 'kp-d', 'kp-e']);
      assert.deepEqual((await repo.list('lister', { limit: 2 })).map((k) => k.name), ['kp-a', 'kp-b']);
      assert.deepEqual((await repo.list('lister', { limit: 2, marker: 'kp-b' })).map((k) => k.name), ['kp-c', 'kp-d']);
      assert.deepEqual((await repo.list('lister', { limit: 2, marker: 'kp-d' })).map((k) => k.name), ['kp-e']);
      assert.deepEqual(await repo.list('lister', { marker: 'kp-e' }), []);
      assert.deepEqual(await repo.list('lister', { limit: 0 }), []);
      await rejectsWith(repo.list('lister', { marker: 'kp-0' }), Invalid, 'Marker kp-0 could not be found.');
      assert.equal(await repo.countForUser('lister'), 5);
      assert.equal(await repo.countForUser('nobody'), 0);
      assert.deepEqual(await repo.list('nobody'), []);
    });
  });
}
