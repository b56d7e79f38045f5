/**
 * Python's repr() and str() of JSON values, as Nova's validation messages print them. Pure.
 * jsonschema words its messages with repr (`'x' is not of type 'integer'`); Nova's prefix
 * `Value: %(value)s` uses str(), which differs from repr only for strings (no quotes).
 */

/** Python's repr() of a JSON value. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'string') return pyStringRepr(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
  return String(v);
}

/** Python's str(): strings as they are, everything else as repr (str of a dict or list is its repr). */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/**
 * JSON.parse cannot tell `1.0` from `1`: safe integers print as Python ints, anything else as
 * a Python float (`0.5`, `1e-05`, `1e+39`).
 */
function pyNumber(v: number): string {
  return Number.isSafeInteger(v) ? String(v) : pyFloatRepr(v);
}

/** Python's repr() of a float: shortest digits, exponent form below 1e-4 and from 1e16. */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const [mantissa, exp] = v.toExponential().split('e');
  const e = Number(exp);
  if (e >= -4 && e < 16) return Number.isInteger(v) ? `${v.toFixed(0)}.0` : String(v);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/** Characters Python's str.isprintable() refuses (other than the space itself). */
const NON_PRINTABLE = /[\p{C}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python 3's unicode repr: single quotes unless the text has ' and no ", then escapes. */
function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x7f || !NON_PRINTABLE.test(ch)) out += ch;
    else if (cp <= 0xff) out += `\\x${hex(cp, 2)}`;
    else if (cp <= 0xffff) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${quote}${out}${quote}`;
}

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, '0');
}

/** Python's sorted() of strings: by code point (JS's default sort compares UTF-16 units). */
export function pySorted(keys: string[]): string[] {
  const points = (s: string) => [...s].map((ch) => ch.codePointAt(0) ?? 0);
  return [...keys].sort((a, b) => {
    const [x, y] = [points(a), points(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
}

/** The JSON type name jsonschema would use for a value. */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'boolean' ? 'boolean' : typeof v === 'string' ? 'string' : 'object';
}
