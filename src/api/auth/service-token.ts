/**
 * A token of nova's own service user (`[keystone_authtoken]` auth_url/username/password/
 * project_name), kept until a minute before it expires. Used to validate users' tokens and to
 * call the image service when no user token travels with the work (a compute downloading an image
 * for a build). The password never appears in an error.
 */
import { ServiceUnavailable } from '../../common/errors';
import type { NovaConf } from '../../config/options';

const TIMEOUT_MS = 10_000;

export interface ServiceCredentials {
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
}

export class ServiceTokenSource {
  private current: { id: string; until: number } | null = null;
  private pending: Promise<string> | null = null;

  /** `base`: the identity URL without /v3. */
  constructor(
    private readonly base: string,
    private readonly creds: ServiceCredentials,
    private readonly fetchFn: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid service token (one request to Keystone at a time). */
  async get(): Promise<string> {
    if (this.current && this.current.until > this.now()) return this.current.id;
    this.pending ??= this.issue().finally(() => (this.pending = null));
    return this.pending;
  }

  /** Forgets the token (Keystone refused it: expired or revoked). */
  invalidate(): void {
    this.current = null;
  }

  private async issue(): Promise<string> {
    const s = this.creds;
    const body = {
      auth: {
        identity: { methods: ['password'], password: { user: { name: s.username, domain: { name: s.userDomainName }, password: s.password } } },
        scope: { project: { name: s.projectName, domain: { name: s.projectDomainName } } },
      },
    };
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}/v3/auth/tokens?nocatalog=1`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new ServiceUnavailable(`The identity service cannot be reached: ${(err as Error).message}`);
    }
    const id = res.headers.get('x-subject-token');
    const doc = (await res.json().catch(() => null)) as { token?: { expires_at?: string } } | null;
    if (res.status !== 201 || !id) {
      throw new ServiceUnavailable(`The service user ${s.username} ([keystone_authtoken]) cannot get a token: identity answered ${res.status}.`);
    }
    const now = this.now();
    const expires = Date.parse(doc?.token?.expires_at ?? '') || now + 300_000;
    this.current = { id, until: Math.max(now + 1000, expires - 60_000) };
    return id;
  }
}

/** The service credentials of `[keystone_authtoken]`, when auth_url, username and password are set. */
export function serviceCredentials(conf: NovaConf): { base: string; creds: ServiceCredentials } | null {
  const k = conf.keystone_authtoken;
  if (!k.auth_url || !k.username || k.password === undefined) return null;
  return {
    base: k.auth_url.replace(/\/+$/, '').replace(/\/v3$/, ''),
    creds: {
      username: k.username, password: k.password, projectName: k.project_name ?? 'service',
      userDomainName: k.user_domain_name ?? 'Default', projectDomainName: k.project_domain_name ?? 'Default',
    },
  };
}

const shared = new Map<string, ServiceTokenSource>();

/** One source per process and service user (the API's validations and the image client share it). */
export function sharedServiceTokenSource(conf: NovaConf): ServiceTokenSource | null {
  const c = serviceCredentials(conf);
  if (!c) return null;
  const key = JSON.stringify([c.base, c.creds.username, c.creds.userDomainName, c.creds.projectName, c.creds.projectDomainName]);
  let source = shared.get(key);
  if (!source) {
    source = new ServiceTokenSource(c.base, c.creds);
    shared.set(key, source);
  }
  return source;
}
