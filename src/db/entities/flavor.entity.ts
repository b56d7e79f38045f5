import { Column, Entity, Index } from 'typeorm';
import { TimestampedEntity } from './base.entity';

@Entity({ name: 'flavors' })
@Index('uniq_flavors0flavorid', ['flavorid'], { unique: true })
@Index('uniq_flavors0name', ['name'], { unique: true })
export class FlavorEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255 })
  flavorid!: string;

  @Column({ type: 'int' })
  memory_mb!: number;

  @Column({ type: 'int' })
  vcpus!: number;

  @Column({ type: 'int', default: 0 })
  root_gb!: number;

  @Column({ type: 'int', default: 0 })
  ephemeral_gb!: number;

  @Column({ type: 'int', default: 0 })
  swap!: number;

  @Column({ type: 'float', default: 1 })
  rxtx_factor!: number;

  @Column({ type: 'int', nullable: true })
  vcpu_weight!: number | null;

  @Column({ type: 'boolean', width: 1, default: false })
  disabled!: boolean;

  @Column({ type: 'boolean', width: 1, default: true })
  is_public!: boolean;

  @Column({ type: 'text', nullable: true })
  description!: string | null;
}

@Entity({ name: 'flavor_extra_specs' })
@Index('uniq_flavor_extra_specs0flavor_id0key', ['flavor_id', 'key'], { unique: true })
export class FlavorExtraSpecEntity extends TimestampedEntity {
  @Column({ type: 'int' })
  flavor_id!: number;

  @Column({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  value!: string | null;
}

@Entity({ name: 'flavor_projects' })
@Index('uniq_flavor_projects0flavor_id0project_id', ['flavor_id', 'project_id'], { unique: true })
export class FlavorProjectEntity extends TimestampedEntity {
  @Column({ type: 'int' })
  flavor_id!: number;

  @Column({ type: 'varchar', length: 255 })
  project_id!: string;
}

@Entity({ name: 'key_pairs' })
@Index('uniq_key_pairs0user_id0name', ['user_id', 'name'], { unique: true })
export class KeyPairEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 255 })
  user_id!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  fingerprint!: string | null;

  @Column({ type: 'text', nullable: true })
  public_key!: string | null;

  /** `ssh` or `x509` */
  @Column({ type: 'varchar', length: 8, default: 'ssh' })
  type!: string;
}

@Entity({ name: 'quotas' })
@Index('uniq_quotas0project_id0resource', ['project_id', 'resource'], { unique: true })
export class QuotaEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 255 })
  project_id!: string;

  @Column({ type: 'varchar', length: 255 })
  resource!: string;

  @Column({ type: 'int', nullable: true })
  hard_limit!: number | null;
}

@Entity({ name: 'project_user_quotas' })
@Index('uniq_project_user_quotas0user_id0project_id0resource', ['user_id', 'project_id', 'resource'], { unique: true })
export class ProjectUserQuotaEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 255 })
  user_id!: string;

  @Column({ type: 'varchar', length: 255 })
  project_id!: string;

  @Column({ type: 'varchar', length: 255 })
  resource!: string;

  @Column({ type: 'int', nullable: true })
  hard_limit!: number | null;
}

@Entity({ name: 'quota_classes' })
@Index('uniq_quota_classes0class_name0resource', ['class_name', 'resource'], { unique: true })
export class QuotaClassEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 255 })
  class_name!: string;

  @Column({ type: 'varchar', length: 255 })
  resource!: string;

  @Column({ type: 'int', nullable: true })
  hard_limit!: number | null;
}

/** The scheduling request (flavor, image, hints, group, AZ) as JSON, kept for moves and reschedules. */
@Entity({ name: 'request_specs' })
@Index('uniq_request_specs0instance_uuid', ['instance_uuid'], { unique: true })
export class RequestSpecEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 36 })
  instance_uuid!: string;

  @Column({ type: 'text' })
  spec!: string;
}
