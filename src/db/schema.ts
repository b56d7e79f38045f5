import { DataSource } from 'typeorm';
import { SchemaVersionError } from '../common/errors';
import { DatabaseName } from './data-source';

const MIGRATIONS_TABLE = 'migrations_nova_ts';

export interface SchemaStatus {
  applied: string[];
  pending: string[];
  /** Applied by a newer nova-ts: this binary does not know them. */
  unknown: string[];
}

export async function schemaStatus(ds: DataSource): Promise<SchemaStatus> {
  const known = ds.migrations.map((m) => m.name ?? m.constructor.name);
  const runner = ds.createQueryRunner();
  let applied: string[] = [];
  try {
    if (await runner.hasTable(MIGRATIONS_TABLE)) {
      const rows: Array<{ name: string }> = await runner.query(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`);
      applied = rows.map((r) => r.name);
    }
  } finally {
    await runner.release();
  }
  return {
    applied,
    pending: known.filter((n) => !applied.includes(n)),
    unknown: applied.filter((n) => !known.includes(n)),
  };
}

/** Applies the pending migrations (each in its own transaction) and returns their names. */
export async function syncSchema(ds: DataSource): Promise<string[]> {
  const status = await schemaStatus(ds);
  if (status.unknown.length > 0) throw newerSchemaError(ds, status);
  const ran = await ds.runMigrations({ transaction: 'each' });
  return ran.map((m) => m.name);
}

/** Refuses to run a service on a schema that is behind or ahead of this binary. */
export async function assertSchemaCurrent(ds: DataSource, name: DatabaseName): Promise<void> {
  const status = await schemaStatus(ds);
  if (status.unknown.length > 0) throw newerSchemaError(ds, status, name);
  if (status.pending.length > 0) {
    const what = status.applied.length === 0 ? 'has no schema yet' : `is missing ${status.pending.length} migration(s) (${status.pending.join(', ')})`;
    throw new SchemaVersionError(`the ${name} database ${what}: run 'nova db sync' with the same configuration first`);
  }
}

function newerSchemaError(_ds: DataSource, status: SchemaStatus, name?: DatabaseName): SchemaVersionError {
  return new SchemaVersionError(
    `the ${name ?? ''} database schema is newer than this nova-ts (unknown migrations: ${status.unknown.join(', ')}): upgrade nova-ts on this host`.replace('the  ', 'the '),
  );
}
