import { ConfigError } from '../../common/errors';
import type { NovaConf } from '../../config/options';
import { AuthStrategy } from './identity';
import { NoAuth2Strategy } from './noauth2.strategy';

export const AUTH_STRATEGY = Symbol('AUTH_STRATEGY');

export function createAuthStrategy(conf: NovaConf): AuthStrategy {
  if (conf.api.auth_strategy === 'noauth2') return new NoAuth2Strategy();
  // Token validation against Keystone arrives with the identity issue (built-in Keystone subset).
  throw new ConfigError([
    "[api] auth_strategy = keystone is not available in this build yet: set '[api] auth_strategy = noauth2' (tokens are 'user:project'; user 'admin' is admin)",
  ]);
}
