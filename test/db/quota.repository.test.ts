import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { Forbidden, Invalid, NotFound } from '../../src/common/errors';
import { openDataSource } from '../../src/db/data-source';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { syncSchema } from '../../src/db/schema';
import { QuotaRepository } from '../../src/db/repositories/quota.repository';
import { checkQuota, keypairLimitExceeded, QuotaConfigDefaults, QuotaLimits } from '../../src/objects/quota.object';
import { createTestDatabases, ENGINES, TestDatabases } from '../utils/databases';

/** Nova's `[quota]` defaults, as the config section hands them over (note injected_file_path_length). */
const CONFIG: QuotaConfigDefaults = {
  instances: 10, cores: 20, ram: 51200, metadata_items: 128, injected_files: 5, injected_file_content_bytes: 10240,
  injected_file_path_length: 255, key_pairs: 100, server_groups: 10, server_group_members: 10,
};
const DEFAULTS: QuotaLimits = {
  instances: 10, cores: 20, ram: 51200, metadata_items: 128, injected_files: 5, injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255, key_pairs: 100, server_groups: 10, server_group_members: 10,
};

describe('checkQuota', () => {
  const limits = { instances: 10, cores: 20, ram: 51200 };
  const over = (fn: () => void, message: string) =>
    assert.throws(fn, (err: unknown) => err instanceof Forbidden && err.code === 403 && err.message === message);

  it('passes up to the limit, and always when unlimited', () => {
    checkQuota(limits, { instances: 9, cores: 18 }, { instances: 1, cores: 2 });
    checkQuota({ ...limits, cores: -1 }, { cores: 1_000_000 }, { cores: 64 });
    checkQuota(limits, {}, {});
    checkQuota({}, { instances: 99 }, { instances: 1 });
  });

  it("fails with Nova's TooManyInstances message", () => {
    over(() => checkQuota(limits, { instances: 10 }, { instances: 1 }), 'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances');
    over(() => checkQuota(limits, { instances: 2, cores: 18, ram: 50000 }, { instances: 1, cores: 4, ram: 4096 }),
      'Quota exceeded for cores, ram: Requested 4, 4096, but already used 18, 50000 of 20, 51200 cores, ram');
    over(() => checkQuota(limits, { instances: 9 }, { instances: 3 }, { instances: '2-3' }),
      'Quota exceeded for instances: Requested 2-3, but already used 9 of 10 instances');
  });

  it("key pair quota has Nova's own message", () => {
    assert.equal(keypairLimitExceeded().message, 'Quota exceeded, too many key pairs.');
    assert.equal(keypairLimitExceeded().code, 403);
  });
});

for (const engine of ENGINES) {
  describe(`quotas on ${engine}`, () => {
    let dbs: TestDatabases;
    let ds: DataSource;
    let repo: QuotaRepository;

    before(async () => {
      dbs = await createTestDatabases(engine);
      ds = await openDataSource('api', parseConnectionUrl(dbs.api));
      await syncSchema(ds);
      repo = new QuotaRepository(ds, CONFIG);
    });
    after(async () => {
      await ds.destroy();
      await dbs.drop();
    });

    it('defaults come from [quota], then the default quota class overrides them', async () => {
      assert.deepEqual(await repo.getDefaults(), DEFAULTS);
      assert.deepEqual(await repo.getProjectQuotas('fresh'), DEFAULTS);
      assert.deepEqual(await repo.setClassQuotas('default', { cores: 40, key_pairs: -1 }), { ...DEFAULTS, cores: 40, key_pairs: -1 });
      assert.deepEqual(await repo.getDefaults(), { ...DEFAULTS, cores: 40, key_pairs: -1 });
      assert.deepEqual(await repo.getProjectQuotas('fresh', 'some-user'), { ...DEFAULTS, cores: 40, key_pairs: -1 });
      await repo.setClassQuotas('default', { cores: 30 });
      assert.equal((await repo.getDefaults()).cores, 30, 'a class row is updated in place');
      assert.deepEqual(await repo.getClassQuotas('gold'), DEFAULTS, 'other classes fall back to the configuration');
      await repo.setClassQuotas('gold', { instances: 50 });
      assert.deepEqual(await repo.getClassQuotas('gold'), { ...DEFAULTS, instances: 50 });
      await repo.setClassQuotas('default', { cores: 20, key_pairs: 100 });
    });

    it('user limits override project limits, which override the defaults; -1 is unlimited', async () => {
      assert.deepEqual(await repo.setProjectQuotas('p1', { instances: 20, ram: -1 }), { ...DEFAULTS, instances: 20, ram: -1 });
      assert.deepEqual(await repo.setProjectQuotas('p1', { instances: 5 }, 'alice'), { ...DEFAULTS, instances: 5, ram: -1 });
      assert.deepEqual(await repo.getProjectQuotas('p1', 'bob'), { ...DEFAULTS, instances: 20, ram: -1 }, 'bob has no limits of his own');
      assert.deepEqual(await repo.getProjectQuotas('p1'), { ...DEFAULTS, instances: 20, ram: -1 });
      assert.deepEqual(await repo.getProjectQuotas('p2'), DEFAULTS, 'projects do not share limits');
      assert.deepEqual(await repo.getStoredLimits('p1'), { instances: 20, ram: -1 });
      assert.deepEqual(await repo.getStoredLimits('p1', 'alice'), { instances: 5 });
      assert.deepEqual(await repo.getStoredLimits('p1', 'bob'), {});
      await repo.setProjectQuotas('p1', { instances: 7, cores: -1 }, 'alice');
      assert.deepEqual(await repo.getProjectQuotas('p1', 'alice'), { ...DEFAULTS, instances: 7, cores: -1, ram: -1 });
      assert.deepEqual(await repo.setProjectQuotas('p1', {}), await repo.getProjectQuotas('p1'));
    });

    it('deleting returns a user, or a project and all its users, to the defaults', async () => {
      await repo.setProjectQuotas('p3', { instances: 3 });
      await repo.setProjectQuotas('p3', { instances: 1 }, 'carol');
      await repo.setProjectQuotas('p3', { instances: 2 }, 'dave');
      await repo.setProjectQuotas('p4', { instances: 4 });
      await repo.deleteProjectQuotas('p3', 'carol');
      assert.equal((await repo.getProjectQuotas('p3', 'carol')).instances, 3);
      assert.equal((await repo.getProjectQuotas('p3', 'dave')).instances, 2);
      await repo.deleteProjectQuotas('p3');
      assert.deepEqual(await repo.getProjectQuotas('p3'), DEFAULTS);
      assert.deepEqual(await repo.getProjectQuotas('p3', 'dave'), DEFAULTS);
      assert.equal((await repo.getProjectQuotas('p4')).instances, 4, 'other projects keep theirs');
      await repo.deleteProjectQuotas('never-set');
      await repo.deleteProjectQuotas('never-set', 'nobody');
    });

    it('refuses unknown resources and out-of-range limits', async () => {
      await assert.rejects(repo.setProjectQuotas('p5', { floating_ips: 1 } as Partial<QuotaLimits>),
        (err: unknown) => err instanceof NotFound && err.message === "Unknown quota resources ['floating_ips'].");
      for (const bad of [-2, 1.5, 2147483648, Number.NaN]) {
        await assert.rejects(repo.setProjectQuotas('p5', { cores: bad }), Invalid, String(bad));
      }
      await assert.rejects(repo.setClassQuotas('default', { ram: -5 }), Invalid);
      assert.deepEqual(await repo.getProjectQuotas('p5'), DEFAULTS, 'nothing was written');
    });

    it('concurrent updates of the same limits all succeed and leave one of the values', async () => {
      const writes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => repo.setProjectQuotas('p6', { instances: i, cores: i }, i % 2 ? 'eve' : undefined)));
      assert.deepEqual(writes.filter((w) => w.status === 'rejected'), []);
      const project = await repo.getProjectQuotas('p6');
      assert.equal(project.instances, project.cores);
      assert.ok([0, 2, 4, 6].includes(project.instances));
      assert.ok([1, 3, 5, 7].includes((await repo.getProjectQuotas('p6', 'eve')).instances));
    });
  });
}
