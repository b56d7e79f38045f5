import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { DatabaseName, openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { assertSchemaCurrent, schemaStatus, syncSchema } from '../../src/db/schema';
import { SchemaVersionError } from '../../src/common/errors';
import { createTestDatabases, ENGINES, TestDatabases } from '../utils/databases';

for (const engine of ENGINES) {
  describe(`schema migrations on ${engine}`, () => {
    let dbs: TestDatabases;
    const open: DataSource[] = [];
    const ds = async (name: DatabaseName) => {
      const d = await openDataSource(name, parseConnectionUrl(name === 'main' ? dbs.main : dbs.api));
      open.push(d);
      return d;
    };

    before(async () => {
      dbs = await createTestDatabases(engine);
    });
    after(async () => {
      for (const d of open) if (d.isInitialized) await d.destroy();
      await dbs.drop();
    });

    for (const name of ['main', 'api'] as const) {
      it(`${name}: a fresh database is refused, sync applies every migration, a second sync applies none`, async () => {
        const d = await ds(name);
        await assert.rejects(assertSchemaCurrent(d, name), (e: Error) => e instanceof SchemaVersionError && /nova db sync/.test(e.message));
        const first = await syncSchema(d);
        assert.ok(first.length >= 1);
        assert.deepEqual(await syncSchema(d), []);
        await assertSchemaCurrent(d, name);
      });

      it(`${name}: the migrated schema matches the entities exactly`, async () => {
        const d = await ds(name);
        const pending = await d.driver.createSchemaBuilder().log();
        assert.deepEqual(pending.upQueries.map((q) => q.query), [], 'entities and migrations differ');
      });

      it(`${name}: a schema written by a newer nova-ts is refused`, async () => {
        const d = await ds(name);
        await d.query(`INSERT INTO migrations_nova_ts (timestamp, name) VALUES (9999999999999, 'FromTheFuture9999999999999')`);
        try {
          await assert.rejects(assertSchemaCurrent(d, name), /newer than this nova-ts/);
          await assert.rejects(syncSchema(d), /newer than this nova-ts/);
          assert.deepEqual((await schemaStatus(d)).unknown, ['FromTheFuture9999999999999']);
        } finally {
          await d.query(`DELETE FROM migrations_nova_ts WHERE name = 'FromTheFuture9999999999999'`);
        }
      });
    }

    it('enforces Nova unique constraints: keypair name per user, live service per host+binary', async () => {
      const api = await ds('api');
      const now = '2026-01-01 00:00:00';
      const kp = (user: string) => api.query('INSERT INTO key_pairs (name, user_id, type, created_at) VALUES (?, ?, ?, ?)', ['k1', user, 'ssh', now]);
      await kp('alice');
      await kp('bob');
      await assert.rejects(kp('alice'));
      const main = await ds('main');
      const svc = (uuid: string, deleted: number) =>
        main.query('INSERT INTO services (uuid, host, `binary`, topic, deleted) VALUES (?, ?, ?, ?, ?)'.replace(/`/g, engine === 'sqlite' ? '"' : '`'), [uuid, 'h1', 'nova-compute', 'compute', deleted]);
      await svc('u1', 0);
      await assert.rejects(svc('u2', 0));
      await svc('u3', 7); // a soft-deleted row does not block the name
    });
  });
}
