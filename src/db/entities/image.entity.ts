import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Images of the built-in image service (a subset of Glance v2), in the API database. As Glance's
 * `images` table: the uuid is the primary key; `deleted` is a boolean soft delete. Custom
 * properties and tags are JSON text.
 */
@Entity({ name: 'images' })
@Index('ix_images_owner', ['owner'])
@Index('ix_images_deleted', ['deleted'])
@Index('ix_images_visibility', ['visibility'])
export class ImageEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  /** queued, saving, active, killed, deleted */
  @Column({ type: 'varchar', length: 30 })
  status!: string;

  /** public, private, shared, community */
  @Column({ type: 'varchar', length: 20, default: 'shared' })
  visibility!: string;

  /** The owning project. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  owner!: string | null;

  @Column({ type: 'boolean', width: 1, default: false })
  protected!: boolean;

  @Column({ type: 'boolean', width: 1, default: false })
  os_hidden!: boolean;

  @Column({ type: 'varchar', length: 32, nullable: true })
  checksum!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  os_hash_algo!: string | null;

  @Column({ type: 'varchar', length: 128, nullable: true })
  os_hash_value!: string | null;

  @Column({ type: 'bigint', nullable: true })
  size!: string | number | null;

  @Column({ type: 'bigint', nullable: true })
  virtual_size!: string | number | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  disk_format!: string | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  container_format!: string | null;

  @Column({ type: 'int', default: 0 })
  min_disk!: number;

  @Column({ type: 'int', default: 0 })
  min_ram!: number;

  /** Custom properties, a JSON object of strings. */
  @Column({ type: 'text', nullable: true })
  properties!: string | null;

  /** A JSON array of strings. */
  @Column({ type: 'text', nullable: true })
  tags!: string | null;

  @Column({ type: 'datetime' })
  created_at!: Date;

  @Column({ type: 'datetime', nullable: true })
  updated_at!: Date | null;

  @Column({ type: 'datetime', nullable: true })
  deleted_at!: Date | null;

  @Column({ type: 'boolean', width: 1, default: false })
  deleted!: boolean;
}
