/**
 * Parses the SQLAlchemy-style URLs operators write in `[database] connection` and
 * `[api_database] connection` into a small engine-neutral description. Pure: no I/O.
 *
 *   mysql+pymysql://nova:PASS@controller/nova?charset=utf8
 *   mysql://nova:PASS@10.0.0.11:3307/nova
 *   mysql+pymysql://nova:PASS@/nova?unix_socket=/run/mysqld/mysqld.sock
 *   sqlite:///relative/nova.db     (relative to the working directory)
 *   sqlite:////var/lib/nova/nova.db (absolute)
 *   sqlite://                       (in memory)
 */

export type DbTarget =
  | { engine: 'sqlite'; path: string; memory: boolean }
  | {
      engine: 'mysql';
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
      charset?: string;
      socketPath?: string;
    };

export class ConnectionUrlError extends Error {}

const MYSQL_SCHEMES = new Set(['mysql', 'mysql+pymysql', 'mysql+mysqldb', 'mysql+mysqlconnector', 'mariadb', 'mariadb+pymysql']);

/** Returns the URL with its password replaced by `****`, for messages and logs. */
export function maskConnectionUrl(url: string): string {
  return url.replace(/^([a-z0-9+]+:\/\/[^:/@]*:)[^@]*@/i, '$1****@');
}

export function parseConnectionUrl(url: string): DbTarget {
  const trimmed = url.trim();
  const schemeEnd = trimmed.indexOf('://');
  if (schemeEnd <= 0) throw new ConnectionUrlError(`not a database URL: '${maskConnectionUrl(trimmed)}'`);
  const scheme = trimmed.slice(0, schemeEnd).toLowerCase();
  const rest = trimmed.slice(schemeEnd + 3);

  if (scheme === 'sqlite' || scheme === 'sqlite+pysqlite') {
    const pathPart = rest.split('?')[0];
    if (pathPart === '' || pathPart === ':memory:' || pathPart === '/:memory:') return { engine: 'sqlite', path: ':memory:', memory: true };
    if (!pathPart.startsWith('/')) throw new ConnectionUrlError(`sqlite URL must be sqlite:///relative.db or sqlite:////absolute.db, got '${trimmed}'`);
    // sqlite:///x.db -> "x.db" (relative); sqlite:////abs/x.db -> "/abs/x.db".
    return { engine: 'sqlite', path: decodeURIComponent(pathPart.slice(1)), memory: false };
  }

  if (!MYSQL_SCHEMES.has(scheme)) {
    throw new ConnectionUrlError(`unsupported database '${scheme}' in '${maskConnectionUrl(trimmed)}': use mysql+pymysql://, mysql:// or sqlite://`);
  }

  const [beforeQuery, query = ''] = splitOnce(rest, '?');
  const [authority, database = ''] = splitOnce(beforeQuery, '/');
  const at = authority.lastIndexOf('@');
  const credentials = at >= 0 ? authority.slice(0, at) : '';
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  const [user = '', password = ''] = credentials === '' ? [] : splitOnce(credentials, ':');
  const params = new URLSearchParams(query);

  let host = hostPort;
  let port = 3306;
  const ipv6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  if (ipv6) {
    host = ipv6[1];
    if (ipv6[2]) port = Number(ipv6[2]);
  } else if (hostPort.includes(':')) {
    const [h, p] = splitOnce(hostPort, ':');
    host = h;
    if (!/^\d+$/.test(p ?? '') || Number(p) < 1 || Number(p) > 65535) {
      throw new ConnectionUrlError(`invalid port '${p}' in '${maskConnectionUrl(trimmed)}'`);
    }
    port = Number(p);
  }
  const socketPath = params.get('unix_socket') ?? undefined;
  if (host === '' && !socketPath) host = 'localhost';
  if (database === '') throw new ConnectionUrlError(`no database name in '${maskConnectionUrl(trimmed)}' (expected .../nova)`);

  return {
    engine: 'mysql',
    host,
    port,
    user: decodeURIComponent(user),
    password: decodeURIComponent(password ?? ''),
    database: decodeURIComponent(database),
    charset: params.get('charset') ?? undefined,
    socketPath,
  };
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + sep.length)];
}
