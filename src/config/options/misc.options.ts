/** Small sections: [oslo_concurrency], [oslo_policy], [wsgi], [upgrade_levels]. */
import { boolOpt, section, strOpt } from '../option-types';

export const osloConcurrencySection = section('Inter-process locks.', {
  lock_path: strOpt({
    deprecated: ['DEFAULT.lock_path'],
    help: 'Directory for the lock files of inter-process locks, e.g. /var/lib/nova/tmp.',
  }),
});

export const osloPolicySection = section('API policy.', {
  policy_file: strOpt({
    default: 'policy.yaml', help: 'File of policy rule overrides; a relative name is looked up next to the config files.',
  }),
  enforce_scope: boolOpt({ default: false, help: 'Check the token scope (project/system) of each request.' }),
  enforce_new_defaults: boolOpt({ default: false, help: 'Use the new default rules and ignore the deprecated ones.' }),
});

export const wsgiSection = section('The HTTP servers.', {
  api_paste_config: strOpt({
    default: 'api-paste.ini', deprecated: ['DEFAULT.api_paste_config'],
    ignored: 'nova-ts builds its API pipeline itself',
    help: 'Accepted for compatibility; nova-ts has no paste pipeline.',
  }),
});

export const upgradeLevelsSection = section('RPC version caps during rolling upgrades.', {
  compute: strOpt({
    help: 'Highest compute RPC version to send: a version such as 6.0, a release name, or auto ' +
      '(the lowest version of running compute services). Unset: the newest.',
  }),
});
