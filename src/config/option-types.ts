/**
 * Option declarations and value conversion, following oslo.config's types. Pure: no I/O.
 *
 * Every option is declared once with a small builder (`intOpt({ default: 10, min: 1, ... })`);
 * the option's name is its key in the section's declaration object, so the value types of
 * `NovaConf` are inferred from the declarations.
 */

/** Facts about this machine that some defaults depend on (supplied by the loader). */
export interface MachineFacts {
  readonly hostname: string;
  readonly ipv4: string;
}

export type OptKind = 'string' | 'uri' | 'boolean' | 'integer' | 'float' | 'port' | 'choice' | 'list' | 'multi' | 'dict';

/** Another name this option used to have; `section` undefined means the option's own section. */
export interface DeprecatedName {
  readonly section: string | undefined;
  readonly name: string;
}

export type Converted<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface OptDef<T = unknown> {
  readonly kind: OptKind;
  /** The value when the option is not set; a function for machine-dependent defaults. */
  readonly default: T | ((machine: MachineFacts) => T);
  /** What the sample file shows instead of a machine-dependent default. */
  readonly sampleDefault?: string;
  readonly unit?: string;
  readonly help: string;
  readonly secret: boolean;
  readonly deprecatedNames: readonly DeprecatedName[];
  /** Set when nova-ts accepts the option but does not use it: why, or what to use instead. */
  readonly ignored?: string;
  readonly min?: number;
  readonly max?: number;
  /** Allowed values (choice options) or allowed items (list options). */
  readonly choices?: readonly string[];
  /** Repeated keys accumulate instead of the last one winning. */
  readonly multi: boolean;
  /**
   * Converts the raw (already interpolated) values: every occurrence for a multi option, one
   * value otherwise. Errors never contain the value; the loader appends a masked copy.
   */
  readonly convert: (raw: readonly string[]) => Converted<T>;
  /** The value as written in nova.conf (one line per item for multi options; [] when unset). */
  format(value: T): string[];
}

/** A section's declarations: option name → declaration. */
export interface SectionDef<O extends Record<string, OptDef> = Record<string, OptDef>> {
  readonly help: string;
  readonly options: O;
}

export function section<O extends Record<string, OptDef>>(help: string, options: O): SectionDef<O> {
  return { help, options };
}

/** The typed values of a section. */
export type SectionValues<S extends SectionDef> = { readonly [K in keyof S['options']]: OptValue<S['options'][K]> };

/** The value type an option declaration produces. */
export type OptValue<O> = O extends OptDef<infer T> ? T : never;

interface Common {
  help: string;
  unit?: string;
  secret?: boolean;
  /** Old names: `'old_name'` (same section) or `'section.old_name'`. */
  deprecated?: readonly string[];
  sampleDefault?: string;
  ignored?: string;
}

type Dflt<T> = T | ((machine: MachineFacts) => T);

const ok = <T>(value: T): Converted<T> => ({ ok: true, value });
const fail = <T>(error: string): Converted<T> => ({ ok: false, error });

function deprecatedNames(names: readonly string[] | undefined): DeprecatedName[] {
  return (names ?? []).map((n) => {
    const dot = n.indexOf('.');
    return dot < 0 ? { section: undefined, name: n } : { section: n.slice(0, dot), name: n.slice(dot + 1) };
  });
}

function make<T>(kind: OptKind, o: Common, dflt: Dflt<T>, convertOne: (s: string) => Converted<T>,
  format: (v: T) => string[], extra: Partial<Pick<OptDef<T>, 'min' | 'max' | 'choices'>> = {}): OptDef<T> {
  return {
    kind, default: dflt, help: o.help, secret: o.secret ?? false, deprecatedNames: deprecatedNames(o.deprecated),
    multi: false, convert: (raw) => convertOne(raw[raw.length - 1] ?? ''), format, ...extra,
    ...(o.unit !== undefined ? { unit: o.unit } : {}),
    ...(o.sampleDefault !== undefined ? { sampleDefault: o.sampleDefault } : {}),
    ...(o.ignored !== undefined ? { ignored: o.ignored } : {}),
  };
}

const fmtScalar = (v: string | number | boolean | undefined): string[] => (v === undefined ? [] : [String(v)]);

// ---- conversions (exported for tests and for other modules that parse the same syntax) ----

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);
const URI_RE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/\S*$/;

export function parseBoolean(s: string): Converted<boolean> {
  const v = s.trim().toLowerCase();
  if (TRUE.has(v)) return ok(true);
  if (FALSE.has(v)) return ok(false);
  return fail('expected a boolean (true/false, yes/no, on/off, 1/0)');
}

function range(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `must be between ${min} and ${max}`;
  return min !== undefined ? `must be at least ${min}` : `must be at most ${max}`;
}

export function parseNumber(s: string, integer: boolean, min?: number, max?: number): Converted<number> {
  const v = s.trim();
  if (!(integer ? INT_RE : FLOAT_RE).test(v)) return fail(integer ? 'expected an integer' : 'expected a number');
  const n = Number(v);
  if (integer && !Number.isSafeInteger(n)) return fail('expected an integer');
  if ((min !== undefined && n < min) || (max !== undefined && n > max)) return fail(range(min, max));
  return ok(n);
}

/** oslo's List type: comma-separated, items trimmed, empty items dropped. */
export function parseList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

/** oslo's Dict type: `k1:v1,k2:v2`. */
export function parseDict(s: string): Converted<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const item of parseList(s)) {
    const colon = item.indexOf(':');
    if (colon <= 0) return fail('expected key:value pairs separated by commas');
    out[item.slice(0, colon).trim()] = item.slice(colon + 1).trim();
  }
  return ok(out);
}

// ---- builders ----

export function strOpt(o: Common & { default: Dflt<string> }): OptDef<string>;
export function strOpt(o: Common): OptDef<string | undefined>;
export function strOpt(o: Common & { default?: Dflt<string> }): OptDef<string | undefined> {
  // An empty value unsets an option without a default; it is an empty string otherwise.
  const unset = o.default === undefined;
  return make<string | undefined>('string', o, o.default, (s) => ok(unset && s === '' ? undefined : s), fmtScalar);
}

/** A URL such as `rabbit://user:pass@host:5672/` or `mysql+pymysql://nova:pw@db/nova`. */
export function uriOpt(o: Common & { default: string }): OptDef<string>;
export function uriOpt(o: Common): OptDef<string | undefined>;
export function uriOpt(o: Common & { default?: string }): OptDef<string | undefined> {
  const unset = o.default === undefined;
  return make<string | undefined>('uri', o, o.default, (s) => {
    if (unset && s === '') return ok(undefined);
    return URI_RE.test(s) ? ok(s) : fail('expected a URL such as scheme://host/path');
  }, fmtScalar);
}

export function boolOpt(o: Common & { default: boolean }): OptDef<boolean> {
  return make('boolean', o, o.default, parseBoolean, fmtScalar);
}

type NumInit = Common & { min?: number; max?: number };

export function intOpt(o: NumInit & { default: number }): OptDef<number>;
export function intOpt(o: NumInit): OptDef<number | undefined>;
export function intOpt(o: NumInit & { default?: number }): OptDef<number | undefined> {
  return numOpt('integer', o, true);
}

export function floatOpt(o: NumInit & { default: number }): OptDef<number>;
export function floatOpt(o: NumInit): OptDef<number | undefined>;
export function floatOpt(o: NumInit & { default?: number }): OptDef<number | undefined> {
  return numOpt('float', o, false);
}

function numOpt(kind: OptKind, o: NumInit & { default?: number }, integer: boolean): OptDef<number | undefined> {
  const unset = o.default === undefined;
  return make<number | undefined>(kind, o, o.default,
    (s) => (unset && s.trim() === '' ? ok(undefined) : parseNumber(s, integer, o.min, o.max)),
    fmtScalar, { ...(o.min !== undefined ? { min: o.min } : {}), ...(o.max !== undefined ? { max: o.max } : {}) });
}

export function portOpt(o: Common & { default: number }): OptDef<number> {
  return make('port', o, o.default, (s) => {
    const r = parseNumber(s, true, 0, 65535);
    return r.ok ? r : fail('expected a port number (0-65535)');
  }, fmtScalar, { min: 0, max: 65535 });
}

export function choiceOpt<const C extends string>(o: Common & { choices: readonly C[]; default: C }): OptDef<C> {
  return make<C>('choice', o, o.default, (s) => {
    const v = s.trim();
    return (o.choices as readonly string[]).includes(v) ? ok(v as C) : fail(`expected one of ${o.choices.join(', ')}`);
  }, fmtScalar, { choices: o.choices });
}

export function listOpt(o: Common & { default?: string[]; choices?: readonly string[] }): OptDef<string[]> {
  const choices = o.choices;
  return make<string[]>('list', o, o.default ?? [], (s) => {
    const items = parseList(s);
    if (choices && items.some((i) => !choices.includes(i))) return fail(`expected a list of: ${choices.join(', ')}`);
    return ok(items);
  }, (v) => [v.join(',')], choices ? { choices } : {});
}

/** A multi-valued option: every `name = value` line (in every file) adds one value. */
export function multiOpt(o: Common & { default?: string[] }): OptDef<string[]> {
  const base = make<string[]>('multi', o, o.default ?? [], (s) => ok([s]), (v) => [...v]);
  return { ...base, multi: true, convert: (raw) => ok([...raw]) };
}

export function dictOpt(o: Common & { default?: Record<string, string> }): OptDef<Record<string, string>> {
  return make<Record<string, string>>('dict', o, o.default ?? {}, parseDict,
    (v) => [Object.entries(v).map(([k, x]) => `${k}:${x}`).join(',')]);
}

/** The default of `opt` on this machine. Lists and dicts are fresh copies. */
export function defaultOf<T>(opt: OptDef<T>, machine: MachineFacts): T {
  const d = opt.default;
  const v = typeof d === 'function' ? (d as (m: MachineFacts) => T)(machine) : d;
  return (Array.isArray(v) ? [...v] : v !== null && typeof v === 'object' ? { ...v } : v) as T;
}

/** Human name of a kind, as shown in the sample file. */
export function kindLabel(opt: OptDef): string {
  switch (opt.kind) {
    case 'string': return 'string';
    case 'uri': return 'URL';
    case 'boolean': return 'boolean';
    case 'integer': return 'integer';
    case 'float': return 'floating point';
    case 'port': return 'port number (0-65535)';
    case 'choice': return 'string (one of the allowed values)';
    case 'list': return 'comma-separated list';
    case 'multi': return 'multi-valued (repeat the line for each value)';
    case 'dict': return 'comma-separated key:value pairs';
  }
}

// ---- secrets ----

export const MASK = '****';

/**
 * Masks the passwords in a URL's credentials, keeping the rest: `rabbit://u:****@h1:5672,u:****@h2/`.
 * Text that is not a URL is returned unchanged.
 */
export function maskUrl(value: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([\s\S]*)$/.exec(value);
  if (!m) return value;
  const rest = m[2] ?? '';
  const q = rest.search(/[?#]/);
  const head = q < 0 ? rest : rest.slice(0, q);
  const lastAt = head.lastIndexOf('@');
  if (lastAt < 0) return `${m[1]}${maskQuery(rest)}`;
  const slash = head.indexOf('/', lastAt);
  const end = slash < 0 ? head.length : slash;
  const segments = rest.slice(0, end).split('@');
  const maskUser = (userinfo: string): string => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? userinfo : `${userinfo.slice(0, colon)}:${MASK}`;
  };
  const out: string[] = [];
  segments.forEach((seg, i) => {
    if (i === 0) out.push(maskUser(seg));
    else if (i === segments.length - 1) out.push(seg); // host[:port] of the last host
    else {
      // "host:port,user:pass" between two hosts; without a comma the '@' was part of a password.
      const comma = seg.indexOf(',');
      if (comma >= 0) out.push(`${seg.slice(0, comma + 1)}${maskUser(seg.slice(comma + 1))}`);
    }
  });
  return `${m[1]}${out.join('@')}${maskQuery(rest.slice(end))}`;
}

const maskQuery = (s: string): string => s.replace(/([?&;](?:password|passwd|pass)=)[^&;#]*/gi, `$1${MASK}`);

/** How a value of `opt` may be shown to a human: secrets masked (URLs keep all but the password). */
export function showValue(opt: Pick<OptDef, 'secret' | 'kind'> | undefined, raw: string): string {
  if (!opt?.secret) return maskUrl(raw);
  // A URL keeps everything but its password. Without an '@' there is no user:password part, but
  // "scheme://user:password" (no host) is ambiguous: anything after a ':' that is not a port is hidden.
  if (opt.kind === 'uri' && /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(raw)) {
    const masked = maskUrl(raw);
    if (masked !== raw) return masked;
    const authority = raw.slice(raw.indexOf('://') + 3).split(/[/?#]/)[0] ?? '';
    return /:(?!\d*(?:[,@]|$))/.test(authority) ? MASK : raw;
  }
  return MASK;
}
