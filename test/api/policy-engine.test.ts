import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Credentials, evaluate, parseCheck } from '../../src/api/policy/policy-engine';
import { defaultPolicies } from '../../src/api/policy/default-policies';

const member: Credentials = { user_id: 'u1', project_id: 'p1', roles: ['member', 'reader'], is_admin: false };
const reader: Credentials = { user_id: 'u2', project_id: 'p1', roles: ['reader'], is_admin: false };
const admin: Credentials = { user_id: 'admin', project_id: 'admin', roles: ['admin'], is_admin: true };

function allowed(rule: string, creds: Credentials, target: Record<string, unknown>, enforceNew = false): boolean {
  const texts = defaultPolicies(enforceNew);
  const lookup = (n: string) => (texts[n] === undefined ? undefined : parseCheck(texts[n]));
  return evaluate(parseCheck(texts[rule]), creds, target, lookup);
}

describe('oslo.policy check strings', () => {
  it('parses and evaluates and/or/not, parentheses and %(target)s substitution', () => {
    const c = parseCheck('(role:reader and project_id:%(project_id)s) or not role:banned');
    assert.equal(evaluate(c, reader, { project_id: 'p1' }, () => undefined), true);
    assert.equal(evaluate(parseCheck('role:reader and project_id:%(project_id)s'), reader, { project_id: 'p2' }, () => undefined), false);
    assert.equal(evaluate(parseCheck('is_admin:True'), admin, {}, () => undefined), true);
    assert.equal(evaluate(parseCheck('is_admin:True'), member, {}, () => undefined), false);
    assert.equal(evaluate(parseCheck('@'), member, {}, () => undefined), true);
    assert.equal(evaluate(parseCheck('!'), admin, {}, () => undefined), false);
    assert.equal(evaluate(parseCheck("user_id:'u1'"), member, {}, () => undefined), true);
    assert.throws(() => parseCheck('role:a and'), /unexpected end/);
    assert.throws(() => parseCheck('(role:a'), /missing '\)'/);
  });

  it('Nova defaults: admin APIs need admin; project rules follow the owning project', () => {
    assert.equal(allowed('os_compute_api:os-services:list', admin, {}), true);
    assert.equal(allowed('os_compute_api:os-services:list', member, {}), false);
    assert.equal(allowed('os_compute_api:os-server-groups:create', member, { project_id: 'p1' }), true);
    assert.equal(allowed('os_compute_api:os-server-groups:create', member, { project_id: 'p2' }), false);
    assert.equal(allowed('os_compute_api:os-keypairs:show', member, { user_id: 'u1' }), true);
    assert.equal(allowed('os_compute_api:os-keypairs:show', member, { user_id: 'someone' }), false);
    assert.equal(allowed('os_compute_api:os-keypairs:show', admin, { user_id: 'someone' }), true);
  });

  it('with enforce_new_defaults a reader may read but not write', () => {
    assert.equal(allowed('os_compute_api:os-server-groups:show', reader, { project_id: 'p1' }, true), true);
    assert.equal(allowed('os_compute_api:os-server-groups:create', reader, { project_id: 'p1' }, true), false);
    assert.equal(allowed('os_compute_api:os-server-groups:create', reader, { project_id: 'p1' }, false), true, 'Zed semantics admit any role in the project');
  });
});
