import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NovaProcess, parseTable, runNova, waitFor, writeConf } from '../utils/nova-process';

/** A failure the operator sees: a clear message, never a stack trace. */
function assertCleanFailure(r: { code: number | null; stderr: string; stdout: string }, code: number, pattern: RegExp) {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at .+\(.*:\d+:\d+\)/, 'no stack trace');
}

describe('the nova binary: usage and bad input', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nova-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--version and --help answer and exit 0', () => {
    const v = runNova(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+/);
    const h = runNova(['--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /--role=ROLE/);
  });

  it('an unknown role or option exits 2 with one line naming the valid ones', () => {
    const r = runNova(['--role=api,bogus']);
    assertCleanFailure(r, 2, /unknown role 'bogus' \(valid: api, scheduler, conductor, compute, consoleauth, novncproxy, all\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assertCleanFailure(runNova(['--roles=api']), 2, /unknown option '--roles'/);
  });

  it('a malformed file, wrong types and an unknown section are all reported at once, exit 1', () => {
    const f = writeConf(dir, 'bad.conf', '[DEFAULT]\nreport_interval = ten\nthis is not an option line\n[databse]\nconnection = sqlite://\n[vnc]\nnovncproxy_port = 99999\n');
    const r = runNova(['db', 'sync', '--config-file', f]);
    assertCleanFailure(r, 1, /report_interval: expected an integer, got 'ten'/);
    assert.match(r.stderr, /bad\.conf:3/);
    assert.match(r.stderr, /unknown section \[databse\] \(did you mean \[database\]\?\)/);
    assert.match(r.stderr, /novncproxy_port/);
  });

  it('a missing config file is named', () => {
    assertCleanFailure(runNova(['db', 'sync', '--config-file', join(dir, 'nope.conf')]), 1, /nope\.conf/);
  });

  it('an unreachable database gives one line without the password', () => {
    const f = writeConf(dir, 'db.conf', `[DEFAULT]\nstate_path = ${dir}\n[database]\nconnection = mysql+pymysql://nova:Sup3rSecret@127.0.0.1:3307/nova\n[api_database]\nconnection = mysql+pymysql://nova:Sup3rSecret@127.0.0.1:3307/nova_api\n`);
    const r = runNova(['db', 'sync', '--config-file', f]);
    assertCleanFailure(r, 1, /cannot connect to the (api|main) database at .*127\.0\.0\.1:3307.*ECONNREFUSED/);
    assert.doesNotMatch(r.stderr, /Sup3rSecret/);
  });

  it('an unreachable broker gives one line without the password', () => {
    const f = writeConf(dir, 'mq.conf', `[DEFAULT]\nstate_path = ${dir}/mq\ntransport_url = rabbit://guest:Sup3rSecret@127.0.0.1:5673/\n`);
    const r = runNova(['--role=compute', '--config-file', f], 60_000);
    assertCleanFailure(r, 1, /message broker.*127\.0\.0\.1:5673/);
    assert.doesNotMatch(r.stderr, /Sup3rSecret/);
  });

  it('a lone role on the in-process bus is refused with what to set', () => {
    const f = writeConf(dir, 'lone.conf', `[DEFAULT]\nstate_path = ${dir}/lone\n`);
    assertCleanFailure(runNova(['--role=compute', '--config-file', f]), 1, /in-process bus.*compute needs conductor.*transport_url/);
  });

  it('a service refuses an un-synced database and says what to run', () => {
    const f = writeConf(dir, 'fresh.conf', `[DEFAULT]\nstate_path = ${dir}/fresh\n[api]\nauth_strategy = noauth2\n`);
    assertCleanFailure(runNova(['--role=all', '--config-file', f]), 1, /has no schema yet: run 'nova db sync'/);
  });

  it('the shipped config/policy.yaml is what `nova policy sample` generates', () => {
    const r = runNova(['policy', 'sample']);
    assert.equal(r.code, 0);
    const shipped = readFileSync(resolve(__dirname, '../../../config/policy.yaml'), 'utf8');
    assert.ok(r.stdout === shipped, 'config/policy.yaml is stale: regenerate it with `bin/nova policy sample > config/policy.yaml`');
    assert.match(shipped, /^#"os_compute_api:os-flavor-manage:create": "rule:context_is_admin"$/m);
  });

  it('the checked-in nova.conf.example is what `nova config sample` generates', () => {
    const r = runNova(['config', 'sample']);
    assert.equal(r.code, 0);
    const checkedIn = readFileSync(resolve(__dirname, '../../../nova.conf.example'), 'utf8');
    assert.ok(r.stdout === checkedIn, 'nova.conf.example is stale: regenerate it with `bin/nova config sample > nova.conf.example`');
  });
});

describe('the all-in-one cloud (embedded SQLite, in-process bus)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nova-aio-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('db sync is idempotent, every role registers and is up, SIGTERM stops it cleanly', async () => {
    const f = writeConf(dir, 'aio.conf', `[DEFAULT]\nstate_path = ${dir}/state\nreport_interval = 1\nservice_down_time = 5\nosapi_compute_listen = 127.0.0.1\nosapi_compute_listen_port = 0\n[api]\nauth_strategy = noauth2\n` +
      // Every listener on a free port, so the test never fights a running cloud for 9292 or 6080.
      '[image_service]\nlisten = 127.0.0.1\nlisten_port = 0\n[vnc]\nnovncproxy_host = 127.0.0.1\nnovncproxy_port = 0\n');
    const first = runNova(['db', 'sync', '--config-file', f]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /main database \(sqlite:\/\/\/.*nova\.sqlite\): applied MainInitialSchema/);
    assert.match(first.stdout, /api database \(sqlite:\/\/\/.*nova_api\.sqlite\): applied ApiInitialSchema/);
    const second = runNova(['db', 'sync', '--config-file', f]);
    assert.equal(second.code, 0);
    assert.match(second.stdout, /main database .*already up to date/);

    const cloud = new NovaProcess(['--role=all', '--config-file', f, '--host', 'aio1']);
    try {
      await cloud.waitForOutput(/running api, scheduler, conductor, compute, consoleauth, novncproxy on host aio1/);
      let rows: Array<Record<string, string>> = [];
      await waitFor(() => {
        rows = parseTable(runNova(['service', 'list', '--config-file', f]).stdout);
        return rows.length === 6 && rows.every((r) => r.State === 'up') && rows.some((r) => Number(r.ID) > 0 && r['Updated At'] !== '-');
      }, 20_000, 'six services up');
      assert.deepEqual(rows.map((r) => r.Binary).sort(), ['nova-api', 'nova-compute', 'nova-conductor', 'nova-consoleauth', 'nova-novncproxy', 'nova-scheduler']);
      assert.ok(rows.every((r) => r.Host === 'aio1'));
      assert.equal(rows.find((r) => r.Binary === 'nova-compute')?.Zone, 'nova');
      assert.equal(rows.find((r) => r.Binary === 'nova-conductor')?.Zone, 'internal');
    } finally {
      const code = await cloud.stop('SIGTERM');
      assert.equal(code, 0, cloud.output);
      assert.match(cloud.output, /SIGTERM received/);
      assert.match(cloud.output, /stopped/);
    }
  });
});
