/**
 * Request body validation with class-validator, failing the way Nova's jsonschema validation
 * does (`_SchemaValidator.validate`): the first error in the schema's keyword order, rendered as
 *   Invalid input for field/attribute <last path element>. Value: <str(instance)>. <message>
 * when the error has a path, and as the bare message when it is about the body root itself:
 *   'flavor' is a required property
 *   Additional properties are not allowed ('foo' was unexpected)
 * Messages of InvalidName format checks are returned bare at any depth.
 */
import { validateSync, ValidationError } from 'class-validator';
import { Invalid } from '../../common/errors';
import { bare, Check, NovaCheck, typeCheck, unwrapMessage } from './nova-validators';
import { pyRepr, pySorted, pyStr } from './py-repr';

type Ctor<T> = new () => T;

/** Where a value sits: the last element of its jsonschema path; undefined for the body root. */
export type Field = string | number | undefined;

/** A jsonschema failure about the value at `field` (its `instance`), as Nova words it. */
export function fieldError(field: Field, instance: unknown, message: string): Invalid {
  const m = unwrapMessage(message);
  if (m.bare || field === undefined) return new Invalid(m.message);
  return new Invalid(`Invalid input for field/attribute ${field}. Value: ${pyStr(instance)}. ${m.message}`);
}

/**
 * The message of a failure deeper than the property a check validates (an array item, a nested
 * object's key), rendered for its own path and marked to be returned as is.
 */
export function nestedMessage(field: Field, instance: unknown, message: string): string {
  return bare(fieldError(field, instance, message).message);
}

/** A query-schema failure: Nova names the parameter and prints the value with str(). */
export function queryParamError(name: string, value: unknown, message: string): Invalid {
  return new Invalid(`Invalid input for query parameters ${name}. Value: ${pyStr(value)}. ${message}`);
}

/**
 * A query parameter (`multi_params(schema)`, or `single_param` with `single`): each value is
 * checked; a repeated single parameter fails maxItems. Returns the last value.
 */
export function queryParam(query: Record<string, string[]>, name: string, check: Check, single = false): string | undefined {
  const values = query[name];
  if (values === undefined) return undefined;
  for (const v of values) {
    const message = check(v);
    if (message !== null) throw queryParamError(name, v, message);
  }
  if (single && values.length > 1) throw queryParamError(name, values, `${pyRepr(values)} is too long`);
  return values[values.length - 1];
}

/** jsonschema's `additionalProperties: false` message (the keys sorted, as jsonschema 4 does). */
export function additionalPropertiesMessage(keys: string[]): string {
  return `Additional properties are not allowed (${pySorted(keys).map((k) => pyRepr(k)).join(', ')} ${keys.length === 1 ? 'was' : 'were'} unexpected)`;
}

/** `{'type': 'object'}` for the value at `field` (the body root by default). */
export function requireObject(value: unknown, field?: Field): Record<string, unknown> {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw fieldError(field, value, `${pyRepr(value)} is not of type 'object'`);
  }
  return value as Record<string, unknown>;
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/**
 * A body `{"<key>": {...}}`, in jsonschema's order: the inner object (its type, then
 * `validateInner`), then the root's `required` and `additionalProperties` (bare messages).
 */
export function validateBody<T>(body: unknown, key: string, validateInner: (inner: Record<string, unknown>) => T): T {
  const top = requireObject(body);
  if (!hasOwn(top, key)) throw fieldError(undefined, top, `${pyRepr(key)} is a required property`);
  const result = validateInner(requireObject(top[key], key));
  const extra = Object.keys(top).filter((k) => k !== key);
  if (extra.length > 0) throw fieldError(undefined, top, additionalPropertiesMessage(extra));
  return result;
}

/** `{"<key>": {...}}` whose inner object is validated against `cls`; `after` runs the schema's later keywords. */
export function validateWrapped<T extends object>(body: unknown, key: string, cls: Ctor<T>, after?: (inner: Record<string, unknown>, value: T) => void): T {
  return validateBody(body, key, (inner) => {
    const value = validateObject(inner, cls, key);
    after?.(inner, value);
    return value;
  });
}

/** A property decorator (Required(), NovaInt(1), ...), applied in the order listed. */
export type PropertyRule = (object: object, propertyName: string) => void;

/**
 * A class for `validateObject` from `{property: [rules]}` in the schema's `properties` order,
 * for schemas that differ by microversion in ways `extends` cannot express (a property removed).
 */
export function schemaClass<T extends object>(properties: Record<string, PropertyRule[]>): Ctor<T> {
  const cls = class {};
  for (const [name, rules] of Object.entries(properties)) {
    for (const rule of rules) rule(cls.prototype, name);
  }
  return cls as Ctor<T>;
}

/** A nested `{'type': 'object', ...}` property validated against `cls`. */
export function NovaObject<T extends object>(cls: Ctor<T>): PropertyRule {
  return (object, propertyName) => NovaCheck('novaObject', (v) => {
    const notObject = typeCheck('object')(v);
    if (notObject !== null) return notObject;
    try {
      validateObject(v as Record<string, unknown>, cls, propertyName);
      return null;
    } catch (err) {
      if (err instanceof Invalid) return bare(err.message);
      throw err;
    }
  })(object, propertyName);
}

/** A body whose schema is `cls` at the root. */
export function validateRoot<T extends object>(body: unknown, cls: Ctor<T>): T {
  return validateObject(requireObject(body), cls);
}

/**
 * Validates the object at `field` (undefined: the body root) against `cls`, reporting like
 * jsonschema's `properties` (declaration order), then `required`, then `additionalProperties`.
 */
export function validateObject<T extends object>(obj: Record<string, unknown>, cls: Ctor<T>, field?: Field): T {
  // Own-property copy: class-transformer chokes on `constructor`/`__proto__` keys, and
  // Object.assign would treat `__proto__` as the prototype. Whitelisting then rejects them.
  const instance = new cls();
  for (const key of Object.keys(obj)) {
    Object.defineProperty(instance, key, { value: obj[key], enumerable: true, writable: true, configurable: true });
  }
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false, stopAtFirstError: true });
  if (errors.length > 0) throw describe(errors, obj, field);
  return instance;
}

function describe(errors: ValidationError[], obj: Record<string, unknown>, field: Field): Invalid {
  const isUnexpected = (e: ValidationError) => e.constraints !== undefined && 'whitelistValidation' in e.constraints;
  const invalid = errors.find((e) => !isUnexpected(e) && hasOwn(obj, e.property));
  if (invalid) return fieldError(invalid.property, invalid.value, Object.values(invalid.constraints ?? {})[0] ?? 'is invalid');
  const missing = errors.find((e) => !isUnexpected(e));
  if (missing) return fieldError(field, obj, `${pyRepr(missing.property)} is a required property`);
  return fieldError(field, obj, additionalPropertiesMessage(errors.map((e) => e.property)));
}
