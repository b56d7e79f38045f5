/** `ssh` (OpenSSH public key) or `x509` (PEM certificate), Nova's `KEYPAIR_TYPE_*`. */
export type KeyPairType = 'ssh' | 'x509';

/** A `key_pairs` row as plain JSON (DESIGN.md rule 4); datetimes as ISO strings. */
export interface KeyPairRecord {
  id: number;
  name: string;
  user_id: string;
  fingerprint: string;
  public_key: string;
  type: KeyPairType;
  created_at: string | null;
  updated_at: string | null;
}

export interface KeyPairCreate {
  name: string;
  userId: string;
  publicKey: string;
  /** Default `ssh`. */
  type?: KeyPairType;
}

export interface KeyPairListOptions {
  limit?: number;
  /** Name of the last key pair of the previous page. */
  marker?: string;
}
