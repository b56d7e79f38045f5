/**
 * `$option` interpolation in option values, with oslo.config's rules. Pure.
 *
 * - `$name` and `${name}` refer to option `name` of the value's own section, else of [DEFAULT];
 * - `${section.name}` refers to another section;
 * - `$$` is a literal `$`; any other `$` is an error;
 * - a referenced value is itself expanded, in the context of its own section; loops are errors.
 */

export interface RefTarget {
  /** The value as written (not yet expanded). */
  readonly value: string;
  readonly secret: boolean;
}

/** Finds the raw value of an option (set in a file, or its default); undefined if there is no such option. */
export type RefLookup = (section: string, name: string) => RefTarget | undefined;

export type Expanded = { readonly ok: true; readonly value: string; readonly secret: boolean } | { readonly ok: false; readonly error: string };

const TOKEN = /\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*))?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const label = (section: string, name: string): string => `[${section}] ${name}`;

export class Interpolator {
  private readonly cache = new Map<string, Expanded>();
  private readonly stack: string[] = [];

  constructor(private readonly lookup: RefLookup) {}

  /** The fully expanded value of option `name` in `section` (memoised). */
  resolve(section: string, name: string): Expanded | undefined {
    const target = this.lookup(section, name);
    if (!target) return undefined;
    const key = label(section, name);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const loopAt = this.stack.indexOf(key);
    if (loopAt >= 0) return { ok: false, error: `interpolation loop: ${[...this.stack.slice(loopAt), key].join(' -> ')}` };
    this.stack.push(key);
    const r = this.expand(target.value, section, target.secret);
    this.stack.pop();
    const result: Expanded = r.ok ? { ...r, secret: r.secret || target.secret } : r;
    this.cache.set(key, result);
    return result;
  }

  /**
   * Expands the references in `value`, written in `section`. When `secret`, error messages do not
   * quote the value (a stray `$` is probably part of a password).
   */
  expand(value: string, section: string, secret = false): Expanded {
    let out = '';
    let last = 0;
    let tainted = false;
    for (const m of value.matchAll(TOKEN)) {
      const at = m.index ?? 0;
      out += value.slice(last, at);
      last = at + m[0].length;
      if (m[1] !== undefined) {
        out += '$';
        continue;
      }
      const ref = m[2] ?? m[3];
      const invalid = secret
        ? "contains a '$' that is not a reference to a known option (write $$ for a literal $)"
        : undefined;
      if (ref === undefined) return { ok: false, error: invalid ?? `invalid '$' at character ${at + 1} (write $$ for a literal $)` };
      const r = this.resolveRef(ref.trim(), section);
      if (!r.ok) return { ok: false, error: invalid ?? r.error };
      tainted ||= r.secret;
      out += r.value;
    }
    out += value.slice(last);
    return { ok: true, value: out, secret: tainted };
  }

  private resolveRef(ref: string, section: string): Expanded {
    const dot = ref.indexOf('.');
    if (dot >= 0) {
      const sec = ref.slice(0, dot);
      const name = ref.slice(dot + 1);
      if (sec === '' || !NAME.test(name)) return { ok: false, error: `invalid reference \${${ref}}` };
      const r = this.resolve(sec, name);
      return chain(`\${${ref}}`, r ?? { ok: false, error: `no option ${name} in [${sec}]` }, r !== undefined);
    }
    if (!NAME.test(ref)) return { ok: false, error: `invalid reference \${${ref}}` };
    const r = this.resolve(section, ref) ?? (section === 'DEFAULT' ? undefined : this.resolve('DEFAULT', ref));
    const where = section === 'DEFAULT' ? '[DEFAULT]' : `[${section}] or [DEFAULT]`;
    return chain(`$${ref}`, r ?? { ok: false, error: `no option ${ref} in ${where}` }, r !== undefined);
  }
}

/** Prefixes the error of a referenced option that exists but cannot be expanded itself. */
function chain(ref: string, r: Expanded, found: boolean): Expanded {
  if (r.ok || !found || r.error.startsWith('interpolation loop')) return r;
  return { ok: false, error: `cannot expand ${ref}: ${r.error.replace(/^cannot expand /, '')}` };
}
