import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgv } from '../../src/cli/argv';
import { UsageError } from '../../src/common/errors';
import { missingInProcessPeers, ROLES } from '../../src/roles';

describe('nova command line', () => {
  it('reads roles, repeatable config files and dirs, and --host in both --opt=v and --opt v forms', () => {
    assert.deepEqual(parseArgv(['--role=compute,api', '--config-file', 'a.conf', '--config-file=b.conf', '--config-dir', 'd', '--host=cmp1']), {
      kind: 'serve', roles: ['api', 'compute'], configFiles: ['a.conf', 'b.conf'], configDirs: ['d'], host: 'cmp1',
    });
  });

  it('expands all to every role, once each', () => {
    const inv = parseArgv(['--role=all,api']);
    assert.equal(inv.kind, 'serve');
    if (inv.kind === 'serve') assert.deepEqual(inv.roles, [...ROLES]);
  });

  it('reads admin commands with their options', () => {
    assert.deepEqual(parseArgv(['db', 'sync', '--config-file', 'x.conf']), { kind: 'command', command: 'db sync', configFiles: ['x.conf'], configDirs: [], host: undefined });
    assert.equal(parseArgv(['service', 'list']).kind, 'command');
  });

  it('rejects unknown roles, options and commands with one line naming the valid ones', () => {
    assert.throws(() => parseArgv(['--role=api,cmopute']), (e: Error) => e instanceof UsageError && /unknown role 'cmopute'.*valid: api, scheduler, conductor, compute, consoleauth, novncproxy, all/.test(e.message));
    assert.throws(() => parseArgv(['--rol=api']), (e: Error) => e instanceof UsageError && /unknown option '--rol'.*--role/.test(e.message));
    assert.throws(() => parseArgv(['db', 'migrate']), /unknown command 'db migrate' \(valid: db sync, service list, config sample, policy sample\)/);
    assert.throws(() => parseArgv(['--config-file']), /needs a value/);
    assert.throws(() => parseArgv([]), /nothing to do/);
    for (const argv of [['--role=api,cmopute'], ['--rol=api'], ['db', 'migrate']]) {
      assert.throws(() => parseArgv(argv), (e: Error) => !e.message.includes('\n'));
    }
  });

  it('--help and --version win over everything else', () => {
    assert.equal(parseArgv(['--role=api', '--help']).kind, 'help');
    assert.equal(parseArgv(['--version']).kind, 'version');
  });
});

describe('in-process bus peer rule', () => {
  it('accepts self-sufficient sets and names what a lone role is missing', () => {
    assert.equal(missingInProcessPeers([...ROLES]), null);
    assert.equal(missingInProcessPeers(['conductor', 'scheduler', 'compute']), null);
    assert.match(missingInProcessPeers(['compute']) ?? '', /compute needs conductor.*transport_url/);
    assert.match(missingInProcessPeers(['api']) ?? '', /api needs conductor/);
  });
});
