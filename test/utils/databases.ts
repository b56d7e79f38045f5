/**
 * Real databases for tests: a temporary SQLite file, and a throwaway database on the MariaDB
 * server (root, no password, 127.0.0.1:3306 unless NOVA_TEST_MYSQL says otherwise) dropped after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';

export type Engine = 'sqlite' | 'mysql';
export const ENGINES: Engine[] = ['sqlite', 'mysql'];

/** Base server URL, without a database name. */
export const MYSQL_SERVER = process.env.NOVA_TEST_MYSQL ?? 'mysql+pymysql://root@127.0.0.1:3306';

export interface TestDatabases {
  engine: Engine;
  /** `[database] connection` */
  main: string;
  /** `[api_database] connection` */
  api: string;
  /** A state_path directory for this test (SQLite files live here when no connection is set). */
  statePath: string;
  drop(): Promise<void>;
}

function serverParts() {
  const m = /^[a-z+]+:\/\/([^:@/]*)(?::([^@/]*))?@([^:/]+)(?::(\d+))?/.exec(MYSQL_SERVER);
  if (!m) throw new Error(`bad NOVA_TEST_MYSQL: ${MYSQL_SERVER}`);
  return { user: m[1], password: m[2] ?? '', host: m[3], port: Number(m[4] ?? 3306) };
}

export async function mysqlAdmin(sql: string): Promise<void> {
  const p = serverParts();
  const conn = await createConnection({ host: p.host, port: p.port, user: p.user, password: p.password });
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

export async function createTestDatabases(engine: Engine): Promise<TestDatabases> {
  const statePath = mkdtempSync(join(tmpdir(), 'nova-test-'));
  if (engine === 'sqlite') {
    return {
      engine,
      // sqlite:/// + an absolute path = sqlite:////abs/path.db
      main: `sqlite:///${join(statePath, 'main.db')}`,
      api: `sqlite:///${join(statePath, 'api.db')}`,
      statePath,
      drop: async () => rmSync(statePath, { recursive: true, force: true }),
    };
  }
  const suffix = randomBytes(4).toString('hex');
  const mainDb = `nova_test_${suffix}`;
  const apiDb = `nova_api_test_${suffix}`;
  await mysqlAdmin(`CREATE DATABASE ${mainDb} CHARACTER SET utf8mb4`);
  await mysqlAdmin(`CREATE DATABASE ${apiDb} CHARACTER SET utf8mb4`);
  const base = MYSQL_SERVER.replace(/\/$/, '');
  return {
    engine,
    main: `${base}/${mainDb}?charset=utf8`,
    api: `${base}/${apiDb}?charset=utf8`,
    statePath,
    drop: async () => {
      await mysqlAdmin(`DROP DATABASE IF EXISTS ${mainDb}`);
      await mysqlAdmin(`DROP DATABASE IF EXISTS ${apiDb}`);
      rmSync(statePath, { recursive: true, force: true });
    },
  };
}
