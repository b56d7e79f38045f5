/**
 * oslo.policy check strings, parsed and evaluated. Pure. Grammar: `@` (always), `!` (never),
 * `rule:<name>`, `role:<name>`, `<credential>:<value>` where the value is a literal (`True`,
 * `'text'`, `admin`) or `%(<target key>)s`, combined with `and`, `or`, `not` and parentheses.
 */

export type Check =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'rule'; name: string }
  | { kind: 'role'; role: string }
  | { kind: 'generic'; attr: string; value: string }
  | { kind: 'not'; check: Check }
  | { kind: 'and'; checks: Check[] }
  | { kind: 'or'; checks: Check[] };

export interface Credentials {
  user_id: string;
  project_id: string;
  roles: string[];
  is_admin: boolean;
  [key: string]: unknown;
}

export type Target = Record<string, unknown>;

export class PolicySyntaxError extends Error {}

export function parseCheck(text: string): Check {
  const tokens = tokenize(text);
  if (tokens.length === 0) return { kind: 'true' }; // an empty rule allows, as in oslo.policy
  let pos = 0;
  const peek = () => tokens[pos];
  const parseOr = (): Check => {
    const checks = [parseAnd()];
    while (peek() === 'or') {
      pos++;
      checks.push(parseAnd());
    }
    return checks.length === 1 ? checks[0] : { kind: 'or', checks };
  };
  const parseAnd = (): Check => {
    const checks = [parseNot()];
    while (peek() === 'and') {
      pos++;
      checks.push(parseNot());
    }
    return checks.length === 1 ? checks[0] : { kind: 'and', checks };
  };
  const parseNot = (): Check => {
    if (peek() === 'not') {
      pos++;
      return { kind: 'not', check: parseNot() };
    }
    return parseAtom();
  };
  const parseAtom = (): Check => {
    const tok = tokens[pos++];
    if (tok === undefined) throw new PolicySyntaxError(`unexpected end of rule '${text}'`);
    if (tok === '(') {
      const inner = parseOr();
      if (tokens[pos++] !== ')') throw new PolicySyntaxError(`missing ')' in rule '${text}'`);
      return inner;
    }
    if (tok === '@') return { kind: 'true' };
    if (tok === '!') return { kind: 'false' };
    const colon = tok.indexOf(':');
    if (colon <= 0) throw new PolicySyntaxError(`cannot read '${tok}' in rule '${text}'`);
    const kind = tok.slice(0, colon);
    const value = tok.slice(colon + 1);
    if (kind === 'rule') return { kind: 'rule', name: value };
    if (kind === 'role') return { kind: 'role', role: value };
    return { kind: 'generic', attr: kind, value };
  };
  const check = parseOr();
  if (pos !== tokens.length) throw new PolicySyntaxError(`unexpected '${tokens[pos]}' in rule '${text}'`);
  return check;
}

/** As oslo.policy: split on white space, then peel leading '(' and trailing ')' off each word. */
function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let w = word;
    while (w.startsWith('(')) {
      out.push('(');
      w = w.slice(1);
    }
    let closing = 0;
    while (w.endsWith(')') && !/%\([^)]*\)$/.test(w)) {
      closing++;
      w = w.slice(0, -1);
    }
    if (w) out.push(w);
    for (let i = 0; i < closing; i++) out.push(')');
  }
  return out;
}

export type RuleLookup = (name: string) => Check | undefined;

export function evaluate(check: Check, creds: Credentials, target: Target, rules: RuleLookup, depth = 0): boolean {
  if (depth > 50) throw new PolicySyntaxError('policy rules refer to each other in a loop');
  switch (check.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'not':
      return !evaluate(check.check, creds, target, rules, depth + 1);
    case 'and':
      return check.checks.every((c) => evaluate(c, creds, target, rules, depth + 1));
    case 'or':
      return check.checks.some((c) => evaluate(c, creds, target, rules, depth + 1));
    case 'rule': {
      const rule = rules(check.name);
      return rule ? evaluate(rule, creds, target, rules, depth + 1) : false;
    }
    case 'role':
      return creds.roles.some((r) => r.toLowerCase() === substitute(check.role, target)?.toLowerCase());
    case 'generic': {
      const expected = substitute(check.value, target);
      if (expected === undefined) return false;
      const actual = creds[check.attr];
      if (Array.isArray(actual)) return actual.map(String).includes(expected);
      if (typeof actual === 'boolean') return String(actual) === expected || (actual && expected === 'True') || (!actual && expected === 'False');
      return actual !== undefined && actual !== null && String(actual) === expected;
    }
  }
}

/** `%(project_id)s` → the target's value; `'text'` → text; `True` → 'True'. */
function substitute(value: string, target: Target): string | undefined {
  const m = /^%\((\w+)\)s$/.exec(value);
  if (m) {
    const v = target[m[1]];
    return v === undefined || v === null ? undefined : String(v);
  }
  if (/^'.*'$/.test(value) || /^".*"$/.test(value)) return value.slice(1, -1);
  return value;
}
