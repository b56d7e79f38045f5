/**
 * Glance's JSON-patch subset (media type application/openstack-images-v2.1-json-patch): `add`,
 * `replace` and `remove` on `/<attribute>`, base attributes or custom properties. Pure: returns
 * the changes to store, or throws the error Glance answers with.
 */
import { ImageChanges, ImageRecord } from '../objects/image.object';
import { badRequest, conflict, forbidden } from './image-errors';
import { Caller, checkBaseValue, checkPropertyValue, checkWritableName, SETTABLE } from './image-rules';

export const PATCH_MEDIA_TYPES = ['application/openstack-images-v2.1-json-patch', 'application/openstack-images-v2.0-json-patch'];

/** `/a~1b` → `a/b`; only single-level pointers name an attribute. */
function attributeOf(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw badRequest(`Pointer \`${String(path)}\` does not start with "/".`);
  const rest = path.slice(1);
  if (rest.includes('/')) throw badRequest(`Nested paths are not allowed: ${path}`);
  if (/~(?![01])/.test(rest)) throw badRequest(`Invalid JSON pointer: ${path}`);
  return rest.replace(/~1/g, '/').replace(/~0/g, '~');
}

export function applyPatch(image: ImageRecord, ops: unknown, caller: Caller): ImageChanges {
  if (!Array.isArray(ops)) throw badRequest('Request body must be a JSON array of operation objects.');
  const changes: ImageChanges = {};
  const properties = { ...image.properties };
  let propertiesChanged = false;
  for (const raw of ops) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest('Operations must be JSON objects.');
    const op = raw as Record<string, unknown>;
    if (op.op !== 'add' && op.op !== 'replace' && op.op !== 'remove') {
      throw badRequest(`Operation objects must contain exactly one member named "add", "remove", or "replace".`);
    }
    const name = attributeOf(op.path);
    if (op.op !== 'remove' && !('value' in op)) throw badRequest(`Operation "${op.op}" requires a member named "value".`);
    checkWritableName(name);
    if (SETTABLE.includes(name)) {
      if (op.op === 'remove') throw forbidden(`Properties ${name} cannot be removed.`);
      if ((name === 'disk_format' || name === 'container_format') && image.status !== 'queued') {
        throw forbidden(`Attribute ${name} can be only replaced for a queued image.`);
      }
      (changes as Record<string, unknown>)[name] = checkBaseValue(name, op.value, caller);
      continue;
    }
    const exists = Object.prototype.hasOwnProperty.call(properties, name);
    if (op.op === 'remove') {
      if (!exists) throw conflict(`Property ${name} does not exist.`);
      delete properties[name];
    } else {
      if (op.op === 'replace' && !exists) throw conflict(`Property ${name} does not exist.`);
      // Glance's `add` of an existing custom property replaces it (RFC 6902 on an object member).
      properties[name] = checkPropertyValue(name, op.value);
    }
    propertiesChanged = true;
  }
  if (propertiesChanged) changes.properties = properties;
  return changes;
}
