/**
 * Other OpenStack services nova-ts talks to: [glance], [keystone_authtoken], [placement],
 * [neutron], [cinder].
 */
import { boolOpt, intOpt, listOpt, section, strOpt, uriOpt } from '../option-types';

/** keystoneauth options shared by the sections nova-ts uses to call other services. */
function serviceAuthOptions(service: string, regionDeprecated: string[] = []) {
  return {
    auth_url: uriOpt({ help: `Keystone URL used to authenticate nova-ts to ${service}.` }),
    auth_type: strOpt({ help: 'keystoneauth plugin name; nova-ts supports password.' }),
    project_domain_name: strOpt({ help: 'Domain of project_name.' }),
    user_domain_name: strOpt({ help: 'Domain of username.' }),
    project_name: strOpt({ help: 'Project to scope the token to (usually service).' }),
    username: strOpt({ help: `User nova-ts authenticates as towards ${service}.` }),
    password: strOpt({ secret: true, help: 'Password of username.' }),
    region_name: strOpt({ deprecated: regionDeprecated, help: `Region whose ${service} endpoint is used.` }),
  };
}

export const glanceSection = section('The Image service.', {
  api_servers: listOpt({
    help: 'Image API endpoints, tried in turn (e.g. http://controller:9292). Empty: found in the ' +
      'Keystone catalog.',
  }),
  num_retries: intOpt({ default: 3, min: 0, help: 'Retries of a failed image upload or download.' }),
});

export const keystoneAuthtokenSection = section('Validation of the tokens sent to the Compute API (keystonemiddleware).', {
  www_authenticate_uri: uriOpt({
    deprecated: ['auth_uri'],
    help: 'Public Identity endpoint announced to clients in WWW-Authenticate on 401 responses.',
  }),
  ...serviceAuthOptions('Keystone to validate tokens'),
  memcached_servers: listOpt({
    deprecated: ['memcache_servers'], help: 'host:port of memcached servers caching validated tokens.',
  }),
  service_token_roles_required: boolOpt({
    default: false, help: 'Require the service token sent with a request to carry a service role.',
  }),
  token_cache_time: intOpt({
    default: 300, min: -1, unit: 'seconds',
    help: 'How long a validated token is cached. -1 disables the cache.',
  }),
});

export const placementSection = section('The Placement service.', {
  ...serviceAuthOptions('Placement', ['os_region_name']),
});

export const neutronSection = section('The Networking service.', {
  url: uriOpt({ help: 'Networking API endpoint (e.g. http://controller:9696). Unset: found in the catalog.' }),
  ...serviceAuthOptions('Neutron'),
  service_metadata_proxy: boolOpt({
    default: false, help: 'Neutron proxies metadata requests to nova-ts (metadata_proxy_shared_secret signs them).',
  }),
  metadata_proxy_shared_secret: strOpt({
    secret: true, help: 'Secret shared with the Neutron metadata agent to sign proxied metadata requests.',
  }),
});

export const cinderSection = section('The Block Storage service.', {
  ...serviceAuthOptions('Cinder', ['os_region_name']),
});
