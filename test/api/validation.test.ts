// The validation helpers against Nova's own texts: every expected message below is what Nova's
// `_SchemaValidator` (jsonschema, Draft 2020-12) returns for the same schema and body.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Invalid } from '../../src/common/errors';
import { checkMetadata, metadataCheck } from '../../src/api/validation/metadata';
import { invalidNameMessage, isValidName } from '../../src/api/validation/name-format';
import {
  BOOLEAN_VALUES, booleanCheck, nonNegativeIntegerCheck, NovaBoolean, NovaCheck, NovaEnum, NovaFqdn, NovaInt, NovaName, NovaString, Optional, positiveIntegerCheck, rangeCheck,
  Required, toBool,
} from '../../src/api/validation/nova-validators';
import { pyRepr, pyStr } from '../../src/api/validation/py-repr';
import { fieldError, NovaObject, queryParam, queryParamError, validateRoot, validateWrapped } from '../../src/api/validation/validate';
import { rejectUnknown } from '../../src/api/http/query';

const BOOLS = "[True, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes', False, 'False', 'FALSE', 'false', '0', 'OFF', 'Off', 'off', 'NO', 'No', 'no']";

/** The 400 message a call fails with. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof Invalid, `not an Invalid: ${String(err)}`);
    return err.message;
  }
  assert.fail('no validation error');
}

class Rules {
  @Optional() @NovaCheck('positiveInteger', positiveIntegerCheck) max_server_per_host?: unknown;
}

/** Like schemas/flavors.py `create` (name, ram, is_public) plus a nested object. */
class Body {
  @Required() @NovaName() name!: string;
  @Required() @NovaInt(1) ram!: unknown;
  @Optional() @NovaBoolean() is_public?: unknown;
  @Optional() @NovaObject(Rules) rules?: unknown;
}

/** Like schemas/services.py `update_v211`: the schema is at the body root. */
class RootBody {
  @Required() @NovaFqdn() host!: string;
  @Required() @NovaString(1, 255) binary!: string;
  @Optional() @NovaBoolean() forced_down?: unknown;
  @Optional() @NovaEnum(['enabled', 'disabled'], 'string') status?: unknown;
}

class KeypairBody {
  @Required() @NovaName('name', '^[_\\- a-zA-Z0-9]+$') name!: string;
}

const wrapped = (inner: unknown, extra: Record<string, unknown> = {}) => failure(() => validateWrapped({ flavor: inner, ...extra }, 'flavor', Body));

describe('Python repr() and str() of JSON values', () => {
  it('repr quotes and escapes strings as Python 3 does; str leaves them bare', () => {
    assert.equal(pyRepr('bar'), "'bar'");
    assert.equal(pyRepr("it's"), '"it\'s"');
    assert.equal(pyRepr('both \' and "'), "'both \\' and \"'");
    assert.equal(pyRepr('x\ny\u00e9\u00a0\u2028\ud83d\ude00\\\t\u0001'), "'x\\nyé\\xa0\\u2028😀\\\\\\t\\x01'");
    assert.equal(pyStr('bar'), 'bar');
    assert.equal(pyStr(''), '');
  });

  it('other values: None, True, ints, floats, lists and dicts (str is repr for them)', () => {
    const v = { a: [1, null, true, 0.5, 's', 1e-7, -0.0001], b: { c: false } };
    assert.equal(pyRepr(v), "{'a': [1, None, True, 0.5, 's', 1e-07, -0.0001], 'b': {'c': False}}");
    assert.equal(pyStr(v), pyRepr(v));
    assert.equal(pyRepr(1e39), '1e+39');
    assert.equal(pyRepr(2147483648), '2147483648');
  });
});

describe('rendering: nested errors have the prefix, root errors do not', () => {
  it('fieldError prints the value with str() and the message as given', () => {
    assert.equal(fieldError('ram', 'bar', "'bar' is not of type 'integer'").message, "Invalid input for field/attribute ram. Value: bar. 'bar' is not of type 'integer'");
    assert.equal(fieldError(0, 'bogus', 'm').message, 'Invalid input for field/attribute 0. Value: bogus. m');
    assert.equal(fieldError(undefined, {}, "'flavor' is a required property").message, "'flavor' is a required property");
    assert.equal(queryParamError('limit', '-1', "'-1' does not match '^[0-9]*$'").message, "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'");
  });

  it('a wrapped body: the root required/additionalProperties and type are bare', () => {
    assert.equal(failure(() => validateWrapped({ name: 'x' }, 'flavor', Body)), "'flavor' is a required property");
    assert.equal(failure(() => validateWrapped([], 'flavor', Body)), "[] is not of type 'object'");
    assert.equal(failure(() => validateWrapped('str', 'flavor', Body)), "'str' is not of type 'object'");
    assert.equal(wrapped({ name: 'x', ram: 1 }, { foo: 1 }), "Additional properties are not allowed ('foo' was unexpected)");
  });

  it('a wrapped body: the inner object and its properties carry the prefix', () => {
    assert.equal(wrapped(null), "Invalid input for field/attribute flavor. Value: None. None is not of type 'object'");
    assert.equal(wrapped('x'), "Invalid input for field/attribute flavor. Value: x. 'x' is not of type 'object'");
    assert.equal(wrapped({ ram: 1 }), "Invalid input for field/attribute flavor. Value: {'ram': 1}. 'name' is a required property");
    assert.equal(wrapped({ name: 'x', ram: 1, b: 1, a: 2 }), "Invalid input for field/attribute flavor. Value: {'name': 'x', 'ram': 1, 'b': 1, 'a': 2}. Additional properties are not allowed ('a', 'b' were unexpected)");
    assert.equal(wrapped({ name: 'x', ram: 'lots' }), "Invalid input for field/attribute ram. Value: lots. 'lots' does not match '^[0-9]+$'");
    assert.equal(wrapped({ name: 'x', ram: "it's" }), "Invalid input for field/attribute ram. Value: it's. \"it's\" does not match '^[0-9]+$'");
    assert.equal(wrapped({ name: 'x', ram: true }), "Invalid input for field/attribute ram. Value: True. True is not of type 'integer', 'string'");
  });

  it("jsonschema's order: properties, then required, then additionalProperties; the inner object before the root", () => {
    assert.equal(wrapped({ color: 'red', name: 'x', ram: 'bad' }), "Invalid input for field/attribute ram. Value: bad. 'bad' does not match '^[0-9]+$'");
    assert.equal(wrapped({ color: 'red', name: 'x' }), "Invalid input for field/attribute flavor. Value: {'color': 'red', 'name': 'x'}. 'ram' is a required property");
    assert.equal(wrapped({ ram: 'y', name: 5 }), "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'");
    assert.equal(wrapped({ name: 'x', ram: 'bad' }, { foo: 1 }), "Invalid input for field/attribute ram. Value: bad. 'bad' does not match '^[0-9]+$'");
  });

  it('a body whose schema is at the root: required and additionalProperties are bare', () => {
    assert.equal(failure(() => validateRoot({ binary: 'nova-compute' }, RootBody)), "'host' is a required property");
    assert.equal(failure(() => validateRoot({ host: 'h', binary: 'b', foo: 1 }, RootBody)), "Additional properties are not allowed ('foo' was unexpected)");
    assert.equal(failure(() => validateRoot(null, RootBody)), "None is not of type 'object'");
    assert.equal(failure(() => validateRoot({ foo: 1, host: 5 }, RootBody)), "Invalid input for field/attribute host. Value: 5. 5 is not of type 'string'");
    assert.equal(failure(() => validateRoot({ host: 'bad host', binary: 'b' }, RootBody)), "Invalid input for field/attribute host. Value: bad host. 'bad host' does not match '^[a-zA-Z0-9-._]*$'");
    assert.equal(failure(() => validateRoot({ host: 'h', binary: '' }, RootBody)), "Invalid input for field/attribute binary. Value: . '' is too short");
    assert.equal(failure(() => validateRoot({ host: 'h', binary: 'b', status: 5 }, RootBody)), "Invalid input for field/attribute status. Value: 5. 5 is not of type 'string'");
    assert.equal(failure(() => validateRoot({ host: 'h', binary: 'b', status: 'x' }, RootBody)), "Invalid input for field/attribute status. Value: x. 'x' is not one of ['enabled', 'disabled']");
    const ok = validateRoot({ host: 'h', binary: 'b', forced_down: 'yes' }, RootBody);
    assert.deepEqual([ok.host, ok.binary, ok.forced_down, ok.status], ['h', 'b', 'yes', undefined]);
  });

  it('a nested object property renders its own errors at their own paths', () => {
    const rules = (r: unknown) => wrapped({ name: 'x', ram: 1, rules: r });
    assert.equal(rules({ foo: 1 }), "Invalid input for field/attribute rules. Value: {'foo': 1}. Additional properties are not allowed ('foo' was unexpected)");
    assert.equal(rules([]), "Invalid input for field/attribute rules. Value: []. [] is not of type 'object'");
    assert.equal(rules({ max_server_per_host: '0' }), 'Invalid input for field/attribute max_server_per_host. Value: 0. 0 is less than the minimum of 1');
    assert.equal(rules({ max_server_per_host: '' }), "Invalid input for field/attribute max_server_per_host. Value: . '' is too short");
    assert.equal(rules({ max_server_per_host: 1.5 }), "Invalid input for field/attribute max_server_per_host. Value: 1.5. 1.5 is not of type 'integer', 'string'");
  });
});

describe('parameter_types.boolean', () => {
  it("accepts exactly Nova's list and maps it like strutils.bool_from_string", () => {
    assert.equal(pyRepr(BOOLEAN_VALUES), BOOLS);
    const truthy = [true, 'True', 'TRUE', 'true', '1', 'ON', 'On', 'on', 'YES', 'Yes', 'yes'];
    for (const v of BOOLEAN_VALUES) {
      assert.equal(booleanCheck(v), null, String(v));
      assert.equal(toBool(v), truthy.includes(v as never), String(v));
    }
  });

  it('refuses numbers and null by type, other spellings by enum', () => {
    const bool = (v: unknown) => wrapped({ name: 'x', ram: 1, is_public: v });
    assert.equal(bool(1), "Invalid input for field/attribute is_public. Value: 1. 1 is not of type 'boolean', 'string'");
    assert.equal(bool(0), "Invalid input for field/attribute is_public. Value: 0. 0 is not of type 'boolean', 'string'");
    assert.equal(bool(null), "Invalid input for field/attribute is_public. Value: None. None is not of type 'boolean', 'string'");
    for (const v of ['y', 't', 'n', 'f', 'oN', 'True ']) assert.equal(bool(v), `Invalid input for field/attribute is_public. Value: ${v}. ${pyRepr(v)} is not one of ${BOOLS}`);
  });
});

describe("Nova's name formats", () => {
  const STRICT = invalidNameMessage('name');
  const LOOSE = invalidNameMessage('name_with_leading_trailing_spaces');

  it('the InvalidName messages', () => {
    assert.equal(STRICT, "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.");
    assert.equal(LOOSE, "An invalid 'name' value was provided. The name must be: printable characters with at least one non space character");
  });

  it('strict names: printable, no leading or trailing whitespace; the empty string is left to minLength', () => {
    for (const ok of ['x', 'a b', 'x\u00a0y', 'é', 'k\n', '']) assert.ok(isValidName(ok, 'name'), JSON.stringify(ok));
    for (const bad of [' x', 'x ', 'tab\tname', '\u00a0y', 'x\ud83d\ude00', '\u2028', '\n', 'a\u200bb', 'a:b\u0000']) assert.ok(!isValidName(bad, 'name'), JSON.stringify(bad));
  });

  it('loose names: printable with at least one non-space; az names refuse ":"', () => {
    for (const ok of ['  x  ', 'x']) assert.ok(isValidName(ok, 'name_with_leading_trailing_spaces'), ok);
    for (const bad of ['', ' ', '\u2028', 'a\tb']) assert.ok(!isValidName(bad, 'name_with_leading_trailing_spaces'), JSON.stringify(bad));
    assert.ok(isValidName('zone-1', 'az_name'));
    assert.ok(!isValidName('a:b', 'az_name'));
    assert.ok(!isValidName(' a:b ', 'az_name_with_leading_trailing_spaces'));
  });

  it('a format failure is returned bare at any depth; type and length errors are not', () => {
    assert.equal(wrapped({ name: ' x', ram: 1 }), STRICT);
    assert.equal(wrapped({ name: 'tab\tname', ram: 'bad' }), STRICT);
    assert.equal(wrapped({ name: 5, ram: 1 }), "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'");
    assert.equal(wrapped({ name: '', ram: 1 }), "Invalid input for field/attribute name. Value: . '' is too short");
    assert.equal(wrapped({ name: 'n'.repeat(256), ram: 1 }), `Invalid input for field/attribute name. Value: ${'n'.repeat(256)}. '${'n'.repeat(256)}' is too long`);
  });

  it('keypair names: the name format first, then their pattern (quoted as Python repr)', () => {
    const kp = (name: unknown) => failure(() => validateWrapped({ keypair: { name } }, 'keypair', KeypairBody));
    assert.equal(kp(' a'), STRICT);
    assert.equal(kp('a*b'), "Invalid input for field/attribute name. Value: a*b. 'a*b' does not match '^[_\\\\- a-zA-Z0-9]+$'");
    assert.equal(kp(''), "Invalid input for field/attribute name. Value: . '' is too short");
  });
});

describe('query parameters', () => {
  it('each value is checked and named; a repeated single_param fails maxItems; unknown keys are bare', () => {
    const q = (query: Record<string, string[]>) => failure(() => {
      queryParam(query, 'limit', nonNegativeIntegerCheck, true);
      queryParam(query, 'with_servers', booleanCheck, true);
      rejectUnknown(query, ['limit', 'with_servers']);
    });
    assert.equal(q({ limit: ['-1'] }), "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'");
    assert.equal(q({ limit: [''] }), "Invalid input for query parameters limit. Value: . '' is too short");
    assert.equal(q({ limit: ['1', '2'] }), "Invalid input for query parameters limit. Value: ['1', '2']. ['1', '2'] is too long");
    assert.equal(q({ foo: ['1'], with_servers: ['y'] }), `Invalid input for query parameters with_servers. Value: y. 'y' is not one of ${BOOLS}`);
    assert.equal(q({ foo: ['1'], bar: ['x'] }), "Additional properties are not allowed ('bar', 'foo' were unexpected)");
  });
});

describe("integers, ranges and metadata", () => {
  it("Nova's minimum/maximum compare int() of strings and floats and print it", () => {
    assert.equal(wrapped({ name: 'x', ram: '0' }), 'Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1');
    assert.equal(wrapped({ name: 'x', ram: -1 }), 'Invalid input for field/attribute ram. Value: -1. -1 is less than the minimum of 1');
    assert.equal(wrapped({ name: 'x', ram: '-1' }), "Invalid input for field/attribute ram. Value: -1. '-1' does not match '^[0-9]+$'");
    assert.equal(wrapped({ name: 'x', ram: 2147483648 }), 'Invalid input for field/attribute ram. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647');
    const rxtx = rangeCheck(0, 3.40282e38, { exclusiveMin: true, maxText: '3.40282e+38' });
    assert.equal(rxtx(1e39), '999999999999999939709166371603178586112 is greater than the maximum of 3.40282e+38');
    assert.equal(rxtx(0), '0 is less than or equal to the minimum of 0');
    assert.equal(rxtx('0'), null, 'exclusiveMinimum is not extended to strings');
  });

  it('metadata: values of matching keys first, then the keys matching no pattern (sorted)', () => {
    const check = metadataCheck(['string', 'null']);
    assert.equal(check(5), "5 is not of type 'object'");
    assert.equal(check({ k: 'v', n: null }), null);
    assert.equal(failure(() => checkMetadata({ 'bad/key': 'v', k: 1 }, 'metadata', ['string', 'null'])), "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string', 'null'");
    assert.equal(failure(() => checkMetadata({ 'c/d': 1, 'a/b': 2 }, 'metadata', ['string', 'null'])),
      "Invalid input for field/attribute metadata. Value: {'c/d': 1, 'a/b': 2}. 'a/b', 'c/d' do not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'");
    assert.equal(failure(() => checkMetadata({ 'a/b': 'v' }, undefined, ['string', 'number'])), "'a/b' does not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'");
    assert.equal(failure(() => checkMetadata({ k: true }, undefined, ['string', 'number'])), "Invalid input for field/attribute k. Value: True. True is not of type 'string', 'number'");
    assert.equal(failure(() => checkMetadata({ '\ud83d\ude00': 1, '\uffff': 2 }, 'metadata', ['string'])),
      "Invalid input for field/attribute metadata. Value: {'😀': 1, '\\uffff': 2}. '\\uffff', '😀' do not match any of the regexes: '^[a-zA-Z0-9-_:. ]{1,255}$'");
  });
});
