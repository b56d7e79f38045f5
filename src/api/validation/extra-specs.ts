/**
 * Flavor extra-spec validation (microversion 2.86; Nova's nova/api/validation/extra_specs/
 * validators.py and base.py): a spec whose name a known rule matches must have a value of that
 * rule; an unknown name in a known namespace (`hw:`, `hw_rng:`, `quota:`, `resources…:`,
 * `trait…:`, `os:`, …) is refused; names without a namespace or in an unknown one pass.
 */
import { Invalid } from '../../common/errors';
import { EXTRA_SPEC_RULES, ExtraSpecRule } from './extra-spec-rules';

interface CompiledRule {
  rule: ExtraSpecRule;
  name: RegExp;
  value: RegExp | null;
}

/** Python's `re.fullmatch` as a JavaScript RegExp. */
function fullMatch(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/** The rule's name with each `{param}` replaced by its pattern (the rest taken as a regex, as Nova does). */
function nameRegex(rule: ExtraSpecRule): string {
  let re = rule.name;
  for (const [param, pattern] of Object.entries(rule.params ?? {})) re = re.replace(`{${param}}`, `(${pattern})`);
  return re;
}

const COMPILED: readonly CompiledRule[] = EXTRA_SPEC_RULES.map((rule) => ({
  rule,
  name: fullMatch(nameRegex(rule)),
  value: rule.value.type === 'str' && rule.value.pattern ? fullMatch(rule.value.pattern) : null,
}));

const BY_NAME = new Map<string, CompiledRule>();
for (const c of COMPILED) if (!BY_NAME.has(c.rule.name)) BY_NAME.set(c.rule.name, c);

/** The namespaces of the rules (the name regex up to its first colon). */
const NAMESPACES: readonly RegExp[] = [...new Set(COMPILED.map((c) => nameRegex(c.rule)).filter((re) => re.includes(':')).map((re) => re.split(':', 1)[0]))].map(fullMatch);

const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_STRINGS = ['0', 'f', 'false', 'off', 'n', 'no'];

function fail(message: string): never {
  throw new Invalid(`Validation failed; ${message}`);
}

/** Python's `int(str)`: optional sign, digits with single underscores between them, surrounding whitespace. */
function pyInt(value: string): number | null {
  const m = /^\s*([-+]?)(\d+(?:_\d+)*)\s*$/.exec(value);
  return m ? Number(`${m[1]}${m[2].replace(/_/g, '')}`) : null;
}

function checkValue(c: CompiledRule, value: string): void {
  const v = c.rule.value;
  if (v.type === 'int') {
    const n = pyInt(value);
    if (n === null) fail(`'${value}' is not a valid integer value.`);
    if (v.max !== undefined && v.max < n) fail(`'${n}' is greater than the max value of '${v.max}'.`);
    if (v.min !== undefined && v.min > n) fail(`'${n}' is less than the min value of '${v.min}'.`);
  } else if (v.type === 'bool') {
    // oslo's bool_from_string(strict=True)
    const s = value.trim().toLowerCase();
    if (!TRUE_STRINGS.includes(s) && !FALSE_STRINGS.includes(s)) fail(`'${value}' is not a valid boolean-like value.`);
  } else if (c.value) {
    if (!c.value.test(value)) fail(`'${value}' is not of the format '${v.pattern as string}'.`);
  } else if (v.enum && !v.enum.includes(value)) {
    fail(`'${value}' is not one of: ${v.enum.join(', ')}.`);
  }
}

/** Nova's `validators.validate(name, value)`: 400 `Validation failed; …` when the spec is refused. */
export function validateExtraSpec(name: string, value: string): void {
  const exact = BY_NAME.get(name);
  if (exact && exact.name.test(name)) return checkValue(exact, value);
  for (const c of COMPILED) {
    if (c.name.test(name)) return checkValue(c, value);
  }
  if (!name.includes(':')) return;
  const namespace = name.split(':', 1)[0];
  if (!NAMESPACES.some((ns) => ns.test(namespace))) return;
  fail(`extra spec '${name}' does not appear to be a valid extra spec.`);
}
