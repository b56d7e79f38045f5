import { Column, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Columns shared by Nova's tables. Timestamps are written by the repositories (UTC, second
 * precision, as Nova does), not by database defaults, so both engines store the same values.
 */
export abstract class TimestampedEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'datetime', nullable: true })
  created_at!: Date | null;

  @Column({ type: 'datetime', nullable: true })
  updated_at!: Date | null;
}

/**
 * Nova's soft delete: `deleted` is 0 for a live row and the row's id once deleted, so unique
 * constraints that include `deleted` allow a name to be reused after a delete.
 */
export abstract class SoftDeleteEntity extends TimestampedEntity {
  @Column({ type: 'datetime', nullable: true })
  deleted_at!: Date | null;

  @Column({ type: 'int', default: 0 })
  deleted!: number;
}
