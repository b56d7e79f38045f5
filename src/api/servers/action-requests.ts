/**
 * `POST /servers/{id}/action` and `PUT /servers/{id}` request validation, pure.
 *
 * parseServerAction follows Nova's dispatch (wsgi.Resource `_process_stack`, `action_peek`):
 * the body must be a JSON object with exactly one key (else 400 "Malformed request body"; a
 * body that has no length, or one item, is a 404 there), an unknown key is 400 "There is no
 * such action: <key>", an action outside its microversion range is a bare 404, and a removed
 * action is 410 once its (empty) schema has passed. The action's schema for the microversion
 * is then applied in jsonschema's order with Nova's messages, and the value normalised.
 *
 * Checks Nova runs after it has loaded the instance and checked policy (force without a host,
 * adminPass with onSharedStorage, a blank security group name) are in `checkServerAction`, for
 * the caller to run at that point.
 */
import { Gone, Invalid, NotFound } from '../../common/errors';
import { ApiVersion, atLeast, isBetween } from '../microversion/api-version';
import { allOf, BOOLEAN_VALUES, booleanCheck, Check, enumCheck, fqdnCheck, lengthCheck, nonNegativeIntegerCheck, patternCheck, rangeCheck, toBool, typeCheck } from '../validation/nova-validators';
import {
  ACCESS_IPV4, ACCESS_IPV6, ADMIN_PASSWORD, DESCRIPTION, DISK_CONFIG, DiskConfig, FLAVOR_REF, hostnameCheck, IP_ADDRESS, METADATA, NAME, NAME_OR_NONE, normalizeName,
  objectCheck, PERSONALITY, Personality, runCheck, toInt, TRUSTED_CERTS, userDataCheck, UUID,
} from './create-request';

// ---------------------------------------------------------------------------------------------
// The actions
// ---------------------------------------------------------------------------------------------

/** Actions whose body is not looked at (the schema accepts any value; clients send null). */
export type SimpleActionName =
  | 'os-start' | 'os-stop' | 'confirmResize' | 'revertResize' | 'trigger_crash_dump' | 'pause' | 'unpause' | 'suspend' | 'resume'
  | 'unlock' | 'unrescue' | 'shelve' | 'shelveOffload' | 'restore' | 'forceDelete' | 'injectNetworkInfo';

export interface RebuildAction {
  action: 'rebuild';
  imageRef: string;
  /** Stripped of surrounding whitespace. */
  name?: string;
  adminPass?: string;
  metadata?: Record<string, string>;
  preserveEphemeral?: boolean;
  diskConfig?: DiskConfig;
  accessIPv4?: string;
  accessIPv6?: string;
  /** Up to 2.56. */
  personality?: Personality[];
  /** 2.19; null clears. */
  description?: string | null;
  /** 2.54; null clears. */
  keyName?: string | null;
  /** 2.57; null clears. */
  userData?: string | null;
  /** 2.63; null resets. */
  trustedImageCertificates?: string[] | null;
  /** 2.90. */
  hostname?: string;
}

export type ServerAction =
  | { action: SimpleActionName }
  | { action: 'reboot'; type: 'HARD' | 'SOFT' }
  /** flavorRef as str() of the value (resize does not strip an href). */
  | { action: 'resize'; flavorRef: string; diskConfig?: DiskConfig }
  | RebuildAction
  | { action: 'createImage'; name: string; metadata: Record<string, string> }
  | { action: 'createBackup'; name: string; backupType: string; rotation: number; metadata: Record<string, string> }
  /** lockedReason from 2.73. */
  | { action: 'lock'; lockedReason?: string }
  /** adminPass absent: generate one. */
  | { action: 'rescue'; adminPass?: string; rescueImageRef?: string }
  /**
   * availabilityZone present (2.77): move to that zone; null (2.91): unpin. host (2.91): the
   * destination.
   */
  | { action: 'unshelve'; availabilityZone?: string | null; host?: string }
  | { action: 'changePassword'; adminPass: string }
  /** length null: all of it (-1 too). */
  | { action: 'os-getConsoleOutput'; length: number | null }
  | { action: 'os-getVNCConsole'; type: 'novnc' | 'xvpvnc' }
  | { action: 'os-getSPICEConsole'; type: 'spice-html5' }
  | { action: 'os-getSerialConsole'; type: 'serial' }
  /** host from 2.56. */
  | { action: 'migrate'; host?: string }
  /** blockMigration 'auto' from 2.25; diskOverCommit before 2.25; force 2.30–2.67. */
  | { action: 'os-migrateLive'; blockMigration: boolean | 'auto'; diskOverCommit?: boolean; host: string | null; force?: boolean }
  /** onSharedStorage before 2.14; force 2.29–2.67. */
  | { action: 'evacuate'; host?: string; adminPass?: string; onSharedStorage?: boolean; force?: boolean }
  | { action: 'os-resetState'; state: 'active' | 'error' }
  | { action: 'addSecurityGroup' | 'removeSecurityGroup'; name: string }
  /** Up to 2.43. */
  | { action: 'addFloatingIp'; address: string; fixedAddress?: string }
  | { action: 'removeFloatingIp'; address: string }
  | { action: 'addFixedIp'; networkId: string }
  | { action: 'removeFixedIp'; address: string };

export type ServerActionName = ServerAction['action'];

type Body = Record<string, unknown>;

interface ActionDef {
  /** The microversion range (api_version); outside it Nova answers a bare 404. */
  min?: string;
  max?: string;
  /** The schema of the action's value at a version (null: none, any value passes). */
  schema: (v: ApiVersion) => Check | null;
  /** The normalised action from its validated value; undefined for removed (410) actions. */
  parse?: (value: unknown, v: ApiVersion) => ServerAction;
}

const ANY = () => null;
const simple = (action: SimpleActionName): ActionDef => ({ schema: ANY, parse: () => ({ action }) });
const obj = (value: unknown) => value as Body;
const has = (o: Body, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** `{'type': 'object', 'properties': props, 'required': required, 'additionalProperties': False}`. */
function strict(props: Record<string, Check>, required: string[] = []): Check {
  return objectCheck(props, { required });
}

function rebuildSchema(v: ApiVersion): Check {
  const p: Record<string, Check> = {
    name: NAME,
    imageRef: UUID,
    adminPass: ADMIN_PASSWORD,
    metadata: METADATA,
    preserve_ephemeral: booleanCheck,
    'OS-DCF:diskConfig': DISK_CONFIG,
    accessIPv4: ACCESS_IPV4,
    accessIPv6: ACCESS_IPV6,
  };
  if (!atLeast(v, '2.57')) p.personality = PERSONALITY;
  if (atLeast(v, '2.19')) p.description = DESCRIPTION;
  if (atLeast(v, '2.54')) p.key_name = NAME_OR_NONE;
  if (atLeast(v, '2.57')) p.user_data = userDataCheck(true);
  if (atLeast(v, '2.63')) p.trusted_image_certificates = TRUSTED_CERTS;
  if (atLeast(v, '2.90')) p.hostname = hostnameCheck(v);
  return strict(p, ['imageRef']);
}

function parseRebuild(value: unknown, v: ApiVersion): RebuildAction {
  const b = obj(value);
  const out: RebuildAction = { action: 'rebuild', imageRef: b.imageRef as string };
  if (has(b, 'name')) out.name = normalizeName(b.name as string);
  if (has(b, 'adminPass')) out.adminPass = b.adminPass as string;
  if (has(b, 'metadata')) out.metadata = b.metadata as Record<string, string>;
  if (has(b, 'preserve_ephemeral')) out.preserveEphemeral = toBool(b.preserve_ephemeral);
  if (has(b, 'OS-DCF:diskConfig')) out.diskConfig = b['OS-DCF:diskConfig'] as DiskConfig;
  if (has(b, 'accessIPv4')) out.accessIPv4 = b.accessIPv4 as string;
  if (has(b, 'accessIPv6')) out.accessIPv6 = b.accessIPv6 as string;
  if (has(b, 'personality')) out.personality = (b.personality as Body[]).map((f) => ({ path: f.path as string, contents: f.contents as string }));
  if (has(b, 'description')) out.description = b.description as string | null;
  if (atLeast(v, '2.54') && has(b, 'key_name')) out.keyName = b.key_name as string | null;
  if (atLeast(v, '2.57') && has(b, 'user_data')) out.userData = b.user_data as string | null;
  if (atLeast(v, '2.63') && has(b, 'trusted_image_certificates')) out.trustedImageCertificates = b.trusted_image_certificates as string[] | null;
  if (atLeast(v, '2.90') && has(b, 'hostname')) out.hostname = b.hostname as string;
  return out;
}

/** migrate_server.py `host`: parameter_types.fqdn, nullable. */
const NULLABLE_FQDN: Check = allOf(typeCheck('string', 'null'), patternCheck('^[a-zA-Z0-9-._]*$'), lengthCheck(1, 255));
/** migrate_live_v2_25 `block_migration`: parameter_types.boolean with 'auto' appended to its enum. */
const BLOCK_MIGRATION_V225: Check = allOf(typeCheck('boolean', 'string'), enumCheck([...BOOLEAN_VALUES, 'auto']));

function consoleType(values: string[]): Check {
  return strict({ type: allOf(typeCheck('string'), enumCheck(values)) }, ['type']);
}

const ACTIONS = new Map<string, ActionDef>([
  ['os-start', simple('os-start')],
  ['os-stop', simple('os-stop')],
  ['confirmResize', simple('confirmResize')],
  ['revertResize', simple('revertResize')],
  [
    'reboot',
    {
      schema: () => strict({ type: allOf(typeCheck('string'), enumCheck(['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'])) }, ['type']),
      parse: (b) => ({ action: 'reboot', type: (obj(b).type as string).toUpperCase() as 'HARD' | 'SOFT' }),
    },
  ],
  [
    'resize',
    {
      schema: () => strict({ flavorRef: FLAVOR_REF, 'OS-DCF:diskConfig': DISK_CONFIG }, ['flavorRef']),
      parse: (b) => {
        const r = obj(b);
        return { action: 'resize', flavorRef: String(r.flavorRef), ...(typeof r['OS-DCF:diskConfig'] === 'string' ? { diskConfig: r['OS-DCF:diskConfig'] as DiskConfig } : {}) };
      },
    },
  ],
  ['rebuild', { schema: rebuildSchema, parse: parseRebuild }],
  [
    'createImage',
    {
      schema: () => strict({ name: NAME, metadata: METADATA }, ['name']),
      parse: (b) => ({ action: 'createImage', name: normalizeName(obj(b).name as string), metadata: (obj(b).metadata as Record<string, string>) ?? {} }),
    },
  ],
  [
    'createBackup',
    {
      schema: () => strict({ name: NAME, backup_type: typeCheck('string'), rotation: nonNegativeIntegerCheck, metadata: METADATA }, ['name', 'backup_type', 'rotation']),
      parse: (b) => {
        const r = obj(b);
        return { action: 'createBackup', name: normalizeName(r.name as string), backupType: r.backup_type as string, rotation: toInt(r.rotation), metadata: (r.metadata as Record<string, string>) ?? {} };
      },
    },
  ],
  ['trigger_crash_dump', { min: '2.17', schema: () => typeCheck('null'), parse: () => ({ action: 'trigger_crash_dump' }) }],
  ['pause', simple('pause')],
  ['unpause', simple('unpause')],
  ['suspend', simple('suspend')],
  ['resume', simple('resume')],
  [
    'lock',
    {
      schema: (v) => (atLeast(v, '2.73') ? objectCheck({ locked_reason: allOf(typeCheck('string'), lengthCheck(1, 255)) }, { types: ['object', 'null'] }) : null),
      parse: (b, v) => {
        const reason = atLeast(v, '2.73') && b !== null ? obj(b).locked_reason : undefined;
        return typeof reason === 'string' ? { action: 'lock', lockedReason: reason } : { action: 'lock' };
      },
    },
  ],
  ['unlock', { schema: ANY, parse: () => ({ action: 'unlock' }) }],
  [
    'rescue',
    {
      schema: () => objectCheck({ adminPass: ADMIN_PASSWORD, rescue_image_ref: UUID }, { types: ['object', 'null'] }),
      parse: (b) => {
        const r = b === null ? {} : obj(b);
        return {
          action: 'rescue',
          ...(has(r, 'adminPass') ? { adminPass: r.adminPass as string } : {}),
          ...(typeof r.rescue_image_ref === 'string' ? { rescueImageRef: r.rescue_image_ref } : {}),
        };
      },
    },
  ],
  ['unrescue', simple('unrescue')],
  ['shelve', simple('shelve')],
  ['shelveOffload', simple('shelveOffload')],
  [
    'unshelve',
    {
      schema: (v) => {
        if (atLeast(v, '2.91')) return objectCheck({ availability_zone: typeCheck('string', 'null'), host: typeCheck('string') }, { types: ['object', 'null'] });
        if (atLeast(v, '2.77')) return objectCheck({ availability_zone: NAME }, { types: ['object', 'null'], required: ['availability_zone'] });
        return null;
      },
      parse: (b, v) => {
        const out: { action: 'unshelve'; availabilityZone?: string | null; host?: string } = { action: 'unshelve' };
        // Nova looks at the value only when it is a non-empty object
        if (b === null || typeof b !== 'object' || Array.isArray(b) || Object.keys(b).length === 0) return out;
        const r = obj(b);
        if (atLeast(v, '2.77') && has(r, 'availability_zone')) out.availabilityZone = r.availability_zone as string | null;
        if (atLeast(v, '2.91') && typeof r.host === 'string') out.host = r.host;
        return out;
      },
    },
  ],
  [
    'changePassword',
    { schema: () => strict({ adminPass: ADMIN_PASSWORD }, ['adminPass']), parse: (b) => ({ action: 'changePassword', adminPass: obj(b).adminPass as string }) },
  ],
  [
    'os-getConsoleOutput',
    {
      schema: () => strict({ length: allOf(typeCheck('integer', 'string', 'null'), patternCheck('^-?[0-9]+$'), rangeCheck(-1, null)) }),
      parse: (b) => {
        const length = obj(b).length;
        return { action: 'os-getConsoleOutput', length: length === undefined || length === null ? null : toInt(length) };
      },
    },
  ],
  ['os-getVNCConsole', { max: '2.5', schema: () => consoleType(['novnc', 'xvpvnc']), parse: (b) => ({ action: 'os-getVNCConsole', type: obj(b).type as 'novnc' | 'xvpvnc' }) }],
  ['os-getSPICEConsole', { max: '2.5', schema: () => consoleType(['spice-html5']), parse: () => ({ action: 'os-getSPICEConsole', type: 'spice-html5' }) }],
  ['os-getRDPConsole', { max: '2.5', schema: ANY }],
  ['os-getSerialConsole', { max: '2.5', schema: () => consoleType(['serial']), parse: () => ({ action: 'os-getSerialConsole', type: 'serial' }) }],
  [
    'migrate',
    {
      schema: (v) => (atLeast(v, '2.56') ? objectCheck({ host: NULLABLE_FQDN }, { types: ['object', 'null'] }) : null),
      parse: (b, v) => {
        const host = atLeast(v, '2.56') && b !== null ? obj(b).host : undefined;
        return typeof host === 'string' ? { action: 'migrate', host } : { action: 'migrate' };
      },
    },
  ],
  [
    'os-migrateLive',
    {
      schema: (v) => {
        if (!atLeast(v, '2.25')) {
          return strict({ block_migration: booleanCheck, disk_over_commit: booleanCheck, host: NULLABLE_FQDN }, ['block_migration', 'disk_over_commit', 'host']);
        }
        const p: Record<string, Check> = { block_migration: BLOCK_MIGRATION_V225, host: NULLABLE_FQDN };
        if (isBetween(v, '2.30', '2.67')) p.force = booleanCheck;
        return strict(p, ['block_migration', 'host']);
      },
      parse: (b, v) => {
        const r = obj(b);
        const out: ServerAction = {
          action: 'os-migrateLive',
          blockMigration: r.block_migration === 'auto' && atLeast(v, '2.25') ? 'auto' : toBool(r.block_migration),
          host: r.host as string | null,
        };
        if (!atLeast(v, '2.25')) out.diskOverCommit = toBool(r.disk_over_commit);
        if (isBetween(v, '2.30', '2.67')) out.force = has(r, 'force') ? toBool(r.force) : false;
        return out;
      },
    },
  ],
  [
    'evacuate',
    {
      schema: (v) => {
        const p: Record<string, Check> = { host: fqdnCheck };
        if (!atLeast(v, '2.14')) p.onSharedStorage = booleanCheck;
        p.adminPass = ADMIN_PASSWORD;
        if (isBetween(v, '2.29', '2.67')) p.force = booleanCheck;
        return strict(p, atLeast(v, '2.14') ? [] : ['onSharedStorage']);
      },
      parse: (b, v) => {
        const r = obj(b);
        const out: ServerAction = { action: 'evacuate' };
        if (typeof r.host === 'string') out.host = r.host;
        if (has(r, 'adminPass')) out.adminPass = r.adminPass as string;
        if (!atLeast(v, '2.14')) out.onSharedStorage = toBool(r.onSharedStorage);
        if (isBetween(v, '2.29', '2.67')) out.force = has(r, 'force') ? toBool(r.force) : false;
        return out;
      },
    },
  ],
  ['restore', simple('restore')],
  ['forceDelete', simple('forceDelete')],
  [
    'os-resetState',
    {
      schema: () => strict({ state: allOf(typeCheck('string'), enumCheck(['active', 'error'])) }, ['state']),
      parse: (b) => ({ action: 'os-resetState', state: obj(b).state as 'active' | 'error' }),
    },
  ],
  ['injectNetworkInfo', simple('injectNetworkInfo')],
  ['resetNetwork', { schema: ANY }],
  ['addSecurityGroup', { schema: () => strict({ name: allOf(typeCheck('string'), lengthCheck(1, Infinity)) }, ['name']), parse: (b) => ({ action: 'addSecurityGroup', name: obj(b).name as string }) }],
  ['removeSecurityGroup', { schema: () => strict({ name: allOf(typeCheck('string'), lengthCheck(1, Infinity)) }, ['name']), parse: (b) => ({ action: 'removeSecurityGroup', name: obj(b).name as string }) }],
  [
    'addFloatingIp',
    {
      max: '2.43',
      schema: () => strict({ address: IP_ADDRESS, fixed_address: IP_ADDRESS }, ['address']),
      parse: (b) => {
        const r = obj(b);
        return { action: 'addFloatingIp', address: r.address as string, ...(typeof r.fixed_address === 'string' ? { fixedAddress: r.fixed_address } : {}) };
      },
    },
  ],
  ['removeFloatingIp', { max: '2.43', schema: () => strict({ address: IP_ADDRESS }, ['address']), parse: (b) => ({ action: 'removeFloatingIp', address: obj(b).address as string }) }],
  [
    'addFixedIp',
    {
      max: '2.43',
      schema: () => strict({ networkId: allOf(typeCheck('string', 'number'), lengthCheck(1, 36)) }, ['networkId']),
      parse: (b) => ({ action: 'addFixedIp', networkId: String(obj(b).networkId) }),
    },
  ],
  ['removeFixedIp', { max: '2.43', schema: () => strict({ address: IP_ADDRESS }, ['address']), parse: (b) => ({ action: 'removeFixedIp', address: obj(b).address as string }) }],
]);

/** The action keys Nova knows on a server, whatever the microversion. */
export const SERVER_ACTION_KEYS: readonly string[] = [...ACTIONS.keys()];

/** webob's HTTPNotFound, as Nova answers for a method outside its microversions. */
function notFound(): NotFound {
  return new NotFound('The resource could not be found.');
}

function malformed(): Invalid {
  return new Invalid('Malformed request body');
}

/**
 * Validates a `POST /servers/{id}/action` body at `version`: Invalid (400), NotFound (404) or
 * Gone (410) as Nova answers before it looks at the instance; else the normalised action.
 */
export function parseServerAction(body: unknown, version: ApiVersion): ServerAction {
  // action_peek: len(decoded) != 1 is malformed; no len() (null, numbers) or no keys() → 404
  if (body === undefined) throw malformed();
  if (body === null || typeof body !== 'object') {
    if (typeof body === 'string') throw [...body].length === 1 ? notFound() : malformed();
    throw notFound();
  }
  if (Array.isArray(body)) throw body.length === 1 ? notFound() : malformed();
  const keys = Object.keys(body);
  if (keys.length !== 1) throw malformed();
  const key = keys[0];
  const def = ACTIONS.get(key);
  if (!def) throw new Invalid(`There is no such action: ${key}`);
  if ((def.min && !atLeast(version, def.min)) || (def.max && !isBetween(version, undefined, def.max))) throw notFound();
  const schema = def.schema(version);
  if (schema) runCheck(body, strict({ [key]: schema }, [key]));
  if (!def.parse) throw new Gone();
  return def.parse((body as Body)[key], version);
}

/**
 * The checks Nova runs on a validated action once it has the instance and the policy allowed
 * the call (400s): a forced live migration or evacuation needs a host; before 2.14 evacuate
 * refuses adminPass on shared storage; a security group name must not be blank.
 */
export function checkServerAction(action: ServerAction): void {
  switch (action.action) {
    case 'os-migrateLive':
      if (action.force === true && !action.host) throw new Invalid("Can't force to a non-provided destination");
      break;
    case 'evacuate':
      if (action.force === true && !action.host) throw new Invalid("Can't force to a non-provided destination");
      if (action.onSharedStorage === true && action.adminPass !== undefined) throw new Invalid("admin password can't be changed on existing disk");
      break;
    case 'addSecurityGroup':
    case 'removeSecurityGroup':
      if (normalizeName(action.name) === '') throw new Invalid('Security group name cannot be empty');
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// PUT /servers/{id}
// ---------------------------------------------------------------------------------------------

export interface UpdateServerRequest {
  /** Stripped of surrounding whitespace. */
  name?: string;
  /** 2.19; null clears. */
  description?: string | null;
  /** 2.90. */
  hostname?: string;
  accessIPv4?: string;
  accessIPv6?: string;
  diskConfig?: DiskConfig;
  /** 2.104; null unpins. */
  pinnedAvailabilityZone?: string | null;
}

/** Validates a `PUT /servers/{id}` body (schemas/servers.py `update*`) at `version`. */
export function parseServerUpdate(body: unknown, version: ApiVersion): UpdateServerRequest {
  const p: Record<string, Check> = {
    name: NAME,
    'OS-DCF:diskConfig': DISK_CONFIG,
    accessIPv4: ACCESS_IPV4,
    accessIPv6: ACCESS_IPV6,
  };
  if (atLeast(version, '2.19')) p.description = DESCRIPTION;
  if (atLeast(version, '2.90')) p.hostname = hostnameCheck(version);
  if (atLeast(version, '2.104')) p.pinned_availability_zone = NAME_OR_NONE;
  runCheck(body, strict({ server: strict(p) }, ['server']));
  const s = (body as Body).server as Body;
  const out: UpdateServerRequest = {};
  if (has(s, 'name')) out.name = normalizeName(s.name as string);
  if (has(s, 'description')) out.description = s.description as string | null;
  if (has(s, 'hostname')) out.hostname = s.hostname as string;
  if (has(s, 'accessIPv4')) out.accessIPv4 = s.accessIPv4 as string;
  if (has(s, 'accessIPv6')) out.accessIPv6 = s.accessIPv6 as string;
  if (has(s, 'OS-DCF:diskConfig')) out.diskConfig = s['OS-DCF:diskConfig'] as DiskConfig;
  if (has(s, 'pinned_availability_zone')) out.pinnedAvailabilityZone = s.pinned_availability_zone as string | null;
  return out;
}
