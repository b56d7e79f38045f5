import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeReply,
  decodeRequest,
  deserializeMessage,
  encodeReply,
  encodeRequest,
  serializeMessage,
  UniqueIdCache,
} from '../../src/rpc/envelope';
import { MalformedMessage, UnsupportedVersion } from '../../src/rpc/rpc-errors';

describe('oslo.messaging 2.0 envelope', () => {
  it('encodes a cast exactly as oslo does: envelope, inner JSON string, flattened context', () => {
    const body = encodeRequest({
      method: 'start_instance',
      args: { instance: { 'nova_object.name': 'Instance' } },
      version: '6.0',
      uniqueId: '8eec0000000000000000000000000000',
      context: { user_id: 'u1', project_id: 'p1', roles: ['member'], read_deleted: 'no' },
    });
    const outer = JSON.parse(body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(outer), ['oslo.version', 'oslo.message']);
    assert.equal(outer['oslo.version'], '2.0');
    assert.equal(typeof outer['oslo.message'], 'string');
    const inner = JSON.parse(outer['oslo.message'] as string) as Record<string, unknown>;
    assert.deepEqual(inner, {
      method: 'start_instance',
      args: { instance: { 'nova_object.name': 'Instance' } },
      version: '6.0',
      _unique_id: '8eec0000000000000000000000000000',
      _context_user_id: 'u1',
      _context_project_id: 'p1',
      _context_roles: ['member'],
      _context_read_deleted: 'no',
    });
    assert.ok(!('namespace' in inner), 'namespace only when set');
    assert.ok(!('_msg_id' in inner) && !('_reply_q' in inner) && !('_timeout' in inner), 'call keys only on calls');
  });

  it('encodes a call with _msg_id, _reply_q, _timeout and the namespace', () => {
    const inner = deserializeMessage(encodeRequest({
      method: 'schedule_and_build_instances', args: {}, namespace: 'compute_task', version: '1.17',
      uniqueId: 'u', msgId: 'm', replyQueue: 'reply_abc', callMonitorTimeoutSec: null,
    }));
    assert.equal(inner.namespace, 'compute_task');
    assert.equal(inner._msg_id, 'm');
    assert.equal(inner._reply_q, 'reply_abc');
    assert.equal(inner._timeout, null);
    assert.ok(!('version' in deserializeMessage(encodeRequest({ method: 'm', args: {}, uniqueId: 'u' }))), 'version only when set');
  });

  it('decodes a request back, context included', () => {
    const req = decodeRequest(encodeRequest({
      method: 'm', args: { a: 1 }, namespace: 'baseapi', version: '1.1', uniqueId: 'u', msgId: 'id', replyQueue: 'reply_q',
      callMonitorTimeoutSec: 30, context: { user_id: 'u1', is_admin: false, global_request_id: null },
    }));
    assert.deepEqual(req, {
      method: 'm', args: { a: 1 }, namespace: 'baseapi', version: '1.1', uniqueId: 'u', msgId: 'id', replyQueue: 'reply_q',
      callMonitorTimeoutSec: 30, context: { user_id: 'u1', is_admin: false, global_request_id: null },
    });
  });

  it('accepts any 2.x envelope, bytes, parsed objects and raw dicts without the envelope', () => {
    const inner = { method: 'ping', args: { arg: 1 }, _context_user_id: 'u' };
    const v21 = JSON.stringify({ 'oslo.version': '2.1', 'oslo.message': JSON.stringify(inner) });
    assert.equal(decodeRequest(v21).method, 'ping');
    assert.equal(decodeRequest(Buffer.from(v21)).method, 'ping');
    assert.equal(decodeRequest(JSON.parse(v21)).method, 'ping');
    assert.deepEqual(decodeRequest(JSON.stringify(inner)).context, { user_id: 'u' });
    assert.deepEqual(decodeRequest(inner).args, { arg: 1 });
  });

  it('rejects other envelope versions and garbage', () => {
    const v3 = JSON.stringify({ 'oslo.version': '3.0', 'oslo.message': '{}' });
    assert.throws(() => decodeRequest(v3), UnsupportedVersion);
    assert.throws(() => decodeRequest('not json'), MalformedMessage);
    assert.throws(() => decodeRequest('[1,2]'), MalformedMessage);
    assert.throws(() => decodeRequest({ args: {} }), MalformedMessage);
    assert.throws(() => decodeRequest({ method: 'm', args: [1] }), MalformedMessage);
    assert.throws(() => decodeRequest(JSON.stringify({ 'oslo.version': '2.0', 'oslo.message': '{bad' })), MalformedMessage);
  });

  it('a hostile _context___proto__ key does not pollute prototypes', () => {
    const req = decodeRequest('{"method":"m","args":{},"_context___proto__":{"polluted":true}}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(req.context), Object.prototype);
  });

  it('encodes and decodes replies, heartbeats and failures', () => {
    const body = encodeReply({ msgId: 'm', uniqueId: 'u', result: { ok: 1 }, failure: null, ending: true });
    const inner = deserializeMessage(body);
    assert.deepEqual(inner, { result: { ok: 1 }, failure: null, ending: true, _msg_id: 'm', _unique_id: 'u' });
    assert.deepEqual(decodeReply(body), { msgId: 'm', uniqueId: 'u', result: { ok: 1 }, failure: null, ending: true });
    assert.equal(decodeReply(encodeReply({ msgId: 'm', result: undefined, failure: null, ending: true })).result, null);
    assert.equal(decodeReply(encodeReply({ msgId: 'm', result: null, failure: null, ending: false })).ending, false);
    assert.equal(decodeReply({ _msg_id: 'm', result: 3 }).ending, true, 'a reply without the flag ends the call');
    assert.throws(() => decodeReply({ result: 1 }), MalformedMessage);
  });

  it('serializeMessage/deserializeMessage are inverse', () => {
    const inner = { a: [1, 'x', null], b: { c: true } };
    assert.deepEqual(deserializeMessage(serializeMessage(inner)), inner);
  });

  it('UniqueIdCache forgets the oldest ids beyond its capacity', () => {
    const c = new UniqueIdCache(3);
    for (const id of ['a', 'b', 'c', 'd']) c.add(id);
    assert.equal(c.size, 3);
    assert.equal(c.has('a'), false);
    assert.equal(c.has('d'), true);
    c.add('d');
    assert.equal(c.size, 3);
  });
});
