/**
 * Nova's parameter types (nova/api/validation/parameter_types.py) as pure checks with
 * jsonschema's messages, and the class-validator decorators built on them. A check returns null
 * when the value passes, else the message of the first failing keyword, in the schema's order.
 */
import { registerDecorator, ValidateIf } from 'class-validator';
import { invalidNameMessage, isValidName, NameFormat } from './name-format';
import { jsonType, pyFloatRepr, pyRepr } from './py-repr';

export type Check = (v: unknown) => string | null;

/** The database's MAX_INT, the `maximum` of most integer parameters. */
export const MAX_INT = 0x7fffffff;

/** parameter_types.boolean's enum, in Nova's order (no integers: 1 and 0 fail the type check). */
export const BOOLEAN_VALUES: readonly unknown[] = [
  true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes',
  false, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no',
];
const TRUE_VALUES = BOOLEAN_VALUES.slice(0, BOOLEAN_VALUES.indexOf(false));

// Marks a message returned as is: exception.InvalidName raised by a format checker, or a failure
// already rendered for a path deeper than the property being checked.
const BARE = '\u0000bare:';

/** Marks a message to be returned without the "Invalid input for field/attribute" prefix. */
export function bare(message: string): string {
  return BARE + message;
}

/** Undoes `bare`: the message, and whether it goes without the prefix. */
export function unwrapMessage(message: string): { message: string; bare: boolean } {
  return message.startsWith(BARE) ? { message: message.slice(BARE.length), bare: true } : { message, bare: false };
}

// ---- checks (pure) ----

/** `type`: jsonschema's names; 'number' includes integers. */
export function typeCheck(...types: string[]): Check {
  return (v) => {
    const t = jsonType(v);
    return types.includes(t) || (t === 'integer' && types.includes('number')) ? null : `${pyRepr(v)} is not of type ${types.map((x) => pyRepr(x)).join(', ')}`;
  };
}

/** `enum`. */
export function enumCheck(values: readonly unknown[]): Check {
  return (v) => (values.includes(v) ? null : `${pyRepr(v)} is not one of ${pyRepr(values)}`);
}

/** `pattern` (re.search), for strings only; the message quotes Nova's pattern text. */
export function patternCheck(pattern: string): Check {
  const re = pyRegex(pattern);
  return (v) => (typeof v !== 'string' || re.test(v) ? null : `${pyRepr(v)} does not match ${pyRepr(pattern)}`);
}

/** `minLength` and `maxLength` in code points, for strings only. */
export function lengthCheck(min: number, max: number): Check {
  return (v) => {
    if (typeof v !== 'string') return null;
    const n = [...v].length;
    return n < min ? `${pyRepr(v)} is too short` : n > max ? `${pyRepr(v)} is too long` : null;
  };
}

/**
 * Nova's `minimum`/`maximum` (`_validate_minimum`/`_validate_maximum`) compare Python's int(),
 * else float(), of the value, so they also apply to numeric strings, truncate floats, and print
 * the converted number. `exclusiveMinimum` is jsonschema's own: numbers only, as they are.
 */
export function rangeCheck(min: number | null, max: number | null, opts: { exclusiveMin?: boolean; maxText?: string } = {}): Check {
  return (v) => {
    const low = opts.exclusiveMin ? (typeof v === 'number' ? { n: v, repr: pyRepr(v) } : null) : numberFromStr(v);
    if (low !== null && min !== null && (opts.exclusiveMin ? low.n <= min : low.n < min)) {
      return `${low.repr} is less than ${opts.exclusiveMin ? 'or equal to ' : ''}the minimum of ${pyRepr(min)}`;
    }
    const high = numberFromStr(v);
    if (high !== null && max !== null && high.n > max) return `${high.repr} is greater than the maximum of ${opts.maxText ?? pyRepr(max)}`;
    return null;
  };
}

/** The first failing check's message. */
export function allOf(...checks: Check[]): Check {
  return (v) => {
    for (const check of checks) {
      const message = check(v);
      if (message !== null) return message;
    }
    return null;
  };
}

/** Python's int(), then float(), of a number or string, with its repr; null when neither parses. */
function numberFromStr(v: unknown): { n: number; repr: string } | null {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return null; // int() raises, float() gives it back: jsonschema compares it
    const n = Math.trunc(v);
    return { n, repr: BigInt(n).toString() };
  }
  if (typeof v !== 'string') return null;
  const s = v.trim().replace(/_/g, '');
  if (PY_INT.test(v.trim())) return { n: Number(s), repr: BigInt(s).toString() };
  if (PY_FLOAT.test(v.trim())) return { n: Number(s), repr: pyFloatRepr(Number(s)) };
  return null;
}

/** The decimal literals Python's int() and float() accept (not inf or nan). */
const PY_INT = /^[+-]?\d(_?\d)*$/;
const PY_FLOAT = /^[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?$/;

/**
 * A Python `re` pattern as a RegExp: a final `$` also matches before a trailing newline, as in
 * Python; escapes such as `\@` that unicode mode refuses fall back to a plain RegExp.
 */
export function pyRegex(pattern: string): RegExp {
  const source = pattern.endsWith('$') && !pattern.endsWith('\\$') ? `${pattern.slice(0, -1)}(?=\\n?$)` : pattern;
  try {
    return new RegExp(source, 'u');
  } catch {
    return new RegExp(source);
  }
}

/** A `format` with an InvalidName checker: any value that is not a valid name fails, bare. */
export function nameFormatCheck(format: NameFormat): Check {
  return (v) => (typeof v === 'string' && isValidName(v, format) ? null : bare(invalidNameMessage(format)));
}

/** parameter_types.boolean. */
export const booleanCheck: Check = allOf(typeCheck('boolean', 'string'), enumCheck(BOOLEAN_VALUES));

/** parameter_types.fqdn: type, pattern, minLength 1, maxLength 255. */
export const fqdnCheck: Check = allOf(typeCheck('string'), patternCheck('^[a-zA-Z0-9-._]*$'), lengthCheck(1, 255));

/** parameter_types.positive_integer: type, pattern, minimum 1, minLength 1. */
export const positiveIntegerCheck: Check = allOf(typeCheck('integer', 'string'), patternCheck('^[0-9]*$'), rangeCheck(1, null), lengthCheck(1, Infinity));

/** parameter_types.non_negative_integer. */
export const nonNegativeIntegerCheck: Check = allOf(typeCheck('integer', 'string'), patternCheck('^[0-9]*$'), rangeCheck(0, null), lengthCheck(1, Infinity));

// ---- decorators ----

/** A class-validator constraint from a check; `name` is the constraint key in errors. */
export function NovaCheck(name: string, check: Check) {
  return (object: object, propertyName: string) => {
    let last: string | null = null;
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { message: () => last ?? 'is invalid' },
      validator: {
        validate(value: unknown) {
          last = check(value);
          return last === null;
        },
      },
    });
  };
}

/**
 * jsonschema's `required`: the key must be present (null is present; the type check decides).
 * validate.ts reports a missing key as "'x' is a required property".
 */
export function Required() {
  return NovaCheck('isDefined', (v) => (v === undefined ? 'is a required property' : null));
}

/** An optional key: validated when present, null included (class-validator's IsOptional skips null). */
export function Optional() {
  return ValidateIf((_o: object, value: unknown) => value !== undefined);
}

/** Integer parameters (`volume_size`, `_common_quota`, ...): an integer or a string matching `pattern`. */
export function NovaInt(min: number, max = MAX_INT, pattern = '^[0-9]+$') {
  return NovaCheck('novaInt', allOf(typeCheck('integer', 'string'), patternCheck(pattern), rangeCheck(min, max)));
}

/**
 * `{'type': 'string', 'pattern'?, 'minLength', 'maxLength'}` (the order of parameter_types.fqdn,
 * project_id, ...); with `nullable`, `'type': ['string', 'null']`.
 */
export function NovaString(minLength: number, maxLength: number, pattern?: string, nullable = false) {
  const types = nullable ? ['string', 'null'] : ['string'];
  return NovaCheck('novaString', allOf(typeCheck(...types), ...(pattern ? [patternCheck(pattern)] : []), lengthCheck(minLength, maxLength)));
}

/** parameter_types.fqdn: a host name as the services table holds it. */
export function NovaFqdn() {
  return NovaCheck('novaFqdn', fqdnCheck);
}

/** A string of [min, max] characters, or null. */
export function NovaNullableString(minLength: number, maxLength: number) {
  return NovaString(minLength, maxLength, undefined, true);
}

/**
 * A name (`parameter_types.name` and friends): type, format, minLength 1, maxLength 255; `pattern`
 * adds the second schema of the keypair names' `allOf`.
 */
export function NovaName(format: NameFormat = 'name', pattern?: string) {
  return NovaCheck('novaName', allOf(typeCheck('string'), nameFormatCheck(format), lengthCheck(1, 255), ...(pattern ? [patternCheck(pattern)] : [])));
}

/** parameter_types.boolean. */
export function NovaBoolean() {
  return NovaCheck('novaBoolean', booleanCheck);
}

/** `enum`, after `type` when given (`{'type': 'string', 'enum': [...]}`). */
export function NovaEnum(values: readonly unknown[], type?: string) {
  return NovaCheck('novaEnum', allOf(...(type ? [typeCheck(type)] : []), enumCheck(values)));
}

/** A value that passed parameter_types.boolean, as a boolean. */
export function toBool(v: unknown): boolean {
  return TRUE_VALUES.includes(v);
}
