/**
 * The pure and near-pure parts of the built-in identity service and the keystone auth strategy:
 * password hashing, token ids, the catalog, `nova identity` argument parsing, the token service on
 * a real SQLite database (with a fake clock), and the strategy's validation cache with a fake Keystone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { parseArgv } from '../../src/cli/argv';
import { UsageError } from '../../src/common/errors';
import { parseConnectionUrl } from '../../src/db/connection-url';
import { openDataSource } from '../../src/db/data-source';
import { IdentityRepository } from '../../src/db/repositories/identity.repository';
import { syncSchema } from '../../src/db/schema';
import { KeystoneAuthStrategy } from '../../src/api/auth/keystone.strategy';
import { buildCatalog, serviceUrl, urlHost } from '../../src/identity/catalog';
import { hashPassword, newTokenId, tokenHash, verifyPassword } from '../../src/identity/identity-crypto';
import { KeystoneError } from '../../src/identity/keystone-errors';
import { bootstrapIdentity, keystoneTime, TokenService } from '../../src/identity/token.service';
import { createTestDatabases, TestDatabases } from '../utils/databases';

describe('identity crypto', () => {
  it('hashes passwords with scrypt and a per-hash salt; verifies in constant time; rejects garbage', async () => {
    const a = await hashPassword('Welcome123');
    const b = await hashPassword('Welcome123');
    assert.match(a, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    assert.notEqual(a, b, 'salted');
    assert.ok(!a.includes('Welcome123'));
    assert.equal(await verifyPassword('Welcome123', a), true);
    assert.equal(await verifyPassword('welcome123', a), false);
    assert.equal(await verifyPassword('', a), false);
    assert.equal(await verifyPassword('Welcome123', null), false);
    assert.equal(await verifyPassword('x', 'plain'), false);
    assert.equal(await verifyPassword('x', 'scrypt$99999999$8$1$AA==$AA=='), false);
  });

  it('makes unguessable token ids (32 random bytes) and stores only their sha256', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newTokenId()));
    assert.equal(ids.size, 1000);
    const id = [...ids][0];
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.match(tokenHash(id), /^[0-9a-f]{64}$/);
  });
});

describe('identity catalog', () => {
  it('lists compute, image and identity with public/internal/admin endpoints in the region', () => {
    const c = buildCatalog({ identity: 'http://h:5000/v3', compute: 'http://h:8774/v2.1', image: 'http://h:9292' }, 'RegionOne');
    assert.deepEqual(c.map((s) => s.type), ['compute', 'image', 'identity']);
    for (const s of c) {
      assert.deepEqual(s.endpoints.map((e) => e.interface), ['public', 'internal', 'admin']);
      assert.ok(s.endpoints.every((e) => e.region_id === 'RegionOne' && e.region === 'RegionOne'));
    }
    assert.equal(c[0].endpoints[0].url, 'http://h:8774/v2.1');
    assert.deepEqual(buildCatalog({ identity: 'http://h:5000/v3' }, 'R').map((s) => s.type), ['identity']);
  });

  it('builds URLs from listen addresses: 0.0.0.0 and :: → 127.0.0.1, IPv6 bracketed, endpoint_host wins', () => {
    assert.equal(urlHost('0.0.0.0'), '127.0.0.1');
    assert.equal(urlHost('::'), '127.0.0.1');
    assert.equal(urlHost('fd00::1'), '[fd00::1]');
    assert.equal(urlHost('0.0.0.0', 'controller'), 'controller');
    assert.equal(serviceUrl('10.0.0.5', 8774, '/v2.1'), 'http://10.0.0.5:8774/v2.1');
  });
});

describe('nova identity command line', () => {
  it('parses the identity subcommands with their options', () => {
    assert.deepEqual(parseArgv(['identity', 'user', 'create', 'alice', '--password', 'pw', '--project', 'p1', '--role=reader', '--config-file', 'n.conf']), {
      kind: 'identity', command: 'identity user create', name: 'alice', options: { password: 'pw', project: 'p1', role: 'reader' }, configFiles: ['n.conf'], configDirs: [], host: undefined,
    });
    assert.equal(parseArgv(['identity', 'bootstrap']).kind, 'identity');
    const add = parseArgv(['identity', 'role', 'add', '--user', 'u', '--project', 'p', 'admin']);
    assert.ok(add.kind === 'identity' && add.name === 'admin' && add.options.user === 'u');
  });

  it('refuses unknown identity commands, missing names and misplaced options with one line', () => {
    assert.throws(() => parseArgv(['identity', 'user', 'delete', 'x']), (e: Error) => e instanceof UsageError && /valid: identity bootstrap/.test(e.message));
    assert.throws(() => parseArgv(['identity', 'project', 'create']), /needs a NAME/);
    assert.throws(() => parseArgv(['identity', 'role', 'add', 'admin']), /needs --user and --project/);
    assert.throws(() => parseArgv(['identity', 'user', 'list', '--password']), /needs a value/);
    assert.throws(() => parseArgv(['db', 'sync', '--password', 'x']), /unknown option '--password'/);
  });
});

describe('token service (SQLite, fake clock)', () => {
  let dbs: TestDatabases;
  let ds: DataSource;
  let repo: IdentityRepository;
  let now = Date.parse('2026-01-01T00:00:00Z');
  let svc: TokenService;
  const warnings: string[] = [];
  const logger = { log: () => undefined, error: () => undefined, warn: (m: unknown) => void warnings.push(String(m)) };
  const pw = (user: Record<string, unknown>, scope?: unknown) => ({ auth: { identity: { methods: ['password'], password: { user } }, ...(scope !== undefined ? { scope } : {}) } });

  before(async () => {
    dbs = await createTestDatabases('sqlite');
    ds = await openDataSource('api', parseConnectionUrl(dbs.api));
    await syncSchema(ds);
    repo = new IdentityRepository(ds);
    svc = new TokenService(repo, { expiration: 3600, catalog: () => buildCatalog({ identity: 'http://i/v3' }, 'RegionOne'), logger, clock: () => now });
    await bootstrapIdentity(repo, { username: 'admin', password: 'Welcome123', projectName: 'admin' });
  });
  after(async () => {
    await ds.destroy();
    await dbs.drop();
  });

  it('bootstrap is idempotent and resets a changed password', async () => {
    assert.deepEqual((await bootstrapIdentity(repo, { username: 'admin', password: 'Welcome123', projectName: 'admin' })).created, []);
    assert.deepEqual((await bootstrapIdentity(repo, { username: 'admin', password: 'other', projectName: 'admin' })).created, ['password of admin']);
    await bootstrapIdentity(repo, { username: 'admin', password: 'Welcome123', projectName: 'admin' });
  });

  it('issues project-scoped tokens by name+domain (any case) or ids, with implied roles and a catalog', async () => {
    const { tokenId, token } = await svc.issue(pw({ name: 'admin', domain: { name: 'default' }, password: 'Welcome123' }, { project: { name: 'admin', domain: { id: 'default' } } }), '127.0.0.1');
    const doc = svc.document(token, true).token as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.deepEqual(doc.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'member', 'reader']);
    assert.equal(doc.project.name, 'admin');
    assert.equal(doc.expires_at, '2026-01-01T01:00:00.000000Z');
    assert.equal(doc.issued_at, keystoneTime(new Date(now)));
    assert.deepEqual(doc.methods, ['password']);
    assert.equal(doc.catalog[0].type, 'identity');
    const byId = await svc.issue(pw({ id: token.user.id, password: 'Welcome123' }, { project: { id: token.project!.id } }), 'x');
    assert.equal(byId.token.project!.id, token.project!.id);
    assert.ok((await svc.validate(tokenId)) !== null);
    // The stored row has the hash only.
    const rows = await ds.query('SELECT * FROM identity_tokens');
    assert.ok(!JSON.stringify(rows).includes(tokenId));
  });

  it('issues unscoped tokens (no roles, empty catalog) and re-scopes them with the token method', async () => {
    const { tokenId, token } = await svc.issue(pw({ name: 'admin', domain: { id: 'default' }, password: 'Welcome123' }), 'x');
    const doc = svc.document(token, true).token as Record<string, unknown>;
    assert.equal(doc.project, undefined);
    assert.deepEqual(doc.catalog, []);
    const scoped = await svc.issue({ auth: { identity: { methods: ['token'], token: { id: tokenId } }, scope: { project: { name: 'admin', domain: { name: 'Default' } } } } }, 'x');
    assert.equal(scoped.token.project!.name, 'admin');
    assert.deepEqual(scoped.token.stored.methods, ['password', 'token']);
  });

  it('refuses wrong passwords, unknown users, domains and projects with one 401, logging why but not the password', async () => {
    const cases = [
      pw({ name: 'admin', domain: { name: 'Default' }, password: 'Sekrit-wrong-1' }),
      pw({ name: 'nobody', domain: { name: 'Default' }, password: 'Sekrit-wrong-2' }),
      pw({ name: 'admin', domain: { name: 'Other' }, password: 'Welcome123' }),
      pw({ name: 'admin', domain: { name: 'Default' }, password: 'Welcome123' }, { project: { name: 'nope', domain: { name: 'Default' } } }),
    ];
    for (const c of cases) await assert.rejects(svc.issue(c, '10.0.0.9'), (e: unknown) => e instanceof KeystoneError && e.status === 401);
    assert.ok(warnings.some((w) => /Authorization failed for user "admin" in domain default from 10\.0\.0\.9: wrong password/.test(w)), warnings.join('\n'));
    assert.ok(warnings.every((w) => !w.includes('Sekrit') && !w.includes('Welcome123')));
  });

  it('answers malformed bodies with 400, never a crash', async () => {
    for (const body of [null, 'x', {}, { auth: {} }, { auth: { identity: { methods: 'password' } } }, { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: 1 } } } } },
      { auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: 'p' } } } } }, pw({ password: 'x' }), pw({ name: 'admin', domain: { name: 'Default' }, password: 'Welcome123' }, { project: {} })]) {
      await assert.rejects(svc.issue(body, 'x'), (e: unknown) => e instanceof KeystoneError && e.status === 400, JSON.stringify(body));
    }
  });

  it('tokens stop validating once expired or revoked', async () => {
    const { tokenId } = await svc.issue(pw({ name: 'admin', domain: { name: 'Default' }, password: 'Welcome123' }, { project: { name: 'admin', domain: { name: 'Default' } } }), 'x');
    const saved = now;
    now += 3599_000;
    assert.ok(await svc.validate(tokenId));
    now += 1000;
    assert.equal(await svc.validate(tokenId), null);
    now = saved;
    assert.ok(await svc.validate(tokenId));
    assert.equal(await svc.revoke(tokenId), true);
    assert.equal(await svc.validate(tokenId), null);
    assert.equal(await svc.revoke(tokenId), false);
    assert.equal(await svc.validate('garbage'), null);
  });
});

describe('keystone auth strategy (fake identity over fetch)', () => {
  const mkFetch = (handler: (url: string, init: RequestInit) => { status: number; body?: unknown; headers?: Record<string, string> }) => {
    const calls: Array<{ url: string; headers: Record<string, string> }> = [];
    const f = (async (url: string, init: RequestInit = {}) => {
      calls.push({ url, headers: (init.headers ?? {}) as Record<string, string> });
      const r = handler(url, init);
      return new Response(r.body === undefined ? null : JSON.stringify(r.body), { status: r.status, headers: r.headers });
    }) as unknown as typeof fetch;
    return { f, calls };
  };
  const tokenDoc = (expires: string, project: string | null = 'p1', roles = ['member', 'reader']) => ({
    token: { expires_at: expires, user: { id: 'u1' }, ...(project ? { project: { id: project } } : {}), roles: roles.map((name) => ({ name })) },
  });

  it('validates with the token itself when no service user is configured, caches until expiry or token_cache_time', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { f, calls } = mkFetch(() => ({ status: 200, body: tokenDoc('2026-01-01T00:10:00.000000Z') }));
    const s = new KeystoneAuthStrategy({ url: 'http://ks:5000/v3', cacheTime: 300, clock: () => now, fetch: f });
    assert.deepEqual(await s.authenticate({ 'x-auth-token': 'tok' }), { userId: 'u1', projectId: 'p1', roles: ['member', 'reader'] });
    assert.equal(calls[0].url, 'http://ks:5000/v3/auth/tokens?nocatalog=1');
    assert.equal(calls[0].headers['X-Auth-Token'], 'tok');
    assert.equal(calls[0].headers['X-Subject-Token'], 'tok');
    await s.authenticate({ 'x-auth-token': 'tok' });
    assert.equal(calls.length, 1, 'cached');
    now += 301_000;
    await s.authenticate({ 'x-auth-token': 'tok' });
    assert.equal(calls.length, 2, 'token_cache_time elapsed');
    now = Date.parse('2026-01-01T00:10:00Z');
    await assert.rejects(s.authenticate({ 'x-auth-token': 'tok' }), (e: Error) => e.constructor.name === 'Unauthorized', 'expired per expires_at');
  });

  it('refuses missing, unknown and unscoped tokens with Unauthorized; an unreachable identity is 503', async () => {
    const { f } = mkFetch((_u, init) => {
      const subject = (init.headers as Record<string, string>)['X-Subject-Token'];
      if (subject === 'unscoped') return { status: 200, body: tokenDoc('2099-01-01T00:00:00Z', null) };
      return { status: 404, body: { error: { code: 404 } } };
    });
    const s = new KeystoneAuthStrategy({ url: 'http://ks:5000', cacheTime: 300, fetch: f });
    for (const h of [{}, { 'x-auth-token': '' }, { 'x-auth-token': 'bad' }, { 'x-auth-token': 'unscoped' }]) {
      await assert.rejects(s.authenticate(h), (e: Error) => e.constructor.name === 'Unauthorized');
    }
    const down = new KeystoneAuthStrategy({ url: 'http://127.0.0.1:1', cacheTime: 300 });
    await assert.rejects(down.authenticate({ 'x-auth-token': 'x' }), (e: Error) => e.constructor.name === 'ServiceUnavailable');
  });

  it('gets a service token from [keystone_authtoken] credentials, and a new one when it stops working', async () => {
    let serviceTokens = 0;
    const { f, calls } = mkFetch((_u, init) => {
      if (init.method === 'POST') {
        serviceTokens++;
        return { status: 201, body: tokenDoc('2099-01-01T00:00:00Z', 'service', ['service']), headers: { 'x-subject-token': `svc${serviceTokens}` } };
      }
      const h = init.headers as Record<string, string>;
      if (h['X-Auth-Token'] === 'svc1') return { status: 401 };
      return { status: 200, body: tokenDoc('2099-01-01T00:00:00Z') };
    });
    const s = new KeystoneAuthStrategy({
      url: 'http://ks:5000', cacheTime: 0, fetch: f,
      service: { username: 'nova', password: 'pw', projectName: 'service', userDomainName: 'Default', projectDomainName: 'Default' },
    });
    assert.equal((await s.authenticate({ 'x-auth-token': 'user-tok' })).projectId, 'p1');
    assert.equal(serviceTokens, 2);
    assert.equal(calls.at(-1)!.headers['X-Auth-Token'], 'svc2');
    await s.authenticate({ 'x-auth-token': 'user-tok' });
    assert.equal(serviceTokens, 2, 'the service token is reused');
  });
});
