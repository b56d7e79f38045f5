/**
 * Shared pieces of the API unit tests: request contexts for the usual callers (the owning
 * project's member, another project's member, admin) and assertions on the NovaError a call
 * fails with.
 */
import assert from 'node:assert/strict';
import { Invalid, NovaError } from '../../src/common/errors';
import type { RequestContext } from '../../src/api/http/request-context';
import { parseVersion } from '../../src/api/microversion/api-version';

/** A request at `version` by alice (project p1), bob (project p2) or the admin. */
export function ctx(version: string, who: 'owner' | 'other' | 'admin' = 'owner'): RequestContext {
  const base = { requestId: 'req-x', globalRequestId: null, authToken: 't', version: parseVersion(version), urlProjectId: null, baseUrl: 'http://ctl:8774' };
  if (who === 'admin') return { ...base, userId: 'admin', projectId: 'admin', roles: ['admin'], isAdmin: true };
  return { ...base, userId: who === 'owner' ? 'alice' : 'bob', projectId: who === 'owner' ? 'p1' : 'p2', roles: ['member'], isAdmin: false };
}

/** Awaits `p` (or calls it) and asserts it fails with `cls`, and with `message` when given. */
export async function failsWith<T extends NovaError>(p: Promise<unknown> | (() => unknown), cls: new (...a: never[]) => T, message?: string | RegExp): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.ok(err instanceof cls, `${String(err)} is not a ${cls.name}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return;
  }
  assert.fail('no error');
}

/** The NovaError a synchronous call fails with. */
export function failure(fn: () => unknown): NovaError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof NovaError, `not a NovaError: ${String(err)}`);
    return err;
  }
  assert.fail('no error');
}

/** The message of the 400 (Invalid) a synchronous call fails with. */
export function bad(fn: () => unknown): string {
  const err = failure(fn);
  assert.ok(err instanceof Invalid, `not an Invalid (400): ${err.name} ${err.message}`);
  return err.message;
}
