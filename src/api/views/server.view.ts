/**
 * Server bodies (Nova's nova/api/openstack/compute/views/servers.py), microversions 2.1..2.96.
 * Pure: everything the view cannot read from the InstanceRecord (policy outcomes, Neutron
 * addresses and security groups, block device mappings, host status, server group, request-spec
 * AZ) arrives in `ServerViewExtras`, computed by the controller.
 */
import { createHash } from 'node:crypto';
import type { InstanceFlavor, InstanceRecord } from '../../objects/instance.object';
import { hostIdOf, statusFromState, VmState } from '../../objects/instance.object';
import type { RequestContext } from '../http/request-context';
import { atLeast } from '../microversion/api-version';
import { isoMicro, isoSeconds, nextLinks, resourceLinks } from './format';

/** One IP of a server on one network (`common.get_networks_for_instance`). */
export interface ServerAddress {
  addr: string;
  version: 4 | 6;
  /** `OS-EXT-IPS:type`. */
  type: 'fixed' | 'floating';
  /** `OS-EXT-IPS-MAC:mac_addr`: the MAC of the port the IP belongs to. */
  mac: string | null;
}

/** A volume block device mapping of the server (only BDMs with a volume_id). */
export interface ServerVolumeAttachment {
  id: string;
  delete_on_termination: boolean;
}

/**
 * What a server body needs beyond the InstanceRecord. Policy checks are done by the controller
 * (with target `{project_id: instance.project_id}` for show, no target for list-detail) and passed
 * here as booleans; the view applies the microversion gates.
 */
export interface ServerViewExtras {
  /** `context.is_admin`: decides whether `fault.details` of a code-500 fault is shown. */
  isAdmin: boolean;
  /**
   * `os_compute_api:os-extended-server-attributes` passed: `OS-EXT-SRV-ATTR:host`,
   * `:hypervisor_hostname`, `:instance_name`, and from 2.3 `:hostname`, `:kernel_id`,
   * `:launch_index`, `:ramdisk_id`, `:reservation_id`, `:root_device_name`, `:user_data`.
   */
  showExtended: boolean;
  /**
   * Host status visibility (2.16+): `true` when `servers:show:host_status` passed (any status is
   * shown), `'unknown-only'` when only `servers:show:host_status:unknown-only` passed (shown only
   * when it is `UNKNOWN`), `false` when neither (never shown).
   */
  showHostStatus: boolean | 'unknown-only';
  /**
   * `UP` | `DOWN` | `MAINTENANCE` | `UNKNOWN` | `""` (no host) from the compute API's
   * `get_instance_host_status`; when undefined `host_status` is omitted.
   */
  hostStatus?: string;
  /** `servers:show:flavor-extra-specs` passed (consulted from 2.47 only). */
  showFlavorExtraSpecs: boolean;
  /** True for `GET /servers/detail`: `server_groups` (2.71) is a show/update/rebuild-only field. */
  forList: boolean;
  /** Network label → IPs, in Neutron's order. Ignored (`{}`) while the server is building. Default `{}`. */
  addresses?: Record<string, ServerAddress[]>;
  /** Security group names from Neutron; the key is omitted when undefined or empty. */
  securityGroups?: string[];
  /** Volume BDMs for `os-extended-volumes:volumes_attached`. Default `[]`. */
  volumesAttached?: ServerVolumeAttachment[];
  /** Uuids of the server group the server is in (at most one). Default `[]`. */
  serverGroups?: string[];
  /**
   * `OS-EXT-AZ:availability_zone` as `availability_zones.get_instance_availability_zone`
   * computes it (the host's aggregate AZ once the server has a host). Default: the record's
   * `availability_zone`. null/"" render as `""`.
   */
  availabilityZone?: string | null;
  /** `pinned_availability_zone` (2.96): the request spec's availability_zone. Default null. */
  pinnedAvailabilityZone?: string | null;
  /** `trusted_image_certificates` (2.63): the instance's trusted cert ids. Default null. */
  trustedImageCertificates?: string[] | null;
  /** `OS-EXT-SRV-ATTR:instance_name` when `[DEFAULT] instance_name_template` is not `instance-%08x`. */
  instanceName?: string;
}

/** Which parts of the body a caller renders: Nova's `ViewBuilder.show` flags. */
interface ShowFlags {
  extendAddress: boolean;
  showAz: boolean;
  showConfigDrive: boolean;
  showKeypair: boolean;
  showSrvUsg: boolean;
  showSecGrp: boolean;
  showExtendedStatus: boolean;
  showExtendedVolumes: boolean;
  /** Extended attributes and host status are policy-driven only when allowed by the caller. */
  allowExtendedAttr: boolean;
  allowHostStatus: boolean;
  showUserData: boolean;
}

const FULL: ShowFlags = {
  extendAddress: true, showAz: true, showConfigDrive: true, showKeypair: true, showSrvUsg: true, showSecGrp: true,
  showExtendedStatus: true, showExtendedVolumes: true, allowExtendedAttr: true, allowHostStatus: true, showUserData: true,
};
const REDUCED: ShowFlags = {
  extendAddress: false, showAz: false, showConfigDrive: false, showKeypair: false, showSrvUsg: false, showSecGrp: false,
  showExtendedStatus: false, showExtendedVolumes: false, allowExtendedAttr: false, allowHostStatus: false, showUserData: true,
};

const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);
const FAULT_STATUSES = new Set(['ERROR', 'DELETED']);

function sha224(s: string): string {
  return createHash('sha224').update(s, 'utf8').digest('hex');
}

/** Nova's `hostId` (utils.generate_hostid): sha224 hex of project_id + host; `""` without a host. */
export function serverHostId(projectId: string | null, host: string | null): string {
  return hostIdOf(String(projectId), host, sha224);
}

/** `instance-%08x` of the DB id (Nova's default `instance_name_template`). */
export function defaultInstanceName(id: number): string {
  return `instance-${id.toString(16).padStart(8, '0')}`;
}

/** The last path segment of an href (common.get_id_from_href); a bare id is returned as is. */
function idFromHref(href: string): string {
  const path = href.replace(/[?#].*$/, '').replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/, '');
  const parts = path.split('/');
  return parts[parts.length - 1];
}

function bookmark(ctx: RequestContext, collection: string, id: string) {
  return [{ rel: 'bookmark', href: resourceLinks(ctx, collection, id)[1].href }];
}

function imageOf(ctx: RequestContext, inst: InstanceRecord): { id: string; links: Array<{ rel: string; href: string }> } | '' {
  if (!inst.image_ref) return '';
  const id = idFromHref(inst.image_ref);
  return { id, links: bookmark(ctx, 'images', id) };
}

function flavorOf(ctx: RequestContext, flavor: InstanceFlavor | null, showExtraSpecs: boolean): Record<string, unknown> {
  if (!flavor) return {};
  if (atLeast(ctx.version, '2.47')) {
    const body: Record<string, unknown> = {
      vcpus: flavor.vcpus,
      ram: flavor.memory_mb,
      disk: flavor.root_gb,
      ephemeral: flavor.ephemeral_gb,
      swap: flavor.swap,
      original_name: flavor.name,
    };
    if (showExtraSpecs) body.extra_specs = flavor.extra_specs ?? {};
    return body;
  }
  const id = String(flavor.flavorid);
  return { id, links: bookmark(ctx, 'flavors', id) };
}

function addressesOf(inst: InstanceRecord, extras: ServerViewExtras, extend: boolean) {
  const out: Record<string, Array<Record<string, unknown>>> = {};
  if (inst.vm_state === VmState.BUILDING) return out;
  for (const [label, ips] of Object.entries(extras.addresses ?? {})) {
    out[label] = ips.map((ip) =>
      extend
        ? { version: ip.version, addr: ip.addr, 'OS-EXT-IPS:type': ip.type, 'OS-EXT-IPS-MAC:mac_addr': ip.mac }
        : { version: ip.version, addr: ip.addr },
    );
  }
  return out;
}

function faultOf(inst: InstanceRecord, isAdmin: boolean) {
  const f = inst.fault;
  if (!f) return undefined;
  const body: Record<string, unknown> = { code: f.code, created: isoSeconds(f.created_at), message: f.message };
  if (f.details && (isAdmin || f.code !== 500)) body.details = f.details;
  return body;
}

/** Nova's `ViewBuilder.show` with explicit flags. */
function render(ctx: RequestContext, inst: InstanceRecord, extras: ServerViewExtras, flags: ShowFlags): Record<string, unknown> {
  const v = ctx.version;
  const s: Record<string, unknown> = {
    id: inst.uuid,
    name: inst.display_name,
    status: statusFromState(inst.vm_state, inst.task_state, inst.deleted),
    tenant_id: inst.project_id || '',
    user_id: inst.user_id || '',
    metadata: inst.metadata ?? {},
    hostId: serverHostId(inst.project_id, inst.host),
    image: imageOf(ctx, inst),
    flavor: flavorOf(ctx, inst.flavor, atLeast(v, '2.47') && extras.showFlavorExtraSpecs),
    created: isoSeconds(inst.created_at),
    updated: isoSeconds(inst.updated_at),
    addresses: addressesOf(inst, extras, flags.extendAddress),
    accessIPv4: inst.access_ip_v4 ?? '',
    accessIPv6: inst.access_ip_v6 ?? '',
    links: resourceLinks(ctx, 'servers', inst.uuid),
    'OS-DCF:diskConfig': inst.auto_disk_config ? 'AUTO' : 'MANUAL',
  };
  const status = s.status as string;
  if (FAULT_STATUSES.has(status)) {
    const fault = faultOf(inst, extras.isAdmin);
    if (fault) s.fault = fault;
  }
  if (PROGRESS_STATUSES.has(status)) s.progress = inst.progress ?? 0;

  if (flags.showAz) {
    const az = extras.availabilityZone !== undefined ? extras.availabilityZone : inst.availability_zone;
    s['OS-EXT-AZ:availability_zone'] = az || '';
  }
  if (flags.showConfigDrive) s.config_drive = inst.config_drive ?? '';
  if (flags.showKeypair) s.key_name = inst.key_name;
  if (flags.showSrvUsg) {
    s['OS-SRV-USG:launched_at'] = isoMicro(inst.launched_at);
    s['OS-SRV-USG:terminated_at'] = isoMicro(inst.terminated_at);
  }
  if (flags.showSecGrp && extras.securityGroups && extras.securityGroups.length > 0) {
    s.security_groups = extras.securityGroups.map((name) => ({ name }));
  }

  const showExtended = flags.allowExtendedAttr && extras.showExtended;
  if (showExtended) {
    s['OS-EXT-SRV-ATTR:host'] = inst.host;
    s['OS-EXT-SRV-ATTR:instance_name'] = extras.instanceName ?? defaultInstanceName(inst.id);
    s['OS-EXT-SRV-ATTR:hypervisor_hostname'] = inst.node;
    if (atLeast(v, '2.3')) {
      s['OS-EXT-SRV-ATTR:hostname'] = inst.hostname;
      s['OS-EXT-SRV-ATTR:kernel_id'] = inst.kernel_id;
      s['OS-EXT-SRV-ATTR:launch_index'] = inst.launch_index;
      s['OS-EXT-SRV-ATTR:ramdisk_id'] = inst.ramdisk_id;
      s['OS-EXT-SRV-ATTR:reservation_id'] = inst.reservation_id;
      s['OS-EXT-SRV-ATTR:root_device_name'] = inst.root_device_name;
      if (flags.showUserData) s['OS-EXT-SRV-ATTR:user_data'] = inst.user_data;
    }
  }

  if (flags.showExtendedStatus) {
    s['OS-EXT-STS:task_state'] = inst.task_state;
    s['OS-EXT-STS:vm_state'] = inst.vm_state;
    s['OS-EXT-STS:power_state'] = inst.power_state;
  }
  if (flags.showExtendedVolumes) {
    s['os-extended-volumes:volumes_attached'] = (extras.volumesAttached ?? []).map((bdm) =>
      atLeast(v, '2.3') ? { id: bdm.id, delete_on_termination: bdm.delete_on_termination } : { id: bdm.id },
    );
  }
  if (atLeast(v, '2.9')) s.locked = Boolean(inst.locked_by);
  if (atLeast(v, '2.16') && flags.allowHostStatus && extras.hostStatus !== undefined) {
    if (extras.showHostStatus === true || (extras.showHostStatus === 'unknown-only' && extras.hostStatus === 'UNKNOWN')) {
      s.host_status = extras.hostStatus;
    }
  }
  if (atLeast(v, '2.19')) s.description = inst.display_description;
  if (atLeast(v, '2.26')) s.tags = [...(inst.tags ?? [])];
  if (atLeast(v, '2.63')) s.trusted_image_certificates = extras.trustedImageCertificates !== undefined ? extras.trustedImageCertificates : trustedCertsOf(inst);
  if (atLeast(v, '2.71') && !extras.forList) s.server_groups = [...(extras.serverGroups ?? [])];
  if (atLeast(v, '2.73')) s.locked_reason = inst.locked_reason ?? inst.system_metadata?.locked_reason ?? null;
  if (atLeast(v, '2.90') && !showExtended) s['OS-EXT-SRV-ATTR:hostname'] = inst.hostname;
  if (flags.showAz && atLeast(v, '2.96')) s.pinned_availability_zone = extras.pinnedAvailabilityZone ?? null;
  return s;
}

/** A `GET /servers` list item: `{id, name, links}`. */
export function serverIndexItem(ctx: RequestContext, inst: InstanceRecord) {
  return { id: inst.uuid, name: inst.display_name, links: resourceLinks(ctx, 'servers', inst.uuid) };
}

/**
 * The trusted image certificate ids an instance keeps in its system metadata (`trusted_certs`,
 * a JSON list; Nova's `instance.trusted_certs.ids`), or null.
 */
export function trustedCertsOf(inst: InstanceRecord): string[] | null {
  const raw = inst.system_metadata?.[TRUSTED_CERTS_KEY];
  if (!raw) return null;
  try {
    const ids: unknown = JSON.parse(raw);
    return Array.isArray(ids) && ids.length > 0 ? ids.map(String) : null;
  } catch {
    return null;
  }
}

/** The system metadata key of the trusted image certificate ids. */
export const TRUSTED_CERTS_KEY = 'trusted_certs';

/**
 * The full server of `GET /servers/{id}` (extras.forList false) and each item of
 * `GET /servers/detail` (extras.forList true), without the `{"server": …}` wrapper.
 */
export function serverDetail(ctx: RequestContext, inst: InstanceRecord, extras: ServerViewExtras): Record<string, unknown> {
  return render(ctx, inst, extras, FULL);
}

/**
 * `POST /servers` 202 body. `securityGroups` are the names the request gave
 * (`server.security_groups`), echoed as is; undefined → `[{"name": "default"}]`.
 * `adminPass` only when `[api] enable_instance_password` (the caller decides).
 */
export function serverCreateResponse(ctx: RequestContext, inst: InstanceRecord, opts: { adminPass?: string; securityGroups?: string[] }) {
  const server: Record<string, unknown> = {
    id: inst.uuid,
    links: resourceLinks(ctx, 'servers', inst.uuid),
    'OS-DCF:diskConfig': inst.auto_disk_config ? 'AUTO' : 'MANUAL',
    security_groups: opts.securityGroups === undefined ? [{ name: 'default' }] : opts.securityGroups.map((name) => ({ name })),
  };
  if (opts.adminPass !== undefined) server.adminPass = opts.adminPass;
  return { server };
}

/**
 * `PUT /servers/{id}` 200 body. Before 2.75 a reduced server: addresses without the
 * `OS-EXT-IPS*` keys and no AZ, config_drive, key_name, OS-SRV-USG, security_groups,
 * OS-EXT-SRV-ATTR, OS-EXT-STS, volumes_attached or host_status (the version-gated fields
 * locked/description/tags/… stay). From 2.75 the same body as show (`forList` is ignored).
 */
export function serverUpdateResponse(ctx: RequestContext, inst: InstanceRecord, extras: ServerViewExtras) {
  const e = { ...extras, forList: false };
  return { server: render(ctx, inst, e, atLeast(ctx.version, '2.75') ? FULL : REDUCED) };
}

/**
 * Rebuild action 202 body (`servers.py _action_rebuild`): before 2.75 the reduced server of PUT
 * plus `key_name` from 2.54; from 2.75 the show body without `OS-EXT-SRV-ATTR:user_data`.
 * Then `adminPass` (when given) and, from 2.57, `user_data`.
 */
export function serverRebuildResponse(ctx: RequestContext, inst: InstanceRecord, extras: ServerViewExtras, opts: { adminPass?: string } = {}) {
  const v = ctx.version;
  const base = atLeast(v, '2.75') ? FULL : { ...REDUCED, showKeypair: atLeast(v, '2.54') };
  const server = render(ctx, inst, { ...extras, forList: false }, { ...base, showUserData: false });
  if (opts.adminPass !== undefined) server.adminPass = opts.adminPass;
  if (atLeast(v, '2.57')) server.user_data = inst.user_data;
  return { server };
}

/**
 * `servers_links` of `GET /servers` (collection `servers`) or `/servers/detail`
 * (`servers/detail`): a next link with the last server's uuid as marker when the page is full.
 * `pageSize` is min(limit, [api] max_limit) (max_limit when no limit was given).
 * Returns undefined when there is no next page (omit the key).
 */
export function serversLinks(
  ctx: RequestContext,
  collection: 'servers' | 'servers/detail',
  query: Record<string, string[]>,
  pageSize: number,
  servers: Array<Pick<InstanceRecord, 'uuid'>>,
) {
  return nextLinks(ctx, collection, query, pageSize, servers.length, servers[servers.length - 1]?.uuid);
}
