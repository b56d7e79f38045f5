/** [api]: the Compute API. */
import { boolOpt, choiceOpt, intOpt, section, strOpt } from '../option-types';

export const apiSection = section('Options of the Compute API (the api role).', {
  auth_strategy: choiceOpt({
    choices: ['keystone', 'noauth2'] as const,
    default: 'keystone',
    deprecated: ['DEFAULT.auth_strategy'],
    help: 'How API requests are authenticated: keystone validates tokens (see [keystone_authtoken]); ' +
      'noauth2 trusts the X-Auth-User/X-Auth-Project headers and is for testing only.',
  }),
  max_limit: intOpt({
    default: 1000, min: 0, deprecated: ['DEFAULT.osapi_max_limit'],
    help: 'The most items a list call returns in one page.',
  }),
  compute_link_prefix: strOpt({
    deprecated: ['DEFAULT.osapi_compute_link_prefix'],
    help: 'Base URL used in links to Compute API resources instead of the request\'s own URL, for ' +
      'example when the API is behind a proxy.',
  }),
  glance_link_prefix: strOpt({
    deprecated: ['DEFAULT.osapi_glance_link_prefix'],
    help: 'Base URL used in links to images instead of the request\'s own URL.',
  }),
  enable_instance_password: boolOpt({
    default: true,
    help: 'Return the generated admin password in create, rebuild, rescue and evacuate responses.',
  }),
  use_forwarded_for: boolOpt({
    default: false, deprecated: ['DEFAULT.use_forwarded_for'],
    help: 'Take the client address from the X-Forwarded-For header. Enable only behind a proxy that sets it.',
  }),
});
