/**
 * The console access URL exactly as Nova builds it (`ConsoleAuthToken.access_url`,
 * nova/objects/console_auth_token.py): for `novnc` the token goes into the `path` query parameter
 * (`?path=%3Ftoken%3D<token>`, noVNC >= 1.1), merged with Python's `parse_qs` / `urlencode(doseq=True)`
 * semantics; every other type appends `?token=<token>` to the base. Pure.
 */

/** `urllib.parse.quote_plus(s, safe='')`: UTF-8, unreserved `A-Za-z0-9_.-~` kept, space as `+`. */
export function quotePlus(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.~-]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `urllib.parse.unquote_plus` (invalid escapes are kept as they are, like Python's). */
export function unquotePlus(s: string): string {
  const bytes: number[] = [];
  const t = s.replace(/\+/g, ' ');
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(t.slice(i + 1, i + 3))) {
      bytes.push(parseInt(t.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(t[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `parse_qs(query)`: `&`-separated, pairs without `=` and blank values dropped, first-seen key order. */
export function parseQs(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const value = part.slice(eq + 1);
    if (value.length === 0) continue;
    const key = unquotePlus(part.slice(0, eq));
    out.set(key, [...(out.get(key) ?? []), unquotePlus(value)]);
  }
  return out;
}

/** `urlencode(params, doseq=True)`. */
export function urlencode(params: Map<string, string | string[]>): string {
  const parts: string[] = [];
  for (const [k, v] of params) {
    for (const value of Array.isArray(v) ? v : [v]) parts.push(`${quotePlus(k)}=${quotePlus(value)}`);
  }
  return parts.join('&');
}

/** Splits like `urlparse` for what matters here: everything before `?`, the query, and `#fragment`. */
function splitUrl(url: string): { base: string; query: string; fragment: string | null } {
  const hash = url.indexOf('#');
  const fragment = hash >= 0 ? url.slice(hash + 1) : null;
  const beforeHash = hash >= 0 ? url.slice(0, hash) : url;
  const q = beforeHash.indexOf('?');
  return q >= 0 ? { base: beforeHash.slice(0, q), query: beforeHash.slice(q + 1), fragment } : { base: beforeHash, query: '', fragment };
}

/** The URL a client opens for a console of `consoleType` with `token`. */
export function consoleAccessUrl(consoleType: string, accessUrlBase: string, token: string): string {
  if (consoleType !== 'novnc') return `${accessUrlBase}?token=${token}`;
  const { base, query, fragment } = splitUrl(accessUrlBase);
  const params = parseQs(query) as Map<string, string | string[]>;
  const path = (params.get('path') as string[] | undefined)?.[0] ?? '';
  params.set('path', `${path}?token=${token}`);
  const encoded = urlencode(params);
  return `${base}${encoded ? `?${encoded}` : ''}${fragment ? `#${fragment}` : ''}`;
}
