import type { NovaConf } from '../../config/options';
import { AuthStrategy } from './identity';
import { createKeystoneStrategy } from './keystone.strategy';
import { NoAuth2Strategy } from './noauth2.strategy';

export const AUTH_STRATEGY = Symbol('AUTH_STRATEGY');

export function createAuthStrategy(conf: NovaConf): AuthStrategy {
  if (conf.api.auth_strategy === 'noauth2') return new NoAuth2Strategy();
  return createKeystoneStrategy(conf);
}
