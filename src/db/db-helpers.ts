import { DataSource, EntityManager } from 'typeorm';

/** Helpers every repository shares: unique-key detection, deadlock retries, transactions, dates. */

/**
 * For a unique-key violation, the violated key as the engine names it (MariaDB: the index name,
 * e.g. `uniq_flavors0flavorid`; SQLite: the columns, e.g. `flavors.flavorid`); otherwise null.
 */
export function uniqueViolation(err: unknown): string | null {
  const e = (err ?? {}) as { code?: string; errno?: number; message?: string; driverError?: { message?: string } };
  const message = e.driverError?.message ?? e.message ?? '';
  if (e.code === 'ER_DUP_ENTRY' || e.errno === 1062) return /for key '([^']+)'/.exec(message)?.[1] ?? '';
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return /UNIQUE constraint failed: (.*)$/.exec(message)?.[1] ?? '';
  }
  return null;
}

/** MariaDB may pick a concurrent upsert as a deadlock victim; such statements are safe to rerun. */
export async function retryOnDeadlock<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (i >= attempts || (code !== 'ER_LOCK_DEADLOCK' && code !== 'SQLITE_BUSY')) throw err;
    }
  }
}

const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/**
 * A transaction. TypeORM's SQLite driver shares one query runner, so two overlapping
 * `ds.transaction` calls would nest as savepoints of each other: on SQLite ours run one at a time.
 */
export function inTransaction<T>(ds: DataSource, fn: (m: EntityManager) => Promise<T>): Promise<T> {
  if (ds.options.type !== 'better-sqlite3') return ds.transaction(fn);
  const run = (sqliteQueues.get(ds) ?? Promise.resolve()).then(() => ds.transaction(fn));
  sqliteQueues.set(ds, run.catch(() => undefined));
  return run;
}

export function isoOrNull(d: Date | string | null | undefined): string | null {
  if (d === null || d === undefined) return null;
  return (d instanceof Date ? d : new Date(d)).toISOString();
}
