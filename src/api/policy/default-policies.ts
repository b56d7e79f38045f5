/**
 * Nova's default policies for the APIs nova-ts serves. Base rules follow Zed with its default
 * `[oslo_policy] enforce_new_defaults = False`: project rules admit any role in the owning
 * project. With `enforce_new_defaults = True` they require the reader/member role, as Nova's
 * new defaults do. A policy file overrides any rule by name.
 */

const LEGACY_BASE: Record<string, string> = {
  context_is_admin: 'role:admin',
  admin_or_owner: 'is_admin:True or project_id:%(project_id)s',
  admin_api: 'is_admin:True',
  project_reader_or_admin: 'rule:admin_or_owner',
  project_member_or_admin: 'rule:admin_or_owner',
  project_manager_or_admin: 'rule:admin_api',
  service_or_admin: 'rule:admin_api',
};

const NEW_BASE: Record<string, string> = {
  context_is_admin: 'role:admin',
  admin_or_owner: 'is_admin:True or project_id:%(project_id)s',
  admin_api: 'role:admin',
  project_reader_or_admin: '(role:reader and project_id:%(project_id)s) or rule:context_is_admin',
  project_member_or_admin: '(role:member and project_id:%(project_id)s) or rule:context_is_admin',
  project_manager_or_admin: '(role:manager and project_id:%(project_id)s) or rule:context_is_admin',
  service_or_admin: 'role:service or rule:context_is_admin',
};

const R = 'rule:project_reader_or_admin';
const M = 'rule:project_member_or_admin';
const A = 'rule:context_is_admin';
const ANY = '@';
const OWN_USER = '(rule:context_is_admin) or user_id:%(user_id)s';
const P = 'os_compute_api:';

const API_RULES: Record<string, string> = {
  [`${P}extensions`]: ANY,
  [`${P}os-flavor-manage:create`]: A,
  [`${P}os-flavor-manage:update`]: A,
  [`${P}os-flavor-manage:delete`]: A,
  [`${P}os-flavor-access`]: A,
  [`${P}os-flavor-access:add_tenant_access`]: A,
  [`${P}os-flavor-access:remove_tenant_access`]: A,
  [`${P}os-flavor-extra-specs:index`]: R,
  [`${P}os-flavor-extra-specs:show`]: R,
  [`${P}os-flavor-extra-specs:create`]: A,
  [`${P}os-flavor-extra-specs:update`]: A,
  [`${P}os-flavor-extra-specs:delete`]: A,
  [`${P}os-keypairs:index`]: OWN_USER,
  [`${P}os-keypairs:create`]: OWN_USER,
  [`${P}os-keypairs:show`]: OWN_USER,
  [`${P}os-keypairs:delete`]: OWN_USER,
  [`${P}limits`]: ANY,
  [`${P}limits:other_project`]: A,
  [`${P}os-quota-sets:show`]: R,
  [`${P}os-quota-sets:update`]: A,
  [`${P}os-quota-sets:delete`]: A,
  [`${P}os-quota-sets:defaults`]: ANY,
  [`${P}os-quota-sets:detail`]: R,
  [`${P}os-quota-class-sets:show`]: A,
  [`${P}os-quota-class-sets:update`]: A,
  [`${P}os-hypervisors:list`]: A,
  [`${P}os-hypervisors:list-detail`]: A,
  [`${P}os-hypervisors:show`]: A,
  [`${P}os-hypervisors:statistics`]: A,
  [`${P}os-hypervisors:uptime`]: A,
  [`${P}os-hypervisors:search`]: A,
  [`${P}os-hypervisors:servers`]: A,
  [`${P}os-services:list`]: A,
  [`${P}os-services:update`]: A,
  [`${P}os-services:delete`]: A,
  [`${P}os-availability-zone:list`]: ANY,
  [`${P}os-availability-zone:detail`]: A,
  [`${P}os-aggregates:index`]: A,
  [`${P}os-aggregates:create`]: A,
  [`${P}os-aggregates:show`]: A,
  [`${P}os-aggregates:update`]: A,
  [`${P}os-aggregates:delete`]: A,
  [`${P}os-aggregates:add_host`]: A,
  [`${P}os-aggregates:remove_host`]: A,
  [`${P}os-aggregates:set_metadata`]: A,
  [`${P}os-server-groups:index`]: R,
  [`${P}os-server-groups:index:all_projects`]: A,
  [`${P}os-server-groups:show`]: R,
  [`${P}os-server-groups:create`]: M,
  [`${P}os-server-groups:delete`]: M,
  [`${P}os-migrations:index`]: A,
  [`${P}os-simple-tenant-usage:show`]: R,
  [`${P}os-simple-tenant-usage:list`]: A,
};

export function defaultPolicies(enforceNewDefaults: boolean): Record<string, string> {
  return { ...(enforceNewDefaults ? NEW_BASE : LEGACY_BASE), ...API_RULES };
}
