import type { NovaConf } from '../config/options';
import { DatabaseName, describeDbTarget, openDataSource, resolveDbTarget } from '../db/data-source';
import { syncSchema } from '../db/schema';

/** `nova db sync`: creates or upgrades both schemas; idempotent; says what it applied. */
export async function dbSyncCommand(conf: NovaConf, print: (line: string) => void): Promise<void> {
  for (const name of ['api', 'main'] as DatabaseName[]) {
    const section = name === 'main' ? conf.database : conf.api_database;
    const target = resolveDbTarget(name, { connection: section.connection, statePath: conf.DEFAULT.state_path });
    const ds = await openDataSource(name, target);
    try {
      const applied = await syncSchema(ds);
      const where = describeDbTarget(target);
      if (applied.length === 0) print(`${name} database (${where}): already up to date`);
      else for (const m of applied) print(`${name} database (${where}): applied ${m}`);
    } finally {
      await ds.destroy();
    }
  }
}
