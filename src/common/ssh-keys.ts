/**
 * SSH key pairs and fingerprints, as `nova/crypto.py` does them, with node:crypto only.
 * - generated key pairs: RSA (private key in traditional `BEGIN RSA PRIVATE KEY` PEM, as paramiko
 *   writes it) or Ed25519 (OpenSSH's `BEGIN OPENSSH PRIVATE KEY` format, the only one ssh reads);
 * - fingerprints: MD5 of the public key blob (ssh) or SHA-1 of the DER certificate (x509), as
 *   lowercase hex pairs joined by ':';
 * - imported public keys are parsed and checked as `cryptography`'s `load_ssh_public_key` does.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { Invalid } from './errors';

export type GeneratedKeyType = 'rsa' | 'ed25519';

export interface GeneratedKeyPair {
  /** `ssh-rsa AAAA... Generated-by-Nova` (one line, no newline). */
  publicKey: string;
  /** PEM text ending in a newline. */
  privateKey: string;
  fingerprint: string;
}

export interface ParsedSshPublicKey {
  /** `ssh-rsa`, `ssh-ed25519`, `ecdsa-sha2-nistp256`, ... */
  type: string;
  /** The decoded key blob (what the fingerprint hashes). */
  blob: Buffer;
  comment: string;
}

const COMMENT = 'Generated-by-Nova';
const ECDSA_CURVES: Record<string, { oid: string; jwk: string }> = {
  nistp256: { oid: '2a8648ce3d030107', jwk: 'P-256' },
  nistp384: { oid: '2b81040022', jwk: 'P-384' },
  nistp521: { oid: '2b81040023', jwk: 'P-521' },
};
const OID_EC_PUBLIC_KEY = '2a8648ce3d0201';
const OID_DSA = '2a8648ce380401';

export function generateKeyPair(type: GeneratedKeyType = 'rsa', rsaBits = 2048): GeneratedKeyPair {
  if (type === 'rsa') {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: rsaBits, publicExponent: 65537 });
    const jwk = publicKey.export({ format: 'jwk' });
    const blob = Buffer.concat([sshString('ssh-rsa'), sshMpint(b64url(jwk.e)), sshMpint(b64url(jwk.n))]);
    const pub = `ssh-rsa ${blob.toString('base64')} ${COMMENT}`;
    return { publicKey: pub, privateKey: String(privateKey.export({ type: 'pkcs1', format: 'pem' })), fingerprint: md5Fingerprint(blob) };
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pubBytes = b64url(jwk.x);
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(pubBytes)]);
  return {
    publicKey: `ssh-ed25519 ${blob.toString('base64')} ${COMMENT}`,
    privateKey: openSshEd25519PrivateKey(blob, pubBytes, b64url(jwk.d), COMMENT),
    fingerprint: md5Fingerprint(blob),
  };
}

/** Nova's `generate_fingerprint`: validates the key, then MD5 of its blob. */
export function fingerprintOf(publicKey: string): string {
  return md5Fingerprint(parseSshPublicKey(publicKey).blob);
}

/** Nova's `generate_x509_fingerprint`: SHA-1 of the DER certificate. */
export function fingerprintOfX509(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint.toLowerCase();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Invalid(`Keypair data is invalid: failed to generate X509 fingerprint. Error message: ${why}`);
  }
}

/** Parses `<type> <base64> [comment]` and checks the key inside; Invalid on any fault. */
export function parseSshPublicKey(text: string): ParsedSshPublicKey {
  try {
    return parseOrThrow(text);
  } catch {
    throw new Invalid('Keypair data is invalid: failed to generate fingerprint');
  }
}

function parseOrThrow(text: string): ParsedSshPublicKey {
  const m = /^(\S+)[ \t]+(\S+)(?:[ \t]+(.*?))?\s*$/s.exec(text);
  if (!m || !/^[A-Za-z0-9+/]+={0,2}$/.test(m[2]) || m[2].length % 4 !== 0) throw new Error('bad line');
  const type = m[1];
  const blob = Buffer.from(m[2], 'base64');
  const r = new SshReader(blob);
  if (r.string().toString('latin1') !== type) throw new Error('key type mismatch');
  if (type === 'ssh-rsa') {
    const e = r.mpint();
    const n = r.mpint();
    checkRsa(e, n);
    createPublicKey({ key: { kty: 'RSA', e: e.toString('base64url'), n: n.toString('base64url') }, format: 'jwk' });
  } else if (type === 'ssh-ed25519') {
    const x = r.string();
    if (x.length !== 32) throw new Error('bad ed25519 key');
    createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url') }, format: 'jwk' });
  } else if (type.startsWith('ecdsa-sha2-')) {
    const curve = ECDSA_CURVES[type.slice('ecdsa-sha2-'.length)];
    if (!curve || r.string().toString('latin1') !== type.slice('ecdsa-sha2-'.length)) throw new Error('bad curve');
    const point = r.string();
    const algo = der(0x30, Buffer.from(`06${hexLen(OID_EC_PUBLIC_KEY)}06${hexLen(curve.oid)}`, 'hex'));
    createPublicKey({ key: der(0x30, Buffer.concat([algo, der(0x03, Buffer.concat([Buffer.of(0), point]))])), format: 'der', type: 'spki' });
  } else if (type === 'ssh-dss') {
    const [p, q, g, y] = [r.mpint(), r.mpint(), r.mpint(), r.mpint()];
    if (![1024, 2048, 3072, 4096].includes(bitLength(p)) || ![160, 224, 256].includes(bitLength(q))) throw new Error('bad dsa sizes');
    const params = der(0x30, Buffer.concat([derInt(p), derInt(q), derInt(g)]));
    const algo = der(0x30, Buffer.concat([Buffer.from(`06${hexLen(OID_DSA)}`, 'hex'), params]));
    createPublicKey({ key: der(0x30, Buffer.concat([algo, der(0x03, Buffer.concat([Buffer.of(0), derInt(y)]))])), format: 'der', type: 'spki' });
  } else {
    throw new Error(`unsupported key type ${type}`);
  }
  if (!r.done()) throw new Error('extra data after key');
  return { type, blob, comment: m[3] ?? '' };
}

/** `cryptography`'s RSA public number checks. */
function checkRsa(e: Buffer, n: Buffer): void {
  const ev = BigInt(`0x${e.toString('hex') || '0'}`);
  const nv = BigInt(`0x${n.toString('hex') || '0'}`);
  if (nv < 3n || ev < 3n || ev >= nv || (ev & 1n) === 0n) throw new Error('bad rsa numbers');
}

function md5Fingerprint(blob: Buffer): string {
  return colonHex(createHash('md5').update(blob).digest('hex'));
}

function colonHex(hex: string): string {
  return hex.match(/../g)!.join(':');
}

/** OpenSSH's `openssh-key-v1` private key, unencrypted, wrapped at 70 columns like ssh-keygen. */
function openSshEd25519PrivateKey(pubBlob: Buffer, pub: Buffer, seed: Buffer, comment: string): string {
  const check = randomBytes(4);
  let priv = Buffer.concat([
    check, check, sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment),
  ]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'), sshString('none'), sshString('none'), sshString(''),
    uint32(1), sshString(pubBlob), sshString(priv),
  ]).toString('base64');
  const lines = body.match(/.{1,70}/g)!.join('\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

// ---- SSH wire format ----

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function sshString(v: string | Buffer): Buffer {
  const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
  return Buffer.concat([uint32(b.length), b]);
}

/** Unsigned big-endian magnitude as an SSH mpint (leading zero byte when the high bit is set). */
function sshMpint(mag: Buffer): Buffer {
  let i = 0;
  while (i < mag.length && mag[i] === 0) i++;
  const v = mag.subarray(i);
  return sshString(v.length > 0 && v[0] & 0x80 ? Buffer.concat([Buffer.of(0), v]) : v);
}

function b64url(s: string | undefined): Buffer {
  if (s === undefined) throw new Error('missing key component');
  return Buffer.from(s, 'base64url');
}

class SshReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  string(): Buffer {
    if (this.pos + 4 > this.buf.length) throw new Error('truncated');
    const len = this.buf.readUInt32BE(this.pos);
    const start = this.pos + 4;
    if (start + len > this.buf.length) throw new Error('truncated');
    this.pos = start + len;
    return this.buf.subarray(start, start + len);
  }

  /** A non-negative mpint, returned as its magnitude without leading zeros. */
  mpint(): Buffer {
    const v = this.string();
    if (v.length > 0 && v[0] & 0x80) throw new Error('negative mpint');
    let i = 0;
    while (i < v.length && v[i] === 0) i++;
    return v.subarray(i);
  }

  done(): boolean {
    return this.pos === this.buf.length;
  }
}

// ---- minimal DER, enough to hand ECDSA and DSA keys to node:crypto as SPKI ----

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.of(n);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.of(tag), len, body]);
}

function derInt(mag: Buffer): Buffer {
  const v = mag.length === 0 ? Buffer.of(0) : mag[0] & 0x80 ? Buffer.concat([Buffer.of(0), mag]) : mag;
  return der(0x02, v);
}

function hexLen(hex: string): string {
  return (hex.length / 2).toString(16).padStart(2, '0') + hex;
}

function bitLength(mag: Buffer): number {
  return mag.length === 0 ? 0 : (mag.length - 1) * 8 + (32 - Math.clz32(mag[0]));
}
