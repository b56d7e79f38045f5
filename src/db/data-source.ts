import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { API_MIGRATIONS } from '../../migrations/api';
import { MAIN_MIGRATIONS } from '../../migrations/main';
import { ServiceUnavailable } from '../common/errors';
import { DbTarget, maskConnectionUrl, parseConnectionUrl } from './connection-url';
import { API_ENTITIES, MAIN_ENTITIES } from './entities';

/** Nova has two databases: the API database (flavors, keypairs, quotas, ...) and the main one. */
export type DatabaseName = 'main' | 'api';

export interface DatabaseSettings {
  /** `[database] connection` or `[api_database] connection`; unset = SQLite under state_path. */
  connection?: string;
  statePath: string;
  maxPoolSize?: number;
}

/** Name of the SQLite file used when no connection is configured (as Nova's devstack defaults). */
const DEFAULT_SQLITE_FILE: Record<DatabaseName, string> = { main: 'nova.sqlite', api: 'nova_api.sqlite' };

export function resolveDbTarget(name: DatabaseName, settings: DatabaseSettings): DbTarget {
  if (settings.connection && settings.connection.trim() !== '') return parseConnectionUrl(settings.connection);
  return { engine: 'sqlite', path: resolve(settings.statePath, DEFAULT_SQLITE_FILE[name]), memory: false };
}

/** Human-readable location for messages; never includes a password. */
export function describeDbTarget(target: DbTarget): string {
  if (target.engine === 'sqlite') return target.memory ? 'sqlite (in memory)' : `sqlite:///${target.path}`;
  const where = target.socketPath ? `unix:${target.socketPath}` : `${target.host}:${target.port}`;
  return maskConnectionUrl(`mysql://${target.user}:x@${where}/${target.database}`);
}

export function dataSourceOptions(name: DatabaseName, target: DbTarget, maxPoolSize = 5): DataSourceOptions {
  const entities = name === 'main' ? MAIN_ENTITIES : API_ENTITIES;
  const migrations = name === 'main' ? MAIN_MIGRATIONS : API_MIGRATIONS;
  const common = { entities, migrations, migrationsTableName: 'migrations_nova_ts', synchronize: false, logging: false } as const;
  if (target.engine === 'sqlite') {
    const path = target.memory || isAbsolute(target.path) ? target.path : resolve(target.path);
    return {
      ...common,
      type: 'better-sqlite3',
      database: path,
      // WAL lets several processes (e.g. api and conductor on one box) share the file safely.
      enableWAL: !target.memory,
      timeout: 10_000,
      // MariaDB's REGEXP operator, which server list filters use (Nova matches most fields as regexes).
      prepareDatabase: (db: { function(name: string, fn: (pattern: unknown, value: unknown) => number): void }) => {
        db.function('regexp', (pattern, value) => (value !== null && value !== undefined && safeRegex(String(pattern))?.test(String(value)) ? 1 : 0));
      },
    };
  }
  return {
    ...common,
    // 'mariadb' makes TypeORM read MariaDB's catalogue correctly (e.g. COLUMN_DEFAULT 'NULL').
    type: 'mariadb',
    host: target.socketPath ? undefined : target.host,
    port: target.socketPath ? undefined : target.port,
    socketPath: target.socketPath,
    username: target.user,
    password: target.password,
    database: target.database,
    charset: target.charset ?? 'utf8mb4',
    timezone: 'Z',
    connectTimeout: 10_000,
    poolSize: maxPoolSize,
    extra: { connectionLimit: maxPoolSize },
  };
}

const regexCache = new Map<string, RegExp | null>();

/** A compiled pattern, or null when it is not a valid JavaScript regex (matches nothing). */
function safeRegex(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern);
    } catch {
      re = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/**
 * Opens a data source, turning driver failures into one clear line
 * (e.g. "cannot connect to the main database at mysql://nova:****@db:3306/nova: ECONNREFUSED").
 */
export async function openDataSource(name: DatabaseName, target: DbTarget, maxPoolSize?: number): Promise<DataSource> {
  if (target.engine === 'sqlite' && !target.memory) mkdirSync(dirname(resolve(target.path)), { recursive: true });
  const ds = new DataSource(dataSourceOptions(name, target, maxPoolSize));
  try {
    await ds.initialize();
    if (target.engine === 'sqlite') await ds.query('PRAGMA foreign_keys = ON');
  } catch (err) {
    throw new ServiceUnavailable(`cannot connect to the ${name} database at ${describeDbTarget(target)}: ${describeDriverError(err)}`);
  }
  return ds;
}

function describeDriverError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: string; message?: string };
    if (e.code === 'ER_BAD_DB_ERROR') return `${e.message} (create it first: CREATE DATABASE ...; then run 'nova db sync')`;
    if (e.code && e.message && !e.message.includes(e.code)) return `${e.code}: ${e.message}`;
    if (e.message) return e.message;
    if (e.code) return e.code;
  }
  return String(err);
}
