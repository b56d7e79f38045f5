import { Unauthorized } from '../../common/errors';
import { AuthStrategy, Identity } from './identity';

/**
 * `[api] auth_strategy = noauth2`, for development and tests: the token is `user:project`
 * (a bare `user` means the same project name); the user `admin` gets the admin role. Roles can
 * be narrowed with an `X-Roles` header (e.g. `reader`) to exercise policy.
 */
export class NoAuth2Strategy implements AuthStrategy {
  readonly name = 'noauth2';

  async authenticate(headers: Record<string, string | string[] | undefined>): Promise<Identity> {
    const token = first(headers['x-auth-token'])?.trim();
    if (!token) throw new Unauthorized('The request you have made requires authentication.');
    const colon = token.indexOf(':');
    const userId = colon >= 0 ? token.slice(0, colon) : token;
    const projectId = colon >= 0 ? token.slice(colon + 1) : token;
    if (!userId || !projectId) throw new Unauthorized('The request you have made requires authentication.');
    const explicit = first(headers['x-roles']);
    const roles = explicit
      ? explicit.split(',').map((r) => r.trim()).filter(Boolean)
      : userId === 'admin' ? ['admin', 'member', 'reader'] : ['member', 'reader'];
    return { userId, projectId, roles };
  }
}

function first(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}
