/** [identity] and [token]: the built-in identity service (a Keystone v3 subset) of the api role. */
import { choiceOpt, intOpt, portOpt, section, strOpt } from '../option-types';

export const identitySection = section(
  'The built-in identity service: the part of the Identity API v3 that the openstack CLI uses (password ' +
  'tokens, a service catalog, token validation and revocation, project look-ups). Users, projects and ' +
  'role assignments live in the API database.', {
    enabled: choiceOpt({
      choices: ['auto', 'true', 'false'] as const,
      default: 'auto',
      help: 'Whether the api role serves the built-in identity service. auto: when [api] auth_strategy = ' +
        'keystone and neither [keystone_authtoken] www_authenticate_uri nor auth_url is set (no other ' +
        'Keystone is configured); the Compute API and the built-in image service then validate tokens ' +
        'against it. true: always (tokens are still validated against [keystone_authtoken] auth_url when ' +
        'that is set). false: never.',
    }),
    listen: strOpt({ default: '0.0.0.0', help: 'Address the built-in identity service listens on.' }),
    listen_port: portOpt({ default: 5000, help: 'Port of the built-in identity service; 0 picks any free port (the log line says which).' }),
    endpoint_host: strOpt({
      help: 'Host name or address used in the service catalog\'s URLs (identity, compute and the built-in ' +
        'image service). Unset: each listener\'s own address, or 127.0.0.1 for a listener on 0.0.0.0 or ::. ' +
        'Set it (e.g. to $my_ip) when clients on other machines use the catalog.',
    }),
    region_id: strOpt({ default: 'RegionOne', help: 'The region of every catalog endpoint.' }),
    bootstrap_admin_password: strOpt({
      secret: true,
      help: 'When set, every start of the identity service makes sure (like keystone-manage bootstrap) that ' +
        'the admin user exists with this password, that the admin project and the admin, member and ' +
        'reader roles exist, and that the admin user has the admin role on the admin project. Unset: ' +
        'run \'nova identity bootstrap --password ...\' once instead.',
    }),
    bootstrap_username: strOpt({ default: 'admin', help: 'Name of the user bootstrap_admin_password creates.' }),
    bootstrap_project_name: strOpt({ default: 'admin', help: 'Name of the project the bootstrapped user is admin of.' }),
  });

export const tokenSection = section('Tokens of the built-in identity service.', {
  expiration: intOpt({
    default: 3600, min: 60, max: 31_536_000, unit: 'seconds',
    help: 'How long a token issued by the built-in identity service is valid.',
  }),
});
