import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { ServiceRepository } from '../../src/db/repositories/service.repository';
import { isServiceUp } from '../../src/servicegroup/liveness';
import { createTestDatabases, ENGINES, TestDatabases } from '../utils/databases';

for (const engine of ENGINES) {
  describe(`services table on ${engine}`, () => {
    let dbs: TestDatabases;
    let ds: DataSource;
    let repo: ServiceRepository;

    before(async () => {
      dbs = await createTestDatabases(engine);
      ds = await openDataSource('main', parseConnectionUrl(dbs.main));
      await syncSchema(ds);
      repo = new ServiceRepository(ds);
    });
    after(async () => {
      await ds.destroy();
      await dbs.drop();
    });

    it('registers once per host and binary; a restart keeps the row and its disabled flag', async () => {
      const a = await repo.register({ host: 'c1', binary: 'nova-compute', topic: 'compute', version: 1 });
      await repo.setDisabled(a.id, true, 'maintenance');
      const again = await repo.register({ host: 'c1', binary: 'nova-compute', topic: 'compute', version: 2 });
      assert.equal(again.id, a.id);
      assert.equal(again.version, 2);
      const got = await repo.get(a.id);
      assert.equal(got.disabled, true);
      assert.equal(got.disabled_reason, 'maintenance');
    });

    it('concurrent registrations of the same service end with one row', async () => {
      const results = await Promise.all(Array.from({ length: 5 }, () => repo.register({ host: 'race', binary: 'nova-conductor', topic: 'conductor', version: 1 })));
      assert.equal(new Set(results.map((r) => r.id)).size, 1);
      assert.equal((await repo.list({ host: 'race' })).length, 1);
    });

    it('heartbeats count up and set last_seen_up; the service is up until service_down_time passes', async () => {
      const s = await repo.register({ host: 'hb', binary: 'nova-scheduler', topic: 'scheduler', version: 1 });
      assert.equal(s.last_seen_up, null);
      const beats = await Promise.all([repo.reportAlive(s.id), repo.reportAlive(s.id), repo.reportAlive(s.id)]);
      const last = await repo.get(s.id);
      assert.equal(last.report_count, 3, 'concurrent heartbeats must not lose increments');
      assert.ok(beats.every((b) => b.last_seen_up !== null));
      const seen = Date.parse(last.last_seen_up!);
      assert.ok(Math.abs(seen - Date.now()) < 5_000, `last_seen_up ${last.last_seen_up} should be now (UTC)`);
      assert.equal(isServiceUp(last, 60, seen + 59_000), true);
      assert.equal(isServiceUp(last, 60, seen + 61_000), false);
      const forced = await repo.setForcedDown(s.id, true);
      assert.equal(isServiceUp(forced, 60, seen), false);
    });

    it('soft delete hides the row and lets the same host and binary register anew', async () => {
      const s = await repo.register({ host: 'gone', binary: 'nova-compute', topic: 'compute', version: 1 });
      await repo.softDelete(s.id);
      await assert.rejects(repo.get(s.id), /could not be found/);
      await assert.rejects(repo.reportAlive(s.id), /could not be found/);
      const fresh = await repo.register({ host: 'gone', binary: 'nova-compute', topic: 'compute', version: 1 });
      assert.notEqual(fresh.id, s.id);
    });
  });
}
