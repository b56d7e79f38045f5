/**
 * Where this process's built-in identity service listens, once it does, and its revocations (so
 * the token caches of the Compute API and the image service drop a revoked token at once). Set
 * by serve.ts; read by the keystone auth strategy. One per process, like the built-in image
 * endpoint in glance-client.ts.
 */
import { createHash } from 'node:crypto';
import type { NovaConf } from '../config/options';

let baseUrl: string | null = null;
const revokeListeners = new Set<(tokenHash: string) => void>();

/** e.g. http://127.0.0.1:5000 (no /v3); null when it stops. */
export function setBuiltInIdentityUrl(url: string | null): void {
  baseUrl = url ? url.replace(/\/+$/, '') : null;
}

export function builtInIdentityUrl(): string | null {
  return baseUrl;
}

/**
 * The identity URL a 401 names in `WWW-Authenticate: Keystone uri="..."` (Compute API and image
 * service alike), as keystonemiddleware does: `[keystone_authtoken] www_authenticate_uri`, else
 * the Keystone tokens are checked against, else the built-in identity. None with noauth2.
 */
export function announcedIdentityUri(conf: NovaConf): string | undefined {
  if (conf.api.auth_strategy !== 'keystone') return undefined;
  const k = conf.keystone_authtoken;
  return k.www_authenticate_uri ?? k.auth_url ?? builtInIdentityUrl() ?? undefined;
}

/** sha256 hex of a token id: how caches key tokens (never by the id itself). */
export function cacheKey(tokenId: string): string {
  return createHash('sha256').update(tokenId, 'utf8').digest('hex');
}

export function onBuiltInRevoke(listener: (tokenHash: string) => void): () => void {
  revokeListeners.add(listener);
  return () => revokeListeners.delete(listener);
}

export function notifyRevoked(tokenId: string): void {
  const key = cacheKey(tokenId);
  for (const l of revokeListeners) l(key);
}
