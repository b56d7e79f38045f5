/**
 * `[api] auth_strategy = keystone`: X-Auth-Token is validated against an identity service, as
 * keystonemiddleware's auth_token does (GET /v3/auth/tokens with X-Subject-Token):
 * - a real Keystone when `[keystone_authtoken] auth_url` (or www_authenticate_uri) is set: with a
 *   service token from auth_url/username/password/project_name when those are set, otherwise
 *   the user's own token (Keystone lets a token validate itself);
 * - otherwise the built-in identity service of this process.
 * Valid tokens are cached (bounded, by sha256 of the token) until they expire, at most
 * `[keystone_authtoken] token_cache_time` seconds; the built-in service's revocations drop them
 * at once. Unscoped tokens are refused (the Compute API is project-scoped).
 */
import { ConfigError, ServiceUnavailable, Unauthorized } from '../../common/errors';
import type { NovaConf } from '../../config/options';
import { builtInIdentityUrl, cacheKey, onBuiltInRevoke } from '../../identity/built-in-identity';
import { AuthStrategy, Identity } from './identity';
import { ServiceCredentials, serviceCredentials, ServiceTokenSource } from './service-token';

const AUTH_REQUIRED = 'The request you have made requires authentication.';
const MAX_CACHE = 10_000;
const TIMEOUT_MS = 10_000;

export type { ServiceCredentials };

export interface KeystoneStrategyOptions {
  /** Identity base URL (with or without /v3); null: the built-in service, looked up per request. */
  url: string | null;
  service?: ServiceCredentials;
  /** Seconds; -1 or 0 disables the cache. */
  cacheTime: number;
  clock?: () => number;
  fetch?: typeof fetch;
}

interface Cached {
  identity: Identity;
  until: number;
}

export class KeystoneAuthStrategy implements AuthStrategy {
  readonly name = 'keystone';
  private readonly cache = new Map<string, Cached>();
  private serviceSource: ServiceTokenSource | null = null;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;

  constructor(private readonly opts: KeystoneStrategyOptions) {
    this.now = opts.clock ?? Date.now;
    this.fetch = opts.fetch ?? fetch;
    if (opts.url === null) onBuiltInRevoke((key) => this.cache.delete(key));
  }

  /** The identity endpoint's base URL without /v3, or 503. */
  private base(): string {
    const url = this.opts.url ?? builtInIdentityUrl();
    if (!url) throw new ServiceUnavailable('The identity service is not available yet.');
    return url.replace(/\/+$/, '').replace(/\/v3$/, '');
  }

  /** The URL announced in WWW-Authenticate. */
  authUri(): string | undefined {
    const url = this.opts.url ?? builtInIdentityUrl();
    return url ?? undefined;
  }

  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Identity> {
    const raw = headers['x-auth-token'];
    const token = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (!token || token.length > 8192) throw new Unauthorized(AUTH_REQUIRED);
    const key = cacheKey(token);
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit) {
      if (hit.until > now) return hit.identity;
      this.cache.delete(key);
    }
    const { identity, expiresAt } = await this.validate(token);
    const ttl = this.opts.cacheTime > 0 ? this.opts.cacheTime * 1000 : 0;
    const until = Math.min(expiresAt, now + ttl);
    if (until > now) {
      if (this.cache.size >= MAX_CACHE) {
        // Expired entries first; else the oldest (Map order is insertion order).
        for (const [k, v] of this.cache) if (v.until <= now) this.cache.delete(k);
        while (this.cache.size >= MAX_CACHE) this.cache.delete(this.cache.keys().next().value as string);
      }
      this.cache.set(key, { identity, until });
    }
    return identity;
  }

  private async validate(token: string, retried = false): Promise<{ identity: Identity; expiresAt: number }> {
    const base = this.base();
    const caller = this.opts.service ? await this.serviceTokens(base).get() : token;
    let res: Response;
    try {
      res = await this.fetch(`${base}/v3/auth/tokens?nocatalog=1`, {
        headers: { 'X-Auth-Token': caller, 'X-Subject-Token': token, Accept: 'application/json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new ServiceUnavailable(`The identity service cannot be reached: ${(err as Error).message}`);
    }
    if (res.status === 401 && this.opts.service && !retried) {
      // The service token expired or was revoked: get a new one, once.
      await res.body?.cancel();
      this.serviceTokens(base).invalidate();
      return this.validate(token, true);
    }
    if (res.status === 404 || res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new Unauthorized(AUTH_REQUIRED);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new ServiceUnavailable(`The identity service answered ${res.status} to a token validation.`);
    }
    const doc = (await res.json().catch(() => null)) as { token?: TokenDoc } | null;
    const t = doc?.token;
    const expiresAt = Date.parse(t?.expires_at ?? '');
    if (!t || !t.user?.id || !Number.isFinite(expiresAt)) throw new ServiceUnavailable('The identity service returned a malformed token.');
    if (expiresAt <= this.now() || !t.project?.id) throw new Unauthorized(AUTH_REQUIRED);
    const roles = (t.roles ?? []).map((r) => r.name).filter((n): n is string => typeof n === 'string');
    return { identity: { userId: t.user.id, projectId: t.project.id, roles }, expiresAt };
  }

  private serviceTokens(base: string): ServiceTokenSource {
    this.serviceSource ??= new ServiceTokenSource(base, this.opts.service as ServiceCredentials, this.fetch, this.now);
    return this.serviceSource;
  }
}

interface TokenDoc {
  expires_at?: string;
  user?: { id?: string };
  project?: { id?: string };
  roles?: Array<{ name?: unknown }>;
}

/** The keystone strategy for this configuration; ConfigError when there is nothing to validate against. */
export function createKeystoneStrategy(conf: NovaConf): KeystoneAuthStrategy {
  const k = conf.keystone_authtoken;
  const external = k.auth_url ?? k.www_authenticate_uri ?? null;
  if (external === null && conf.identity.enabled === 'false') {
    throw new ConfigError([
      '[api] auth_strategy = keystone needs an identity service: set [keystone_authtoken] auth_url (a Keystone), ' +
      "or '[identity] enabled = auto' for the built-in one, or '[api] auth_strategy = noauth2' for development",
    ]);
  }
  const service = serviceCredentials(conf)?.creds;
  return new KeystoneAuthStrategy({ url: external, service, cacheTime: k.token_cache_time });
}
