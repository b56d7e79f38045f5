import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeTransportUrl, InvalidTransportUrl, maskTransportUrl, parseTransportUrl } from '../../src/rpc/transport-url';

describe('transport_url', () => {
  it('unset, empty and fake:// select the in-process bus', () => {
    assert.equal(parseTransportUrl(undefined), null);
    assert.equal(parseTransportUrl(''), null);
    assert.equal(parseTransportUrl('   '), null);
    assert.equal(parseTransportUrl('fake://'), null);
  });

  it('parses one host with defaults', () => {
    assert.deepEqual(parseTransportUrl('rabbit://guest:guest@127.0.0.1:5672/'), {
      scheme: 'rabbit', hosts: [{ host: '127.0.0.1', port: 5672 }], username: 'guest', password: 'guest',
      virtualHost: '/', query: {}, tls: false,
    });
    const u = parseTransportUrl('amqp://rabbit.example');
    assert.deepEqual(u?.hosts, [{ host: 'rabbit.example', port: 5672 }]);
    assert.equal(u?.username, 'guest');
    assert.equal(u?.virtualHost, '/');
  });

  it('parses several hosts, the vhost, URL-encoded credentials and options', () => {
    const u = parseTransportUrl('rabbit://nova:p%40ss%2Fw%3Ard@h1:5672,nova:p%40ss%2Fw%3Ard@h2:5673/nova%2Fprod?heartbeat=30&ssl=1');
    assert.ok(u);
    assert.deepEqual(u.hosts, [{ host: 'h1', port: 5672 }, { host: 'h2', port: 5673 }]);
    assert.equal(u.username, 'nova');
    assert.equal(u.password, 'p@ss/w:rd');
    assert.equal(u.virtualHost, 'nova/prod');
    assert.deepEqual(u.query, { heartbeat: '30', ssl: '1' });
    assert.equal(u.tls, true);
    assert.equal(parseTransportUrl('rabbit://u:p@h?ssl=1')?.hosts[0].port, 5671);
    assert.deepEqual(parseTransportUrl('rabbit://u:p@[::1]:5672,h2/')?.hosts, [{ host: '::1', port: 5672 }, { host: 'h2', port: 5672 }]);
    assert.equal(parseTransportUrl('rabbit://u:p@h/vh')?.virtualHost, 'vh');
  });

  it('rejects what it cannot use, without showing the password', () => {
    const bad = ['kafka://h', 'rabbit://', 'rabbit://u:p@h:99999', 'rabbit://a:secret@h1,b:secret@h2', 'rabbit://u:p@h1,,h2', 'nonsense'];
    for (const url of bad) {
      assert.throws(() => parseTransportUrl(url), (err: unknown) => {
        assert.ok(err instanceof InvalidTransportUrl, `${url}: ${String(err)}`);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      });
    }
  });

  it('masks passwords for messages', () => {
    const u = parseTransportUrl('rabbit://guest:topsecret@127.0.0.1:5673/');
    assert.ok(u);
    assert.equal(describeTransportUrl(u), 'rabbit://guest:****@127.0.0.1:5673/');
    assert.equal(
      describeTransportUrl(parseTransportUrl('rabbit://n:x@h1,n:x@h2:5673/v?heartbeat=5') as NonNullable<ReturnType<typeof parseTransportUrl>>),
      'rabbit://n:****@h1:5672,n:****@h2:5673/v?heartbeat=5',
    );
    assert.equal(maskTransportUrl('rabbit://u:secret@h1:5672,u:secret@h2/vh'), 'rabbit://u:****@h1:5672,u:****@h2/vh');
    assert.equal(maskTransportUrl('rabbit://u:sec/ret@h1/'), 'rabbit://u:****@h1/');
    assert.equal(maskTransportUrl('rabbit://h1:5672/'), 'rabbit://h1:5672/');
  });
});
