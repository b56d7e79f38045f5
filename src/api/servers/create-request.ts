/**
 * `POST /servers` request validation (schemas/servers.py `create*`, `servers.py create`), pure.
 *
 * The body is checked against the schema of the request's microversion in jsonschema's order
 * (the keywords of each schema in their order, `properties` in the schema's order, then
 * `required`, then `additionalProperties`), failing with the first error worded as Nova words it.
 * The checks the controller then runs on the validated body and that need no database (count
 * bounds, availability zone parsing, block device mappings, networks, the image, the
 * multi-create limits of compute.API.create) follow in Nova's order. Nova runs its policy
 * checks between some of them; the caller runs its own after this parser.
 *
 * The schema building blocks below (formats, objects, arrays, oneOf) are shared with
 * action-requests.ts.
 */
import { Invalid } from '../../common/errors';
import { ApiVersion, atLeast, isBetween } from '../microversion/api-version';
import { metadataCheck } from '../validation/metadata';
import {
  allOf, booleanCheck, Check, enumCheck, fqdnCheck, lengthCheck, MAX_INT, nameFormatCheck, patternCheck, positiveIntegerCheck, rangeCheck, toBool, typeCheck,
} from '../validation/nova-validators';
import { pyRepr } from '../validation/py-repr';
import { additionalPropertiesMessage, fieldError, nestedMessage } from '../validation/validate';

// ---------------------------------------------------------------------------------------------
// Schema building blocks (jsonschema keywords as Checks)
// ---------------------------------------------------------------------------------------------

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Validates the whole body with `check`; the failure is rendered for the body root. */
export function runCheck(body: unknown, check: Check): void {
  const message = check(body);
  if (message !== null) throw fieldError(undefined, body, message);
}

/**
 * `{'type': types, 'properties': props, 'required': required, 'additionalProperties': ...}`:
 * the properties present, in `props` order; then the first missing required key; then the
 * keys `props` does not list (unless `additional`). A property's failure is rendered for its
 * own path. With 'null' among `types`, null passes.
 */
export function objectCheck(
  props: Record<string, Check>,
  opts: { required?: string[]; additional?: boolean; types?: string[] } = {},
): Check {
  const typeOk = typeCheck(...(opts.types ?? ['object']));
  return (v) => {
    const notType = typeOk(v);
    if (notType !== null) return notType;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    const obj = v as Record<string, unknown>;
    for (const [key, check] of Object.entries(props)) {
      if (!hasOwn(obj, key)) continue;
      const message = check(obj[key]);
      if (message !== null) return nestedMessage(key, obj[key], message);
    }
    for (const key of opts.required ?? []) {
      if (!hasOwn(obj, key)) return `${pyRepr(key)} is a required property`;
    }
    if (!opts.additional) {
      const extra = Object.keys(obj).filter((k) => !hasOwn(props, k));
      if (extra.length > 0) return additionalPropertiesMessage(extra);
    }
    return null;
  };
}

/** `items`: every element of an array (other values pass), each failure rendered at its index. */
export function itemsCheck(item: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return null;
    for (let i = 0; i < v.length; i++) {
      const message = item(v[i]);
      if (message !== null) return nestedMessage(i, v[i], message);
    }
    return null;
  };
}

/** `minItems` / `maxItems`, for arrays only. */
export function itemCountCheck(min: number, max: number): Check {
  return (v) => {
    if (!Array.isArray(v)) return null;
    return v.length < min ? `${pyRepr(v)} is too short` : v.length > max ? `${pyRepr(v)} is too long` : null;
  };
}

/** `uniqueItems` (JSON equality), for arrays only. */
export const uniqueItemsCheck: Check = (v) => {
  if (!Array.isArray(v)) return null;
  const seen = new Set<string>();
  for (const x of v) {
    const key = JSON.stringify(x);
    if (seen.has(key)) return `${pyRepr(v)} has non-unique elements`;
    seen.add(key);
  }
  return null;
};

/** `oneOf`: exactly one of the schemas (the ones used here cannot match together). */
export function oneOfCheck(...checks: Check[]): Check {
  return (v) => (checks.some((c) => c(v) === null) ? null : `${pyRepr(v)} is not valid under any of the given schemas`);
}

/** A jsonschema `format`: strings only; other values pass. */
function formatCheck(name: string, test: (s: string) => boolean): Check {
  return (v) => (typeof v !== 'string' || test(v) ? null : `${pyRepr(v)} is not a ${pyRepr(name)}`);
}

/** oslo_utils.uuidutils.is_uuid_like: braces, `urn:`/`uuid:`, hyphens and case are forgiven. */
export function isUuidLike(s: string): boolean {
  const hex = stripChars(s.split('urn:').join('').split('uuid:').join(''), '{}').split('-').join('');
  return /^[0-9a-fA-F]{32}$/.test(hex);
}

function stripChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a])) a++;
  while (b > a && chars.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

/** Python's ipaddress.IPv4Address: four decimal octets, no leading zeros. */
export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255 && !(p.length > 1 && p.startsWith('0')));
}

/** Python's ipaddress.IPv6Address (jsonschema also refuses a `%scope`). */
export function isIPv6(s: string): boolean {
  if (s === '' || s.includes('%')) return false;
  const parts = s.split(':');
  if (parts.length < 3) return false;
  const last = parts[parts.length - 1];
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    parts.pop();
    parts.push('0', '0');
  }
  if (parts.length > 9) return false;
  let skip: number | null = null;
  for (let i = 1; i < parts.length - 1; i++) {
    if (parts[i] === '') {
      if (skip !== null) return false;
      skip = i;
    }
  }
  let hi: number;
  let lo: number;
  if (skip !== null) {
    hi = skip;
    lo = parts.length - skip - 1;
    if (parts[0] === '' && --hi !== 0) return false;
    if (parts[parts.length - 1] === '' && --lo !== 0) return false;
    if (8 - (hi + lo) < 1) return false;
  } else {
    if (parts.length !== 8 || parts[0] === '' || parts[7] === '') return false;
    hi = parts.length;
    lo = 0;
  }
  const hextets = [...parts.slice(0, hi), ...parts.slice(parts.length - lo)];
  return hextets.every((h) => /^[0-9a-fA-F]{1,4}$/.test(h));
}

/**
 * Nova's `base64` format: base64.b64decode without validation (characters outside the alphabet
 * are skipped, decoding stops at a complete padding), which fails only on a bad length.
 */
export function isBase64(s: string): boolean {
  let quad = 0;
  let pads = 0;
  for (const ch of s) {
    if (ch === '=') {
      if (quad >= 2 && quad + ++pads >= 4) return true;
      continue;
    }
    if (!/[A-Za-z0-9+/]/.test(ch)) continue;
    pads = 0;
    quad = (quad + 1) & 3;
  }
  return quad === 0;
}

export const uuidFormat = formatCheck('uuid', isUuidLike);
const ipv4Format = formatCheck('ipv4', isIPv4);
const ipv6Format = formatCheck('ipv6', isIPv6);
const base64Format = formatCheck('base64', isBase64);

/** parameter_types.image_id (and server_id, volume_id, ...): a string in uuid format. */
export const UUID: Check = allOf(typeCheck('string'), uuidFormat);
/** parameter_types.name. */
export const NAME: Check = allOf(typeCheck('string'), nameFormatCheck('name'), lengthCheck(1, 255));
/** parameter_types.name_or_none. */
export const NAME_OR_NONE: Check = oneOfCheck(allOf(typeCheck('string'), lengthCheck(1, 255)), typeCheck('null'));
/** parameter_types.ip_address: a string, then ipv4 or ipv6. */
export const IP_ADDRESS: Check = allOf(typeCheck('string'), oneOfCheck(ipv4Format, ipv6Format));
/** parameter_types.accessIPv4 / accessIPv6. */
export const ACCESS_IPV4: Check = allOf(typeCheck('string'), ipv4Format);
export const ACCESS_IPV6: Check = allOf(typeCheck('string'), ipv6Format);
/** parameter_types.disk_config. */
export const DISK_CONFIG: Check = allOf(typeCheck('string'), enumCheck(['AUTO', 'MANUAL']));
/** parameter_types.admin_password. */
export const ADMIN_PASSWORD: Check = typeCheck('string');
/** parameter_types.flavor_ref. */
export const FLAVOR_REF: Check = allOf(typeCheck('string', 'integer'), lengthCheck(1, Infinity));
/** parameter_types.metadata. */
export const METADATA: Check = metadataCheck(['string']);
/** user_data of create (string) and of rebuild 2.57 (string or null). */
export function userDataCheck(nullable: boolean): Check {
  return allOf(typeCheck(...(nullable ? ['string', 'null'] : ['string'])), base64Format, lengthCheck(0, 65535));
}
/** parameter_types.personality. */
export const PERSONALITY: Check = allOf(
  typeCheck('array'),
  itemsCheck(objectCheck({ path: typeCheck('string'), contents: allOf(typeCheck('string'), base64Format) })),
);
/** parameter_types.tag (objects.tag.MAX_TAG_LENGTH 60). */
export const TAG: Check = allOf(typeCheck('string'), patternCheck('^[^,/]*$'), lengthCheck(1, 60));
/** parameter_types.trusted_certs. */
export const TRUSTED_CERTS: Check = allOf(
  typeCheck('array', 'null'), itemCountCheck(1, 50), uniqueItemsCheck, itemsCheck(allOf(typeCheck('string'), lengthCheck(1, Infinity))),
);
/** parameter_types.hostname (2.90) / fqdn (2.94). */
export function hostnameCheck(version: ApiVersion): Check {
  if (atLeast(version, '2.94')) return fqdnCheck;
  return allOf(typeCheck('string'), patternCheck('^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$'), lengthCheck(2, 63));
}

/**
 * parameter_types.description: `'^[<printable>]*$'`, the pattern text built as Nova builds it
 * (`_build_regex_range()` over U+0000–U+FFFE with re.escape), since the message quotes it.
 */
let descriptionPattern: string | undefined;
function printableWithSpace(ch: string): boolean {
  return !/\p{C}/u.test(ch) && !/[\p{Zl}\p{Zp}]/u.test(ch);
}
function pyEscape(ch: string): string {
  return '()[]{}?*+-|^$\\.&~# \t\n\r\v\f'.includes(ch) ? `\\${ch}` : ch;
}
export function descriptionPatternText(): string {
  if (descriptionPattern !== undefined) return descriptionPattern;
  let range = '';
  let inRange = false;
  let last = '';
  let lastAdded = '';
  for (let i = 0; i < 0xffff; i++) {
    const c = String.fromCharCode(i);
    if (printableWithSpace(c)) {
      if (!inRange) {
        range += pyEscape(c);
        lastAdded = c;
      }
      inRange = true;
    } else {
      if (inRange && last !== lastAdded) range += `-${pyEscape(last)}`;
      inRange = false;
    }
    last = c;
  }
  if (inRange) range += `-${pyEscape(last)}`;
  descriptionPattern = `^[${range}]*$`;
  return descriptionPattern;
}
/** The description regex's character class (astral characters are outside Nova's ranges); `$` also matches before a final newline. */
const DESCRIPTION_TEXT = /^[^\p{C}\p{Zl}\p{Zp}\u{10000}-\u{10FFFF}]*\n?$/u;
function isDescriptionText(s: string): boolean {
  return DESCRIPTION_TEXT.test(s);
}
export const DESCRIPTION: Check = allOf(
  typeCheck('string', 'null'),
  (v) => (typeof v !== 'string' || isDescriptionText(v) ? null : `${pyRepr(v)} does not match ${pyRepr(descriptionPatternText())}`),
  lengthCheck(0, 255),
);

// ---------------------------------------------------------------------------------------------
// Small conversions Nova applies
// ---------------------------------------------------------------------------------------------

const PY_WHITESPACE = '\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** common.normalize_name: Python's str.strip(). */
export function normalizeName(name: string): string {
  return stripChars(name, PY_WHITESPACE);
}

/** Python's truthiness of a JSON value. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** common.get_id_from_href: the last segment of urlsplit(href).path. */
export function idFromHref(href: string | number): string {
  let url = String(href);
  let start = 0;
  while (start < url.length && url.charCodeAt(start) <= 0x20) start++; // WHATWG C0 control or space
  url = url.slice(start).replace(/[\t\r\n]/g, '');
  const colon = url.indexOf(':');
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+\-.]*$/.test(url.slice(0, colon))) url = url.slice(colon + 1);
  if (url.startsWith('//')) {
    const end = url.slice(2).search(/[/?#]/);
    url = end < 0 ? '' : url.slice(2 + end);
  }
  const hash = url.indexOf('#');
  if (hash >= 0) url = url.slice(0, hash);
  const query = url.indexOf('?');
  if (query >= 0) url = url.slice(0, query);
  const segments = url.split('/');
  return segments[segments.length - 1];
}

/** Python's int() of a value that passed an integer-or-digits schema. */
export function toInt(v: unknown): number {
  return typeof v === 'number' ? Math.trunc(v) : Number(String(v).trim());
}

// ---------------------------------------------------------------------------------------------
// The create schema, per microversion
// ---------------------------------------------------------------------------------------------

const LEGACY_BDM_PROPS: Record<string, Check> = {
  virtual_name: allOf(typeCheck('string'), lengthCheck(0, 255)),
  volume_id: UUID,
  snapshot_id: UUID,
  volume_size: allOf(typeCheck('integer', 'string'), patternCheck('^[0-9]+$'), rangeCheck(1, MAX_INT)),
  device_name: allOf(typeCheck('string'), lengthCheck(1, 255), patternCheck('^[a-zA-Z0-9._/-]*$')),
  delete_on_termination: booleanCheck,
  no_device: () => null,
  connection_info: allOf(typeCheck('string'), lengthCheck(0, 16777215)),
};

function bdmV2Check(version: ApiVersion): Check {
  const props: Record<string, Check> = {
    ...LEGACY_BDM_PROPS,
    source_type: allOf(typeCheck('string'), enumCheck(['volume', 'image', 'snapshot', 'blank'])),
    uuid: allOf(typeCheck('string'), lengthCheck(1, 255), patternCheck('^[a-zA-Z0-9._-]*$')),
    image_id: UUID,
    destination_type: allOf(typeCheck('string'), enumCheck(['local', 'volume'])),
    guest_format: allOf(typeCheck('string'), lengthCheck(0, 255)),
    device_type: allOf(typeCheck('string'), lengthCheck(0, 255)),
    disk_bus: allOf(typeCheck('string'), lengthCheck(0, 255)),
    boot_index: allOf(typeCheck('integer', 'string', 'null'), patternCheck('^-?[0-9]+$')),
  };
  if (isBetween(version, '2.32', '2.32') || atLeast(version, '2.42')) props.tag = TAG;
  if (atLeast(version, '2.67')) props.volume_type = allOf(typeCheck('string', 'null'), lengthCheck(0, 255));
  return objectCheck(props);
}

function networksCheck(version: ApiVersion): Check {
  const tag = isBetween(version, '2.32', '2.36') || atLeast(version, '2.42');
  const port = allOf(typeCheck('string', 'null'), uuidFormat);
  if (!atLeast(version, '2.37')) {
    const item: Record<string, Check> = { fixed_ip: IP_ADDRESS, port, uuid: typeCheck('string') };
    if (tag) item.tag = TAG;
    return allOf(typeCheck('array'), itemsCheck(objectCheck(item)));
  }
  const item: Record<string, Check> = { fixed_ip: IP_ADDRESS, port, uuid: UUID };
  if (tag) item.tag = TAG;
  return oneOfCheck(allOf(typeCheck('array'), itemsCheck(objectCheck(item))), allOf(typeCheck('string'), enumCheck(['none', 'auto'])));
}

/** schemas/servers.py `_hints` (extra keys allowed). */
const HINTS: Check = objectCheck(
  {
    group: oneOfCheck(allOf(typeCheck('array'), itemsCheck(UUID)), UUID),
    different_host: oneOfCheck(UUID, allOf(typeCheck('array'), itemsCheck(UUID))),
    same_host: allOf(typeCheck('string', 'array'), itemsCheck(UUID)),
    query: typeCheck('string', 'object'),
    target_cell: NAME,
    different_cell: allOf(typeCheck('string', 'array'), itemsCheck(typeCheck('string'))),
    build_near_host_ip: IP_ADDRESS,
    cidr: allOf(typeCheck('string'), patternCheck('^/[0-9a-f.:]+$')),
  },
  { additional: true },
);

const schemaCache = new Map<string, Check>();

/** The `create` schema of a microversion (create, create_v219, ... create_v294). */
export function createSchema(version: ApiVersion): Check {
  const key = `${version.major}.${version.minor}`;
  const cached = schemaCache.get(key);
  if (cached) return cached;
  const p: Record<string, Check> = {
    name: NAME,
    imageRef: oneOfCheck(UUID, allOf(typeCheck('string'), lengthCheck(0, 0))),
    flavorRef: FLAVOR_REF,
    adminPass: ADMIN_PASSWORD,
    metadata: METADATA,
    networks: networksCheck(version),
    'OS-DCF:diskConfig': DISK_CONFIG,
    accessIPv4: ACCESS_IPV4,
    accessIPv6: ACCESS_IPV6,
  };
  if (!atLeast(version, '2.57')) p.personality = PERSONALITY;
  Object.assign(p, {
    availability_zone: NAME,
    block_device_mapping: allOf(typeCheck('array'), itemsCheck(objectCheck(LEGACY_BDM_PROPS))),
    block_device_mapping_v2: allOf(typeCheck('array'), itemsCheck(bdmV2Check(version))),
    config_drive: booleanCheck,
    key_name: NAME,
    min_count: positiveIntegerCheck,
    max_count: positiveIntegerCheck,
    return_reservation_id: booleanCheck,
    security_groups: allOf(typeCheck('array'), itemsCheck(objectCheck({ name: NAME }))),
    user_data: userDataCheck(false),
  });
  if (atLeast(version, '2.19')) p.description = DESCRIPTION;
  if (atLeast(version, '2.52')) p.tags = allOf(typeCheck('array'), itemsCheck(TAG), itemCountCheck(0, 50));
  if (atLeast(version, '2.63')) p.trusted_image_certificates = TRUSTED_CERTS;
  if (atLeast(version, '2.74')) {
    p.host = fqdnCheck;
    p.hypervisor_hostname = fqdnCheck;
  }
  if (atLeast(version, '2.90')) p.hostname = hostnameCheck(version);
  const required = atLeast(version, '2.37') ? ['name', 'flavorRef', 'networks'] : ['name', 'flavorRef'];
  const server = objectCheck(p, { required });
  const schema = objectCheck({ server, 'os:scheduler_hints': HINTS, 'OS-SCH-HNT:scheduler_hints': HINTS }, { required: ['server'] });
  schemaCache.set(key, schema);
  return schema;
}

// ---------------------------------------------------------------------------------------------
// The normalised request
// ---------------------------------------------------------------------------------------------

export type DiskConfig = 'AUTO' | 'MANUAL';

/** One requested network (objects.NetworkRequest): a port, or a network with an optional fixed IP. */
export interface NetworkRequest {
  uuid?: string;
  port?: string;
  fixedIp?: string;
  tag?: string;
}

/** `auto`/`none` (2.37), a list, or null: none given (before 2.37; Nova then uses every network it may). */
export type RequestedNetworks = 'auto' | 'none' | NetworkRequest[] | null;

/** A block device mapping in the internal (v2) format (block_device.BlockDeviceDict). */
export interface BlockDeviceMappingRequest {
  sourceType: 'volume' | 'image' | 'snapshot' | 'blank' | null;
  destinationType: 'local' | 'volume' | null;
  imageId: string | null;
  volumeId: string | null;
  snapshotId: string | null;
  /** null: not bootable (legacy mappings get theirs from compute, as Nova's from_legacy_mapping). */
  bootIndex: number | null;
  volumeSize: number | null;
  /** With a leading `/dev/`. */
  deviceName: string | null;
  deviceType: string | null;
  diskBus: string | null;
  guestFormat: string | null;
  deleteOnTermination: boolean;
  noDevice: boolean;
  connectionInfo: string | null;
  tag: string | null;
  volumeType: string | null;
}

export interface Personality {
  path: string;
  contents: string;
}

export interface CreateServerRequest {
  /** Stripped of surrounding whitespace (common.normalize_name). */
  name: string;
  /** The description (2.19); before 2.19 Nova stores the name as the description. */
  description: string | null;
  /** The image UUID; null when booting from a block device mapping (imageRef absent or ""). */
  imageRef: string | null;
  /** The flavor id: the last path segment of the given id or href. */
  flavorRef: string;
  keyName: string | null;
  /** Base64 text as sent. */
  userData: string | null;
  metadata: Record<string, string>;
  /** The zone part of `availability_zone`; null when none (the controller applies default_schedule_zone). */
  availabilityZone: string | null;
  /** `availability_zone` as sent (the policy target's availability_zone). */
  availabilityZoneRaw: string | null;
  /** From `az:host[:node]` / `az::node`; needs the `create:forced_host` policy (checked by the caller). */
  forcedHost: string | null;
  forcedNode: string | null;
  minCount: number;
  maxCount: number;
  returnReservationId: boolean;
  networks: RequestedNetworks;
  blockDeviceMappings: BlockDeviceMappingRequest[];
  /** The mappings came as the legacy `block_device_mapping`. */
  legacyBdm: boolean;
  /** No image: the root disk comes from the block device mappings. */
  bootFromVolume: boolean;
  /** Tags (2.52); [] when none. */
  tags: string[];
  /** hostname (2.90). */
  hostname: string | null;
  /** host / hypervisor_hostname (2.74); need the requested_destination policy (checked by the caller). */
  host: string | null;
  hypervisorHostname: string | null;
  accessIPv4: string | null;
  accessIPv6: string | null;
  diskConfig: DiskConfig | null;
  configDrive: boolean;
  /** The security group names or UUIDs, deduplicated; ['default'] when none. */
  securityGroups: string[];
  /** `security_groups` as the create response echoes it (the request's, or [{name: 'default'}]). */
  securityGroupsResponse: unknown[];
  /** null: generate one. */
  adminPass: string | null;
  /** Trusted certificate ids (2.63); null when none given. */
  trustedImageCertificates: string[] | null;
  /** Files to inject (up to 2.56). */
  personality: Personality[];
  /** `os:scheduler_hints` (else `OS-SCH-HNT:scheduler_hints`) as given, without `_nova*` keys. */
  schedulerHints: Record<string, unknown>;
}

/**
 * Validates a `POST /servers` body at `version`; Invalid (400) with Nova's message otherwise.
 * Not checked here, because they need the database or policy: the metadata quota, the forced
 * host / requested destination / attach policies, the flavor, image, networks, ports, volumes.
 */
export function parseCreateServer(body: unknown, version: ApiVersion): CreateServerRequest {
  runCheck(body, createSchema(version));
  const top = body as Record<string, unknown>;
  const s = top.server as Record<string, unknown>;
  const str = (k: string): string | null => (typeof s[k] === 'string' ? (s[k] as string) : null);

  const name = normalizeName(s.name as string);
  const description = atLeast(version, '2.19') ? (str('description')) : name;

  let securityGroups: string[] = [];
  if (Array.isArray(s.security_groups)) {
    for (const sg of s.security_groups as Array<Record<string, unknown>>) {
      const n = sg.name;
      if (typeof n === 'string' && n !== '' && !securityGroups.includes(n)) securityGroups.push(n);
    }
  }
  if (securityGroups.length === 0) securityGroups = ['default'];

  const rawHints = hasOwn(top, 'os:scheduler_hints') ? top['os:scheduler_hints'] : hasOwn(top, 'OS-SCH-HNT:scheduler_hints') ? top['OS-SCH-HNT:scheduler_hints'] : {};
  const schedulerHints: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rawHints as Record<string, unknown>)) if (!k.startsWith('_nova')) schedulerHints[k] = v;

  const minCount = hasOwn(s, 'min_count') ? toInt(s.min_count) : 1;
  const maxCount = hasOwn(s, 'max_count') ? toInt(s.max_count) : minCount;
  if (minCount > maxCount) throw new Invalid('min_count must be <= max_count');

  const availabilityZoneRaw = str('availability_zone');
  const { zone, host: forcedHost, node: forcedNode } = parseAvailabilityZone(availabilityZoneRaw);

  const host = atLeast(version, '2.74') ? str('host') : null;
  const hypervisorHostname = atLeast(version, '2.74') ? str('hypervisor_hostname') : null;
  if ((host || hypervisorHostname) && (forcedHost || forcedNode)) {
    throw new Invalid('One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.');
  }

  const imageHref = str('imageRef');
  const { mappings, legacy } = parseBlockDeviceMappings(s, imageHref !== null && imageHref !== '');
  let imageRef: string | null;
  if (!imageHref && mappings.length > 0) imageRef = null;
  else if (imageHref) imageRef = imageHref;
  else throw new Invalid('Missing imageRef attribute');

  const networks = parseNetworks(s.networks, version);
  const hostname = atLeast(version, '2.90') ? str('hostname') : null;

  // compute.API.create's checks before it looks anything up
  if (Array.isArray(networks) && maxCount > 1) {
    if (networks.some((n) => n.uuid !== undefined && n.fixedIp !== undefined)) {
      throw new Invalid('Failed to launch instances: max_count cannot be greater than 1 if an fixed_ip is specified.');
    }
    if (networks.some((n) => n.port !== undefined)) {
      throw new Invalid('Failed to launch instances: Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.');
    }
  }
  if (hostname && maxCount > 1) throw new Invalid('Unable to allocate a single hostname to multiple instances');

  const trusted = atLeast(version, '2.63') && pyTruthy(s.trusted_image_certificates) ? (s.trusted_image_certificates as string[]) : null;
  const personality = !atLeast(version, '2.57') && Array.isArray(s.personality)
    ? (s.personality as Array<Record<string, unknown>>).map((f) => ({ path: f.path as string, contents: f.contents as string }))
    : [];

  return {
    name,
    description,
    imageRef,
    flavorRef: idFromHref(s.flavorRef as string | number),
    keyName: str('key_name'),
    userData: str('user_data'),
    metadata: (s.metadata as Record<string, string> | undefined) ?? {},
    availabilityZone: zone,
    availabilityZoneRaw,
    forcedHost,
    forcedNode,
    minCount,
    maxCount,
    // Nova tests the value's truth, not its meaning: any string (even "False") asks for it
    returnReservationId: pyTruthy(s.return_reservation_id),
    networks,
    blockDeviceMappings: mappings,
    legacyBdm: legacy,
    bootFromVolume: imageRef === null,
    tags: atLeast(version, '2.52') && Array.isArray(s.tags) ? (s.tags as string[]) : [],
    hostname,
    host,
    hypervisorHostname,
    accessIPv4: str('accessIPv4'),
    accessIPv6: str('accessIPv6'),
    diskConfig: str('OS-DCF:diskConfig') as DiskConfig | null,
    configDrive: hasOwn(s, 'config_drive') && toBool(s.config_drive),
    securityGroups,
    securityGroupsResponse: hasOwn(s, 'security_groups') ? (s.security_groups as unknown[]) : [{ name: 'default' }],
    adminPass: str('adminPass'),
    trustedImageCertificates: trusted,
    personality,
    schedulerHints,
  };
}

/**
 * compute.API.parse_availability_zone: `az:host`, `az:host:node` and `az::node` force a host or
 * node; an empty zone is null. Empty host/node parts are null.
 */
export function parseAvailabilityZone(az: string | null): { zone: string | null; host: string | null; node: string | null } {
  let zone = az;
  let host: string | null = null;
  let node: string | null = null;
  if (az && az.includes(':')) {
    const parts = az.split(':');
    if (parts.length === 2) [zone, host] = parts;
    else if (parts.length === 3) {
      if (az.includes('::')) [zone, node] = az.split('::');
      else [zone, host, node] = parts;
    } else throw new Invalid('Invalid input received: Unable to parse availability_zone');
  }
  return { zone: zone || null, host: host || null, node: node || null };
}

/** servers.py `_get_requested_networks`. */
function parseNetworks(value: unknown, version: ApiVersion): RequestedNetworks {
  if (value === undefined) return null;
  if (typeof value === 'string') return value as 'auto' | 'none';
  const out: NetworkRequest[] = [];
  const ports: string[] = [];
  for (const n of value as Array<Record<string, unknown>>) {
    const fixedIp = n.fixed_ip as string | undefined;
    const port = n.port as string | null | undefined;
    const tag = n.tag as string | undefined;
    if (port) {
      if (ports.includes(port)) throw new Invalid(`Port ID '${port}' was specified twice: you cannot attach a port multiple times.`);
      if (fixedIp !== undefined) {
        throw new Invalid(`Specified Fixed IP '${fixedIp}' cannot be used with port '${port}': the two cannot be specified together.`);
      }
      ports.push(port);
      out.push({ port, ...(tag !== undefined ? { tag } : {}) });
      continue;
    }
    if (!hasOwn(n, 'uuid')) throw new Invalid("Bad network format: missing 'uuid'");
    const uuid = n.uuid as string;
    if (!atLeast(version, '2.37') && !isUuidLike(uuid)) {
      throw new Invalid(`Bad networks format: network uuid is not in proper format (${uuid})`);
    }
    out.push({ uuid, ...(fixedIp !== undefined ? { fixedIp } : {}), ...(tag !== undefined ? { tag } : {}) });
  }
  return out;
}

const BDM_VALID_FIELDS = new Set([
  'source_type', 'destination_type', 'guest_format', 'device_type', 'disk_bus', 'boot_index', 'device_name', 'delete_on_termination',
  'snapshot_id', 'volume_id', 'volume_size', 'image_id', 'no_device', 'connection_info', 'tag', 'volume_type', 'encrypted',
  'encryption_secret_uuid', 'encryption_format', 'encryption_options', 'id', 'instance_uuid', 'attachment_id', 'uuid', 'created_at',
  'updated_at', 'deleted_at', 'deleted',
]);

function bdmInvalid(details: string): Invalid {
  return new Invalid(`Block Device Mapping is Invalid: ${details}`);
}

/** servers.py `_process_bdms_for_create` with block_device.BlockDeviceDict.from_api / from_legacy. */
function parseBlockDeviceMappings(s: Record<string, unknown>, imageUuidSpecified: boolean): { mappings: BlockDeviceMappingRequest[]; legacy: boolean } {
  const legacyList = (s.block_device_mapping as Array<Record<string, unknown>> | undefined) ?? [];
  const v2List = (s.block_device_mapping_v2 as Array<Record<string, unknown>> | undefined) ?? [];
  if (legacyList.length > 0 && v2List.length > 0) {
    throw new Invalid('Using different block_device_mapping syntaxes is not allowed in the same request.');
  }
  if (legacyList.length > 0) return { mappings: legacyList.map(fromLegacy), legacy: true };
  return { mappings: v2List.map((b) => fromApi(b, imageUuidSpecified)), legacy: false };
}

function fromApi(raw: Record<string, unknown>, imageUuidSpecified: boolean): BlockDeviceMappingRequest {
  const bdm: Record<string, unknown> = { ...raw };
  if (!pyTruthy(bdm.no_device)) {
    const sourceType = bdm.source_type ?? null;
    const uuid = bdm.uuid;
    const destinationType = bdm.destination_type;
    const volumeType = bdm.volume_type;
    if (sourceType === 'blank' && pyTruthy(uuid)) throw bdmInvalid('Invalid device UUID.');
    if (sourceType !== 'blank') {
      if (!pyTruthy(uuid)) throw bdmInvalid('Missing device UUID.');
      bdm[`${sourceType === null ? 'None' : String(sourceType)}_id`] = uuid;
    }
    if (sourceType === 'image' && destinationType === 'local') {
      const bootIndex = bdm.boot_index === undefined || bdm.boot_index === null ? -1 : toInt(bdm.boot_index);
      if (!(imageUuidSpecified && bootIndex === 0)) throw bdmInvalid('Mapping image to local is not supported.');
    }
    if (destinationType === 'local' && pyTruthy(volumeType)) {
      throw bdmInvalid('Specifying a volume_type with destination_type=local is not supported.');
    }
    if (sourceType === 'volume' && pyTruthy(volumeType)) throw bdmInvalid('Specifying volume type to existing volume is not supported.');
  }
  delete bdm.uuid;
  return blockDeviceDict(bdm);
}

/** BlockDeviceDict.from_legacy: the legacy fields mapped onto the v2 ones. */
function fromLegacy(legacy: Record<string, unknown>): BlockDeviceMappingRequest {
  const bdm: Record<string, unknown> = {};
  for (const k of ['device_name', 'delete_on_termination', 'snapshot_id', 'volume_id', 'volume_size', 'no_device', 'connection_info']) {
    if (hasOwn(legacy, k)) bdm[k] = legacy[k];
  }
  const virtualName = legacy.virtual_name;
  if (typeof virtualName === 'string' && (virtualName === 'swap' || /^ephemeral(\d|[1-9]\d+)$/.test(virtualName))) {
    Object.assign(bdm, { source_type: 'blank', delete_on_termination: true, destination_type: 'local', guest_format: virtualName === 'swap' ? 'swap' : null });
  } else if (pyTruthy(legacy.snapshot_id)) {
    Object.assign(bdm, { source_type: 'snapshot', destination_type: 'volume' });
  } else if (pyTruthy(legacy.volume_id)) {
    Object.assign(bdm, { source_type: 'volume', destination_type: 'volume' });
  } else if (!pyTruthy(legacy.no_device)) {
    throw bdmInvalid('Unrecognized legacy format.');
  }
  return blockDeviceDict(bdm);
}

/** BlockDeviceDict(...)._validate and the defaults it applies. */
function blockDeviceDict(bdm: Record<string, unknown>): BlockDeviceMappingRequest {
  const invalid = Object.keys(bdm).filter((k) => !BDM_VALID_FIELDS.has(k));
  if (invalid.length > 0) throw bdmInvalid(`Following fields are invalid: ${invalid.join(' ')}`);
  const noDevice = pyTruthy(bdm.no_device);
  if (!noDevice && !hasOwn(bdm, 'source_type')) throw bdmInvalid('Some required fields are missing');
  const strOrNull = (k: string) => (typeof bdm[k] === 'string' ? (bdm[k] as string) : null);
  const deviceName = strOrNull('device_name');
  const bootIndex = bdm.boot_index;
  return {
    sourceType: strOrNull('source_type') as BlockDeviceMappingRequest['sourceType'],
    destinationType: strOrNull('destination_type') as BlockDeviceMappingRequest['destinationType'],
    imageId: strOrNull('image_id'),
    volumeId: strOrNull('volume_id'),
    snapshotId: strOrNull('snapshot_id'),
    bootIndex: bootIndex === undefined || bootIndex === null ? null : toInt(bootIndex),
    volumeSize: pyTruthy(bdm.volume_size) ? toInt(bdm.volume_size) : null,
    deviceName: deviceName ? `/dev/${deviceName.replace(/^\/dev\//, '')}` : deviceName,
    deviceType: strOrNull('device_type'),
    diskBus: strOrNull('disk_bus'),
    guestFormat: strOrNull('guest_format'),
    deleteOnTermination: toBool(bdm.delete_on_termination),
    noDevice,
    connectionInfo: strOrNull('connection_info'),
    tag: strOrNull('tag'),
    volumeType: strOrNull('volume_type'),
  };
}
