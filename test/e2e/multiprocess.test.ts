import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NovaProcess, databaseHandles, parseTable, runNova, waitFor, writeConf } from '../utils/nova-process';
import { createTestDatabases, TestDatabases } from '../utils/databases';
import { cloudConfLines } from '../utils/cloud';


describe('separate processes on MariaDB + RabbitMQ', () => {
  let dbs: TestDatabases;
  let conf: string;
  const procs: NovaProcess[] = [];
  const start = (args: string[]) => {
    const p = new NovaProcess([...args, '--config-file', conf]);
    procs.push(p);
    return p;
  };
  const services = () => parseTable(runNova(['service', 'list', '--config-file', conf]).stdout);

  before(async () => {
    dbs = await createTestDatabases('mysql');
    conf = writeConf(dbs.statePath, 'nova.conf', [
      ...cloudConfLines('mysql', dbs, 'nova_mp', ['report_interval = 1', 'service_down_time = 4']),
      '',
    ].join('\n'));
    const sync = runNova(['db', 'sync', '--config-file', conf]);
    assert.equal(sync.code, 0, sync.stderr);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL').catch(() => undefined)));
    await dbs.drop();
  });

  it('conductor+scheduler, two computes and the api come up; a killed compute goes down', async () => {
    const control = start(['--role=conductor,scheduler', '--host', 'ctl1']);
    const cmp1 = start(['--role=compute', '--host=cmp1']);
    const cmp2 = start(['--role=compute', '--host=cmp2']);
    const api = start(['--role=api', '--host', 'ctl1']);

    await waitFor(() => {
      const rows = services();
      return rows.length === 5 && rows.every((r) => r.State === 'up');
    }, 60_000, `five services up; last list:\n${runNova(['service', 'list', '--config-file', conf]).stdout}\n${cmp1.output}`);
    const rows = services();
    assert.deepEqual(rows.map((r) => `${r.Binary}@${r.Host}`).sort(), ['nova-api@ctl1', 'nova-compute@cmp1', 'nova-compute@cmp2', 'nova-conductor@ctl1', 'nova-scheduler@ctl1']);

    // nova-compute heartbeats through the conductor and holds no database connection or file.
    for (const c of [cmp1, cmp2]) {
      assert.deepEqual(databaseHandles(c.pid), { tcp: 0, sqliteFiles: [] }, `compute pid ${c.pid} must not touch the database`);
    }
    assert.ok(databaseHandles(control.pid).tcp > 0, 'the conductor does hold database connections (the check can see them)');
    const before = Number(services().find((r) => r.Host === 'cmp1')?.ID);
    assert.ok(before > 0);

    // Kill one compute without a chance to clean up: it turns down after service_down_time.
    await cmp2.stop('SIGKILL');
    await waitFor(() => services().find((r) => r.Host === 'cmp2')?.State === 'down', 20_000, 'cmp2 down');
    const after = services();
    assert.equal(after.find((r) => r.Host === 'cmp1')?.State, 'up');
    assert.equal(after.find((r) => r.Binary === 'nova-api')?.State, 'up');

    // The others stop gracefully on SIGTERM.
    for (const p of [cmp1, api, control]) assert.equal(await p.stop('SIGTERM'), 0, p.output);
  });
});
