/** Glance v2's image attributes: formats, read-only and reserved names, value checks. Pure. */
import { ImageChanges } from '../objects/image.object';
import { badRequest, forbidden } from './image-errors';

export const DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop'];
export const CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed'];
export const VISIBILITIES = ['public', 'private', 'shared', 'community'];

/** Set by the service only: Glance answers 403 "Attribute 'x' is read-only." */
export const READ_ONLY = ['created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo', 'os_hash_value', 'size',
  'virtual_size', 'direct_url', 'self', 'file', 'schema', 'id', 'stores', 'locations'];
/** Glance answers 403 "Attribute 'x' is reserved." */
export const RESERVED = ['location', 'deleted', 'deleted_at'];

/** Base attributes a client may set (the rest of the body is custom properties). */
export const SETTABLE = ['name', 'visibility', 'protected', 'os_hidden', 'tags', 'disk_format', 'container_format',
  'min_disk', 'min_ram', 'owner'];

export interface Caller {
  projectId: string;
  admin: boolean;
}

const schemaError = (detail: string) => badRequest(`Provided object does not match schema 'image': ${detail}`);

/** Refuses read-only and reserved names (403), as Glance does for create and patch. */
export function checkWritableName(name: string): void {
  if (READ_ONLY.includes(name)) throw forbidden(`Attribute '${name}' is read-only.`);
  if (RESERVED.includes(name) || name.startsWith('os_glance')) throw forbidden(`Attribute '${name}' is reserved.`);
}

/** Checks one base attribute's value and returns it as stored. */
export function checkBaseValue(name: string, value: unknown, caller: Caller): unknown {
  switch (name) {
    case 'name':
      if (value !== null && (typeof value !== 'string' || value.length > 255)) throw schemaError(`${JSON.stringify(value)} is not of type 'null', 'string' (at most 255 characters)`);
      return value;
    case 'visibility':
      if (typeof value !== 'string' || !VISIBILITIES.includes(value)) throw badRequest(`Invalid visibility value: ${String(value)}`);
      if (value === 'public' && !caller.admin) throw forbidden('You are not authorized to complete publicize_image action.');
      return value;
    case 'protected':
    case 'os_hidden':
      if (typeof value !== 'boolean') throw schemaError(`${JSON.stringify(value)} is not of type 'boolean'`);
      return value;
    case 'min_disk':
    case 'min_ram':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
        throw schemaError(`${JSON.stringify(value)} is not a valid '${name}' (an integer from 0)`);
      }
      return value;
    case 'disk_format':
    case 'container_format': {
      const allowed = name === 'disk_format' ? DISK_FORMATS : CONTAINER_FORMATS;
      if (value !== null && (typeof value !== 'string' || !allowed.includes(value))) {
        throw schemaError(`${JSON.stringify(value)} is not one of ${JSON.stringify([...allowed, null])}`);
      }
      return value;
    }
    case 'tags':
      if (!Array.isArray(value) || value.some((t) => typeof t !== 'string' || t.length > 255)) throw schemaError(`${JSON.stringify(value)} is not an array of strings`);
      if (value.length > 128) throw badRequest('Maximum number of tags exceeded.');
      return [...new Set(value as string[])];
    case 'owner':
      if (value !== null && (typeof value !== 'string' || value.length > 255)) throw schemaError(`${JSON.stringify(value)} is not of type 'null', 'string'`);
      if (!caller.admin && value !== caller.projectId) throw forbidden('You are not permitted to modify \'owner\' on this image.');
      return value;
    default:
      throw badRequest(`Unknown attribute ${name}`);
  }
}

/** A custom property value: Glance's schema only allows strings (at most 65535 characters). */
export function checkPropertyValue(name: string, value: unknown): string {
  if (name.length === 0 || name.length > 255) throw schemaError(`property name ${JSON.stringify(name)} must be 1-255 characters`);
  if (typeof value !== 'string') throw schemaError(`${JSON.stringify(value)} is not of type 'string'`);
  if (value.length > 65535) throw schemaError(`the value of '${name}' is too long`);
  return value;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** POST /v2/images: the body's fields as changes (and the client's id, if any). */
export function parseCreateBody(body: unknown, caller: Caller): { id?: string; changes: ImageChanges } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('Body expected in request.');
  const changes: ImageChanges = {};
  const properties: Record<string, string> = {};
  let id: string | undefined;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === 'id') {
      if (typeof v !== 'string' || !UUID.test(v)) throw schemaError(`${JSON.stringify(v)} is not a 'uuid'`);
      id = v.toLowerCase();
      continue;
    }
    checkWritableName(k);
    if (SETTABLE.includes(k)) (changes as Record<string, unknown>)[k] = checkBaseValue(k, v, caller);
    else properties[k] = checkPropertyValue(k, v);
  }
  changes.properties = properties;
  return { id, changes };
}
