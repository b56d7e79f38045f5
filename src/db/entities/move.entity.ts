import { Column, Entity, Index } from 'typeorm';
import { SoftDeleteEntity, TimestampedEntity } from './base.entity';

@Entity({ name: 'migrations' })
@Index('migrations_instance_uuid_and_status_idx', ['deleted', 'instance_uuid', 'status'])
@Index('migrations_uuid', ['uuid'], { unique: true })
export class MigrationEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ type: 'varchar', length: 36 })
  instance_uuid!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  source_compute!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  dest_compute!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  source_node!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  dest_node!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  dest_host!: string | null;

  @Column({ type: 'int', nullable: true })
  old_instance_type_id!: number | null;

  @Column({ type: 'int', nullable: true })
  new_instance_type_id!: number | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  status!: string | null;

  /** migration, resize, live-migration, evacuation */
  @Column({ type: 'varchar', length: 32 })
  migration_type!: string;

  @Column({ type: 'boolean', width: 1, default: false })
  hidden!: boolean;

  @Column({ type: 'bigint', nullable: true })
  memory_total!: string | null;

  @Column({ type: 'bigint', nullable: true })
  memory_processed!: string | null;

  @Column({ type: 'bigint', nullable: true })
  memory_remaining!: string | null;

  @Column({ type: 'bigint', nullable: true })
  disk_total!: string | null;

  @Column({ type: 'bigint', nullable: true })
  disk_processed!: string | null;

  @Column({ type: 'bigint', nullable: true })
  disk_remaining!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  user_id!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  project_id!: string | null;
}

@Entity({ name: 'block_device_mapping' })
@Index('block_device_mapping_instance_uuid_idx', ['instance_uuid'])
@Index('uniq_block_device_mapping0uuid', ['uuid'], { unique: true })
export class BlockDeviceMappingEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ type: 'varchar', length: 36 })
  instance_uuid!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  device_name!: string | null;

  @Column({ type: 'boolean', width: 1, default: false })
  delete_on_termination!: boolean;

  /** image, volume, snapshot, blank */
  @Column({ type: 'varchar', length: 255, nullable: true })
  source_type!: string | null;

  /** local, volume */
  @Column({ type: 'varchar', length: 255, nullable: true })
  destination_type!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  guest_format!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  device_type!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  disk_bus!: string | null;

  @Column({ type: 'int', nullable: true })
  boot_index!: number | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  image_id!: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  snapshot_id!: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  volume_id!: string | null;

  @Column({ type: 'int', nullable: true })
  volume_size!: number | null;

  @Column({ type: 'boolean', width: 1, default: false })
  no_device!: boolean;

  @Column({ type: 'text', nullable: true })
  connection_info!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  tag!: string | null;

  @Column({ type: 'varchar', length: 36, nullable: true })
  attachment_id!: string | null;
}

/** Console tokens: only the sha256 of the token is stored; rows expire at `expires` (epoch seconds). */
@Entity({ name: 'console_auth_tokens' })
@Index('console_auth_tokens_token_hash_idx', ['token_hash'], { unique: true })
@Index('console_auth_tokens_instance_uuid_idx', ['instance_uuid'])
@Index('console_auth_tokens_host_expires_idx', ['host', 'expires'])
export class ConsoleAuthTokenEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 255 })
  token_hash!: string;

  @Column({ type: 'varchar', length: 255 })
  console_type!: string;

  @Column({ type: 'varchar', length: 255 })
  host!: string;

  @Column({ type: 'int' })
  port!: number;

  @Column({ type: 'varchar', length: 255, nullable: true })
  internal_access_path!: string | null;

  @Column({ type: 'varchar', length: 36 })
  instance_uuid!: string;

  @Column({ type: 'int' })
  expires!: number;

  @Column({ type: 'varchar', length: 255, nullable: true })
  access_url_base!: string | null;
}
