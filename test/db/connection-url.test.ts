import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maskConnectionUrl, parseConnectionUrl } from '../../src/db/connection-url';

describe('database connection URLs (as operators write them in nova.conf)', () => {
  it('parses the install-guide form mysql+pymysql://nova:PASS@controller/nova', () => {
    assert.deepEqual(parseConnectionUrl('mysql+pymysql://nova:NOVA_DBPASS@controller/nova'), {
      engine: 'mysql', host: 'controller', port: 3306, user: 'nova', password: 'NOVA_DBPASS', database: 'nova', charset: undefined, socketPath: undefined,
    });
  });

  it('keeps port, charset and URL-encoded credentials', () => {
    const t = parseConnectionUrl('mysql://nova:p%40ss%3Aword@10.0.0.11:3307/nova_api?charset=utf8');
    assert.equal(t.engine, 'mysql');
    if (t.engine !== 'mysql') return;
    assert.equal(t.port, 3307);
    assert.equal(t.password, 'p@ss:word');
    assert.equal(t.database, 'nova_api');
    assert.equal(t.charset, 'utf8');
  });

  it('accepts a unix socket and an IPv6 host', () => {
    const s = parseConnectionUrl('mysql+pymysql://nova:x@/nova?unix_socket=/run/mysqld/mysqld.sock');
    assert.equal(s.engine === 'mysql' && s.socketPath, '/run/mysqld/mysqld.sock');
    const v6 = parseConnectionUrl('mysql://nova:x@[::1]:3306/nova');
    assert.equal(v6.engine === 'mysql' && v6.host, '::1');
  });

  it('reads the three sqlite forms: relative, absolute, memory', () => {
    assert.deepEqual(parseConnectionUrl('sqlite:///relative.db'), { engine: 'sqlite', path: 'relative.db', memory: false });
    assert.deepEqual(parseConnectionUrl('sqlite:////var/lib/nova/nova.db'), { engine: 'sqlite', path: '/var/lib/nova/nova.db', memory: false });
    assert.deepEqual(parseConnectionUrl('sqlite://'), { engine: 'sqlite', path: ':memory:', memory: true });
  });

  it('rejects other engines, missing database names and bad ports without leaking the password', () => {
    for (const url of ['postgresql://nova:s3cret@db/nova', 'mysql://nova:s3cret@db', 'mysql://nova:s3cret@db:99999/nova', 'nonsense']) {
      assert.throws(() => parseConnectionUrl(url), (e: Error) => !e.message.includes('s3cret'));
    }
  });

  it('masks only the password', () => {
    assert.equal(maskConnectionUrl('mysql+pymysql://nova:s3cret@controller/nova'), 'mysql+pymysql://nova:****@controller/nova');
    assert.equal(maskConnectionUrl('sqlite:////x.db'), 'sqlite:////x.db');
  });
});
