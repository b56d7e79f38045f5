import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, Conflict, Invalid, NotFound, NovaError, ServiceUnavailable } from '../../src/common/errors';
import {
  deserializeFailure,
  failureDocument,
  isRemoteErrorClassRegistered,
  MessageDeliveryFailure,
  MessagingTimeout,
  NoSuchMethod,
  registerRemoteErrorClass,
  RemoteError,
  serializeFailure,
  UnsupportedVersion,
} from '../../src/rpc/rpc-errors';

class FlavorNotFound extends NotFound {
  readonly flavorId?: string;
}
registerRemoteErrorClass(FlavorNotFound);

class QuotaExceeded extends NovaError {
  constructor(readonly resource: string, readonly limit: number) {
    super(`Quota exceeded for ${resource}: limit ${limit}`);
  }
}
registerRemoteErrorClass(QuotaExceeded, { factory: (_m, kw) => new QuotaExceeded(String(kw.resource), Number(kw.limit)) });

const roundTrip = (err: unknown): Error => deserializeFailure(serializeFailure(err));

describe('RPC errors', () => {
  it('serializes failures as oslo does, with no traceback', () => {
    const doc = JSON.parse(serializeFailure(new NotFound('x'))) as Record<string, unknown>;
    assert.deepEqual(doc, { class: 'NotFound', module: 'nova.exception', message: 'x', tb: [], args: ['x'], kwargs: {} });
    assert.equal(failureDocument(new NoSuchMethod('m')).module, 'oslo_messaging.rpc.dispatcher');
    assert.equal(failureDocument(new TypeError('t')).module, 'builtins');
    assert.equal(failureDocument('a string').class, 'Error');
  });

  it('every NovaError of common/errors is re-raised with its class', () => {
    for (const err of [new NovaError('a'), new Invalid('b'), new NotFound('c'), new Conflict('d'), new ServiceUnavailable('e')]) {
      const back = roundTrip(err);
      assert.equal(back.constructor, err.constructor);
      assert.equal(back.message, err.message);
      assert.equal((back as NovaError).code, err.code);
    }
    const cfg = roundTrip(new ConfigError(['one', 'two']));
    assert.ok(cfg instanceof ConfigError);
    assert.deepEqual(cfg.errors, ['one', 'two']);
  });

  it('the bus errors are registered too', () => {
    for (const name of ['MessagingTimeout', 'NoSuchMethod', 'UnsupportedVersion', 'MessageDeliveryFailure']) {
      assert.ok(isRemoteErrorClassRegistered(name), name);
    }
    const t = roundTrip(MessagingTimeout.forCall('scheduler', 'select_destinations', undefined, 60_000));
    assert.ok(t instanceof MessagingTimeout);
    assert.equal(t.message, 'timed out after 60 s waiting for a reply to scheduler.select_destinations');
    assert.equal(t.topic, 'scheduler');
    assert.equal(t.timeoutMs, 60_000);
    assert.ok(roundTrip(new UnsupportedVersion('v')) instanceof UnsupportedVersion);
    assert.ok(roundTrip(new MessageDeliveryFailure('m')) instanceof ServiceUnavailable);
  });

  it('kwargs carry the error data; a factory rebuilds other constructors', () => {
    const q = roundTrip(new QuotaExceeded('cores', 20));
    assert.ok(q instanceof QuotaExceeded);
    assert.equal(q.message, 'Quota exceeded for cores: limit 20');
    assert.equal(q.limit, 20);
    const f = new FlavorNotFound('Flavor 7 could not be found.');
    Object.assign(f, { flavorId: '7' });
    const back = roundTrip(f);
    assert.ok(back instanceof FlavorNotFound);
    assert.equal(back.flavorId, '7');
  });

  it('an unknown class becomes RemoteError; a relayed RemoteError keeps the original class', () => {
    const r = deserializeFailure('{"class":"InstanceLocked","module":"nova.exception","message":"locked","tb":["Traceback..."],"args":[],"kwargs":{}}');
    assert.ok(r instanceof RemoteError);
    assert.equal(r.excType, 'InstanceLocked');
    assert.equal(r.value, 'locked');
    assert.equal(r.excModule, 'nova.exception');
    assert.equal(r.message, 'Remote error: InstanceLocked locked');
    const relayed = roundTrip(r) as RemoteError;
    assert.ok(relayed instanceof RemoteError);
    assert.equal(relayed.excType, 'InstanceLocked');
    assert.equal(relayed.value, 'locked');
    assert.ok(deserializeFailure('garbage{') instanceof RemoteError);
  });

  it('hostile kwargs cannot change the prototype or the class fields', () => {
    const back = deserializeFailure('{"class":"NotFound","module":"nova.exception","message":"m","kwargs":{"__proto__":{"x":1},"code":200,"name":"Evil"}}');
    assert.ok(back instanceof NotFound);
    assert.equal((back as NotFound).code, 404);
    assert.equal(back.name, 'NotFound');
    assert.equal((back as unknown as { x?: number }).x, undefined);
  });

  it('refuses two classes with the same wire name', () => {
    const Other = class NotFound extends NovaError {};
    assert.throws(() => registerRemoteErrorClass(Other), /already registered/);
    registerRemoteErrorClass(FlavorNotFound); // the same class again is fine
  });
});
