/**
 * parameter_types.metadata and its variants: `{'type': 'object', 'patternProperties':
 * {KEY: {'type': [...], 'maxLength': 255}}, 'additionalProperties': False}`, checked in
 * jsonschema's order: the type, the values of matching keys, then the keys matching no pattern.
 */
import { allOf, Check, lengthCheck, pyRegex, typeCheck } from './nova-validators';
import { pyRepr, pySorted } from './py-repr';
import { Field, fieldError, nestedMessage } from './validate';

/** The metadata key pattern of parameter_types.metadata. */
export const METADATA_KEY = '^[a-zA-Z0-9-_:. ]{1,255}$';
const KEY_RE = pyRegex(METADATA_KEY);

/**
 * Metadata whose values have the given JSON types (`['string', 'null']` for metadata_with_null,
 * `['string', 'number']` for flavor extra specs). A bad value's message is already rendered for
 * its own path (the key), so it comes back bare.
 */
export function metadataCheck(valueTypes: string[]): Check {
  const checkValue = allOf(typeCheck(...valueTypes), lengthCheck(0, 255));
  return (value) => {
    const notObject = typeCheck('object')(value);
    if (notObject !== null) return notObject;
    const metadata = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(metadata)) {
      if (!KEY_RE.test(k)) continue;
      const message = checkValue(v);
      if (message !== null) return nestedMessage(k, v, message);
    }
    const badKeys = pySorted(Object.keys(metadata).filter((k) => !KEY_RE.test(k)));
    if (badKeys.length === 0) return null;
    return `${badKeys.map((k) => pyRepr(k)).join(', ')} ${badKeys.length === 1 ? 'does' : 'do'} not match any of the regexes: ${pyRepr(METADATA_KEY)}`;
  };
}

/** Validates `value`, found at `field` (undefined: the body root), with `metadataCheck`. */
export function checkMetadata<V>(value: unknown, field: Field, valueTypes: string[]): Record<string, V> {
  const message = metadataCheck(valueTypes)(value);
  if (message !== null) throw fieldError(field, value, message);
  return value as Record<string, V>;
}
