import { DataSource, Repository } from 'typeorm';
import { Conflict, Invalid, NotFound } from '../../common/errors';
import { fingerprintOf, fingerprintOfX509 } from '../../common/ssh-keys';
import { KeyPairCreate, KeyPairListOptions, KeyPairRecord, KeyPairType } from '../../objects/keypair.object';
import { KeyPairEntity } from '../entities';
import { isoOrNull, uniqueViolation } from '../db-helpers';
import { nowSeconds } from './service.repository';

/** Key pairs, per user (Nova's `KeyPair` / `KeyPairList` on the API database). */
export class KeyPairRepository {
  private readonly repo: Repository<KeyPairEntity>;

  constructor(ds: DataSource) {
    this.repo = ds.getRepository(KeyPairEntity);
  }

  /**
   * Stores a key pair; the fingerprint is computed here (and so the key validated: Invalid
   * "Keypair data is invalid: ..."). The unique key (user_id, name) decides duplicates, races included.
   */
  async create(input: KeyPairCreate): Promise<KeyPairRecord> {
    const type: KeyPairType = input.type ?? 'ssh';
    const fingerprint = type === 'x509' ? fingerprintOfX509(input.publicKey) : fingerprintOf(input.publicKey);
    let id: number;
    try {
      const result = await this.repo.insert({
        name: input.name, user_id: input.userId, fingerprint, public_key: input.publicKey, type,
        created_at: nowSeconds(), updated_at: null,
      });
      id = Number(result.identifiers[0].id);
    } catch (err) {
      if (uniqueViolation(err) !== null) throw new Conflict(`Key pair '${input.name}' already exists.`);
      throw err;
    }
    return toRecord(await this.repo.findOneByOrFail({ id }));
  }

  async get(userId: string, name: string): Promise<KeyPairRecord> {
    const row = await this.repo.findOneBy({ user_id: userId, name });
    if (!row) throw new NotFound(`Keypair ${name} not found for user ${userId}`);
    return toRecord(row);
  }

  /**
   * The user's key pairs sorted by name; `marker` is the last name of the previous page. An
   * unknown marker is Nova's MarkerNotFound, which the keypairs API answers with 400.
   */
  async list(userId: string, opts: KeyPairListOptions = {}): Promise<KeyPairRecord[]> {
    const qb = this.repo.createQueryBuilder('k').where('k.user_id = :userId', { userId });
    if (opts.marker !== undefined) {
      const marker = await this.repo.findOneBy({ user_id: userId, name: opts.marker });
      if (!marker) throw new Invalid(`Marker ${opts.marker} could not be found.`);
      qb.andWhere('(k.name > :markerName OR (k.name = :markerName AND k.id > :markerId))', { markerName: marker.name, markerId: marker.id });
    }
    qb.orderBy('k.name', 'ASC').addOrderBy('k.id', 'ASC');
    if (opts.limit !== undefined && opts.limit <= 0) return [];
    if (opts.limit !== undefined) qb.limit(opts.limit);
    return (await qb.getMany()).map(toRecord);
  }

  async delete(userId: string, name: string): Promise<void> {
    const result = await this.repo.delete({ user_id: userId, name });
    if (!result.affected) throw new NotFound(`Keypair ${name} not found for user ${userId}`);
  }

  /** What the `key_pairs` quota counts (per user). */
  async countForUser(userId: string): Promise<number> {
    return this.repo.countBy({ user_id: userId });
  }
}

function toRecord(row: KeyPairEntity): KeyPairRecord {
  return {
    id: row.id,
    name: row.name,
    user_id: row.user_id,
    fingerprint: row.fingerprint ?? '',
    public_key: row.public_key ?? '',
    type: row.type === 'x509' ? 'x509' : 'ssh',
    created_at: isoOrNull(row.created_at),
    updated_at: isoOrNull(row.updated_at),
  };
}
