/**
 * class-validator decorators for Nova's parameter types, with jsonschema-style messages.
 */
import { registerDecorator, ValidateIf, ValidationArguments, ValidationOptions } from 'class-validator';
import { jsonType, pyRepr } from './py-repr';

function register(name: string, check: (v: unknown) => string | null, options?: ValidationOptions) {
  return (object: object, propertyName: string) => {
    let last: string | null = null;
    registerDecorator({
      name,
      target: object.constructor,
      propertyName,
      options: { ...options, message: () => last ?? 'is invalid' },
      validator: {
        validate(value: unknown, _args: ValidationArguments) {
          last = check(value);
          return last === null;
        },
      },
    });
  };
}

/**
 * jsonschema's `required`: the key must be present (null is present; the type check decides).
 * Registered as `isDefined` so validate.ts renders "'x' is a required property".
 */
export function Required() {
  return (object: object, propertyName: string) => {
    registerDecorator({
      name: 'isDefined',
      target: object.constructor,
      propertyName,
      options: { always: true },
      validator: { validate: (value: unknown) => value !== undefined },
    });
  };
}

/** An optional key: validated when present, null included (class-validator's IsOptional skips null). */
export function Optional() {
  return ValidateIf((_o: object, value: unknown) => value !== undefined);
}

/** Nova's integer types: an integer, or a string of digits; within [min, max]. */
export function NovaInt(min: number, max = 2147483647, options?: ValidationOptions) {
  return register('novaInt', (v) => {
    if (typeof v === 'number' && Number.isInteger(v)) return rangeError(v, min, max);
    if (typeof v === 'string') {
      if (!/^-?[0-9]+$/.test(v)) return `${pyRepr(v)} does not match '^-?[0-9]+$'`;
      return rangeError(Number(v), min, max);
    }
    return `${pyRepr(v)} is not of type 'integer', 'string'`;
  }, options);
}

function rangeError(n: number, min: number, max: number): string | null {
  if (n < min) return `${n} is less than the minimum of ${min}`;
  if (n > max) return `${n} is greater than the maximum of ${max}`;
  return null;
}

/** A string of [min, max] characters, optionally matching a pattern. */
export function NovaString(minLength: number, maxLength: number, pattern?: RegExp, options?: ValidationOptions) {
  return register('novaString', (v) => {
    if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string'`;
    if ([...v].length < minLength) return `${pyRepr(v)} is too short`;
    if ([...v].length > maxLength) return `${pyRepr(v)} is too long`;
    if (pattern && !pattern.test(v)) return `${pyRepr(v)} does not match '${pattern.source}'`;
    return null;
  }, options);
}

/** A number (or numeric string) within [min, max]; `exclusiveMin` makes the minimum exclusive. */
export function NovaNumber(min: number, max: number, exclusiveMin = false, options?: ValidationOptions) {
  return register('novaNumber', (v) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?[0-9]+(\.[0-9]+)?$/.test(v) ? Number(v) : NaN;
    if (Number.isNaN(n)) return `${pyRepr(v)} is not of type 'number', 'string'`;
    if (exclusiveMin ? n <= min : n < min) return `${n} is less than ${exclusiveMin ? 'or equal to ' : ''}the minimum of ${min}`;
    if (n > max) return `${n} is greater than the maximum of ${max}`;
    return null;
  }, options);
}

/** A string of [min, max] characters, or null. */
export function NovaNullableString(minLength: number, maxLength: number, options?: ValidationOptions) {
  return register('novaNullableString', (v) => {
    if (v === null) return null;
    if (typeof v !== 'string') return `${pyRepr(v)} is not of type 'string', 'null'`;
    if ([...v].length < minLength) return `${pyRepr(v)} is too short`;
    if ([...v].length > maxLength) return `${pyRepr(v)} is too long`;
    return null;
  }, options);
}

/** Nova's boolean parameter type: true/false or their string and number spellings. */
export function NovaBoolean(options?: ValidationOptions) {
  const ok = [true, false, 'true', 'false', 'True', 'False', 'TRUE', 'FALSE', '1', '0', 1, 0, 'yes', 'no', 'on', 'off', 'YES', 'NO', 'ON', 'OFF', 'y', 'n', 't', 'f'];
  return register('novaBoolean', (v) => (ok.includes(v as never) ? null : `${pyRepr(v)} is not one of ${pyRepr(ok)}`), options);
}

/** One of the listed values. */
export function NovaEnum(values: readonly unknown[], options?: ValidationOptions) {
  return register('novaEnum', (v) => (values.includes(v) ? null : `${pyRepr(v)} is not one of ${pyRepr(values)}`), options);
}

/** A JSON type check: `NovaType('object')`, `NovaType('string', 'null')`. */
export function NovaType(...types: string[]) {
  return register('novaType', (v) => (types.includes(jsonType(v)) || (types.includes('number') && jsonType(v) === 'integer') ? null : `${pyRepr(v)} is not of type ${types.map((t) => `'${t}'`).join(', ')}`));
}

/** Turns Nova's boolean spellings into a boolean. */
export function toBool(v: unknown): boolean {
  return ['true', 'True', 'TRUE', '1', 'yes', 'YES', 'on', 'ON', 'y', 't', true, 1].includes(v as never);
}
