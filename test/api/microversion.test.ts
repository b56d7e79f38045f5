import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compare, fmt, isBetween, MAX_VERSION, negotiate, parseVersion, requestedVersionText, VersionNotAcceptable } from '../../src/api/microversion/api-version';

describe('microversion negotiation (microversion-parse rules)', () => {
  it('accepts X.Y and rejects what Nova rejects', () => {
    assert.deepEqual(parseVersion('2.60'), { major: 2, minor: 60 });
    for (const bad of ['2.01', '2.x', 'Latest', '2', '02.1', '2.1.1', '']) assert.throws(() => parseVersion(bad), /invalid format/);
    assert.ok(compare(parseVersion('2.10'), parseVersion('2.9')) > 0, '2.10 is after 2.9');
    assert.equal(isBetween(parseVersion('2.26'), '2.26'), true);
    assert.equal(isBetween(parseVersion('2.25'), '2.26'), false);
    assert.equal(isBetween(parseVersion('2.36'), undefined, '2.35'), false);
  });

  it('the standard header wins when it names compute; otherwise the legacy one', () => {
    assert.equal(requestedVersionText({ 'openstack-api-version': 'compute 2.30', 'x-openstack-nova-api-version': '2.50' }), '2.30');
    assert.equal(requestedVersionText({ 'openstack-api-version': 'volume 3.0', 'x-openstack-nova-api-version': '2.50' }), '2.50');
    assert.equal(requestedVersionText({ 'openstack-api-version': 'compute 2.10, compute 2.20' }), '2.20');
    assert.equal(requestedVersionText({ 'openstack-api-version': 'COMPUTE 2.3' }), '2.3');
    assert.equal(requestedVersionText({}), undefined);
  });

  it('none → 2.1, latest → maximum, out of range → 406', () => {
    assert.equal(fmt(negotiate({})), '2.1');
    assert.equal(fmt(negotiate({ 'openstack-api-version': 'compute latest' })), fmt(MAX_VERSION));
    assert.throws(() => negotiate({ 'openstack-api-version': 'compute 2.0' }), (e: Error) => e instanceof VersionNotAcceptable && e.code === 406);
    assert.throws(() => negotiate({ 'openstack-api-version': 'compute Latest' }), /invalid format/);
  });
});
