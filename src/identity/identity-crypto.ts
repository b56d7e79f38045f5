/**
 * Password hashing and token ids of the built-in identity service.
 * - Passwords: scrypt (node:crypto) with a random 16-byte salt per hash, stored as
 *   `scrypt$N$r$p$<salt base64>$<hash base64>`; verification is constant-time.
 * - Tokens: 32 random bytes, base64url (43 characters); only their sha256 is stored.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LEN = 64;

function scryptAsync(password: string, salt: Buffer, n: number, r: number, p: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, len, { N: n, r, p, maxmem: 256 * n * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, N, R, P, KEY_LEN);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** A hash no password matches, to spend the same time on unknown users as on known ones. */
const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEY_LEN).toString('base64')}`;

/** Whether `password` matches `stored`; a null or malformed hash matches nothing (after the same work). */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? DUMMY_HASH).split('$');
  const valid = parts.length === 6 && parts[0] === 'scrypt';
  const [n, r, p] = valid ? parts.slice(1, 4).map(Number) : [N, R, P];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20 || r > 32 || p > 16) return false;
  const salt = Buffer.from(valid ? parts[4] : '', 'base64');
  const expected = Buffer.from(valid ? parts[5] : '', 'base64');
  const key = await scryptAsync(password, salt, n, r, p, expected.length || KEY_LEN);
  return valid && stored !== null && expected.length === key.length && timingSafeEqual(expected, key);
}

export function newTokenId(): string {
  return randomBytes(32).toString('base64url');
}

export function tokenHash(tokenId: string): string {
  return createHash('sha256').update(tokenId, 'utf8').digest('hex');
}

/** Keystone-style ids: 32 lower-case hex characters. */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

/** A short audit id (Keystone's are 22 characters of urlsafe base64). */
export function newAuditId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}
