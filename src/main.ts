#!/usr/bin/env node
/**
 * The `nova` binary: runs roles (`nova --role=...`) or an admin command (`nova db sync`, ...).
 * Exit codes: 0 ok, 1 configuration or runtime error (one clear line, no stack trace), 2 usage.
 */
import 'reflect-metadata';
import { Invocation, parseArgv, USAGE } from './cli/argv';
import { ConfigError, NovaError, UsageError } from './common/errors';
import { loadConfig } from './config/config-loader';
import { generateSample } from './config/sample-generator';
import { VERSION } from './common/version';

// Nest and TypeORM take most of a second to load: only the paths that need them import them
// (below, lazily), so --help, --version, usage errors and config errors answer at once.

const print = (line: string) => process.stdout.write(line + '\n');
const fail = (line: string) => process.stderr.write(`nova: ${line}\n`);

export async function main(argv: string[]): Promise<number> {
  let inv: Invocation;
  try {
    inv = parseArgv(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      fail(`${err.message}; see 'nova --help'`);
      return 2;
    }
    throw err;
  }
  if (inv.kind === 'help') {
    print(USAGE);
    return 0;
  }
  if (inv.kind === 'version') {
    print(VERSION);
    return 0;
  }
  if (inv.kind === 'command' && inv.command === 'config sample') {
    process.stdout.write(generateSample());
    return 0;
  }
  if (inv.kind === 'command' && inv.command === 'policy sample') {
    process.stdout.write((await import('./api/policy/policy-sample')).generatePolicySample());
    return 0;
  }

  let debug = false;
  try {
    const overrides = inv.host ? [{ section: 'DEFAULT', name: 'host', value: inv.host }] : [];
    const loaded = loadConfig({ configFiles: inv.configFiles, configDirs: inv.configDirs, overrides });
    debug = loaded.conf.DEFAULT.debug;
    if (inv.kind === 'identity') {
      for (const w of loaded.warnings) fail(`warning: ${w}`);
      await (await import('./cli/identity.command')).identityCommand(loaded.conf, inv, print);
      return 0;
    }
    if (inv.kind === 'command') {
      for (const w of loaded.warnings) fail(`warning: ${w}`);
      if (inv.command === 'db sync') await (await import('./cli/db-sync.command')).dbSyncCommand(loaded.conf, print);
      else await (await import('./cli/service-list.command')).serviceListCommand(loaded.conf, print);
      return 0;
    }
    await (await import('./serve')).serve(loaded.conf, inv.roles, loaded.warnings);
    // serve() sets exitCode when a role failed after start-up (e.g. the compute's hypervisor refused it).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const e of err.errors) fail(e);
      return 1;
    }
    if (err instanceof NovaError) {
      fail(err.message);
      return 1;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    fail(`unexpected error: ${e.message}${debug && e.stack ? `\n${e.stack}` : ''}`);
    return 1;
  }
}

/** Exits once stdout and stderr are flushed (writes to a pipe are asynchronous; exit() would drop them). */
export function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(exitAfterFlush, (err: unknown) => {
    fail(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    exitAfterFlush(1);
  });
}
