import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, LessThanOrEqual, MoreThan } from 'typeorm';
import { MAIN_DB } from '../common/tokens';
import { ConsoleAuthTokenEntity } from '../db/entities/move.entity';

/** What a console token grants: the guest console the proxy may connect to (Nova's ConsoleAuthToken fields). */
export interface ConsoleAuthRecord {
  instance_uuid: string;
  console_type: string;
  host: string;
  port: number;
  internal_access_path: string | null;
  access_url_base: string | null;
  /** Epoch seconds; the token is valid while now < expires. */
  expires: number;
}

export type NewConsoleAuth = Omit<ConsoleAuthRecord, 'expires'>;

/** `utils.get_sha256_str`: the hex sha256 of the token, the only form the database ever sees. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function nowTs(): number {
  return Math.floor(Date.now() / 1000);
}

function toRecord(row: ConsoleAuthTokenEntity): ConsoleAuthRecord {
  return {
    instance_uuid: row.instance_uuid, console_type: row.console_type, host: row.host, port: row.port,
    internal_access_path: row.internal_access_path, access_url_base: row.access_url_base, expires: row.expires,
  };
}

/**
 * The `console_auth_tokens` table of the main database. Tokens are random UUIDs (122 random
 * bits, Nova's `uuidutils.generate_uuid`); only their sha256 is stored.
 */
@Injectable()
export class ConsoleAuthTokenStore {
  constructor(@Inject(MAIN_DB) private readonly ds: DataSource) {}

  private get repo() {
    return this.ds.getRepository(ConsoleAuthTokenEntity);
  }

  /** Nova's `ConsoleAuthToken.authorize(ttl)`: a new token valid for `ttlSec` seconds. Drops expired rows on the way. */
  async authorize(c: NewConsoleAuth, ttlSec: number): Promise<{ token: string; record: ConsoleAuthRecord }> {
    const token = randomUUID();
    const now = nowTs();
    const record: ConsoleAuthRecord = { ...c, internal_access_path: c.internal_access_path ?? null, access_url_base: c.access_url_base ?? null, expires: now + ttlSec };
    const stamp = new Date(now * 1000);
    await this.repo.insert({ ...record, token_hash: tokenHash(token), created_at: stamp, updated_at: null });
    await this.deleteExpired();
    return { token, record };
  }

  /** Nova's `ConsoleAuthToken.validate`: the unexpired record of `token`, or null. Does not consume it. */
  async validate(token: string): Promise<ConsoleAuthRecord | null> {
    const row = await this.repo.findOneBy({ token_hash: tokenHash(token), expires: MoreThan(nowTs()) });
    return row ? toRecord(row) : null;
  }

  /**
   * Single use: the unexpired record of `token`, deleted in the same step, or null (unknown,
   * expired, or already used). Of two concurrent callers only one gets the record.
   */
  async consume(token: string): Promise<ConsoleAuthRecord | null> {
    const row = await this.repo.findOneBy({ token_hash: tokenHash(token), expires: MoreThan(nowTs()) });
    if (!row) return null;
    const res = await this.repo.delete({ id: row.id });
    return res.affected ? toRecord(row) : null;
  }

  /** Nova's `clean_console_auths_for_instance`. Returns how many rows went. */
  async deleteForInstance(instanceUuid: string): Promise<number> {
    return (await this.repo.delete({ instance_uuid: instanceUuid })).affected ?? 0;
  }

  /** Nova's `clean_expired_console_auths`. */
  async deleteExpired(): Promise<number> {
    return (await this.repo.delete({ expires: LessThanOrEqual(nowTs()) })).affected ?? 0;
  }
}
