/** Names and ids Nova derives for new instances. Pure except for the random source. */
import { randomInt } from 'node:crypto';

/** Nova's `utils.sanitize_hostname`: lowercase, space/underscore/dot → '-', other non-word characters dropped, ≤ 63. */
export function sanitizeHostname(name: string, fallback?: string): string {
  const latin1 = [...name].filter((c) => c.charCodeAt(0) <= 0xff).join('');
  let h = latin1.slice(0, 63).replace(/[ _.]/g, '-').replace(/[^\w.-]+/gu, '').toLowerCase();
  h = h.replace(/^[.-]+|[.-]+$/g, '').slice(0, 63);
  if (h === '' && fallback !== undefined) return fallback.slice(0, 63);
  return h;
}

const RESERVATION_CHARS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `r-` and 8 characters of [0-9a-z] (Nova's `utils.generate_uid('r')`). */
export function reservationId(): string {
  let s = 'r-';
  for (let i = 0; i < 8; i++) s += RESERVATION_CHARS[randomInt(RESERVATION_CHARS.length)];
  return s;
}

/** Nova's default password symbols: no look-alike characters (0/O, 1/l/I). */
const PASSWORD_SYMBOLS = ['23456789', 'ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz'];

/** Nova's `utils.generate_password`: at least one of each symbol group, then shuffled. */
export function generatePassword(length: number): string {
  const all = PASSWORD_SYMBOLS.join('');
  const chars = PASSWORD_SYMBOLS.slice(0, Math.min(length, PASSWORD_SYMBOLS.length)).map((g) => g[randomInt(g.length)]);
  while (chars.length < length) chars.push(all[randomInt(all.length)]);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}
