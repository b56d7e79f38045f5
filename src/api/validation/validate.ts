/**
 * Request body validation with class-validator, rendering failures the way Nova's jsonschema
 * validation does, so clients and operators see the messages they know:
 *   Invalid input for field/attribute ram. Value: 'x'. 'x' is not of type 'integer', 'string'
 *   Additional properties are not allowed ('foo' was unexpected)
 *   'name' is a required property
 */
import { validateSync, ValidationError } from 'class-validator';
import { Invalid } from '../../common/errors';
import { pyRepr } from './py-repr';

type Ctor<T> = new () => T;

/** `{"<key>": {...}}`: checks the wrapper, then validates the inner object against `cls`. */
export function validateWrapped<T extends object>(body: unknown, key: string, cls: Ctor<T>, extraTopLevel: string[] = []): T {
  const top = requireObject(body);
  if (!(key in top)) throw new Invalid(`'${key}' is a required property`);
  const extra = Object.keys(top).filter((k) => k !== key && !extraTopLevel.includes(k));
  if (extra.length) throw new Invalid(additional(extra));
  const inner = top[key];
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) {
    throw new Invalid(`Invalid input for field/attribute ${key}. Value: ${pyRepr(inner)}. ${pyRepr(inner)} is not of type 'object'`);
  }
  return validateObject(inner as Record<string, unknown>, cls, key);
}

export function requireObject(body: unknown): Record<string, unknown> {
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body)) {
    throw new Invalid(`${pyRepr(body)} is not of type 'object'`);
  }
  return body as Record<string, unknown>;
}

export function validateObject<T extends object>(obj: Record<string, unknown>, cls: Ctor<T>, parentName: string): T {
  // Own-property copy: class-transformer chokes on `constructor`/`__proto__` keys, and
  // Object.assign would treat `__proto__` as the prototype. Whitelisting then rejects them.
  const instance = new cls();
  for (const key of Object.keys(obj)) {
    Object.defineProperty(instance, key, { value: obj[key], enumerable: true, writable: true, configurable: true });
  }
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false, stopAtFirstError: true });
  if (errors.length > 0) throw new Invalid(describe(errors, obj, parentName));
  return instance;
}

function additional(keys: string[]): string {
  const quoted = keys.map((k) => `'${k}'`).join(', ');
  return `Additional properties are not allowed (${quoted} ${keys.length === 1 ? 'was' : 'were'} unexpected)`;
}

function describe(errors: ValidationError[], parent: Record<string, unknown>, parentName: string): string {
  const unexpected = errors.filter((e) => e.constraints && 'whitelistValidation' in e.constraints).map((e) => e.property);
  if (unexpected.length) return `Invalid input for field/attribute ${parentName}. Value: ${pyRepr(parent)}. ${additional(unexpected)}`;
  const e = errors[0];
  const constraints = e.constraints ?? {};
  if ('isDefined' in constraints) return `Invalid input for field/attribute ${parentName}. Value: ${pyRepr(parent)}. '${e.property}' is a required property`;
  const message = Object.values(constraints)[0] ?? 'is invalid';
  return `Invalid input for field/attribute ${e.property}. Value: ${pyRepr(e.value)}. ${message}`;
}
