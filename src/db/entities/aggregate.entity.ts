import { Column, Entity, Index } from 'typeorm';
import { TimestampedEntity } from './base.entity';

@Entity({ name: 'aggregates' })
@Index('uniq_aggregate0name', ['name'], { unique: true })
@Index('aggregate_uuid_idx', ['uuid'], { unique: true })
export class AggregateEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;
}

@Entity({ name: 'aggregate_hosts' })
@Index('uniq_aggregate_hosts0host0aggregate_id', ['host', 'aggregate_id'], { unique: true })
export class AggregateHostEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 255 })
  host!: string;

  @Column({ type: 'int' })
  aggregate_id!: number;
}

@Entity({ name: 'aggregate_metadata' })
@Index('uniq_aggregate_metadata0aggregate_id0key', ['aggregate_id', 'key'], { unique: true })
@Index('aggregate_metadata_key_idx', ['key'])
export class AggregateMetadataEntity extends TimestampedEntity {
  @Column({ type: 'int' })
  aggregate_id!: number;

  @Column({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'varchar', length: 255 })
  value!: string;
}

@Entity({ name: 'instance_groups' })
@Index('uniq_instance_groups0uuid', ['uuid'], { unique: true })
export class InstanceGroupEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  user_id!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  project_id!: string | null;
}

@Entity({ name: 'instance_group_policy' })
@Index('instance_group_policy_policy_idx', ['policy'])
@Index('instance_group_policy_group_id_idx', ['group_id'])
export class InstanceGroupPolicyEntity extends TimestampedEntity {
  /** affinity, anti-affinity, soft-affinity, soft-anti-affinity */
  @Column({ type: 'varchar', length: 255, nullable: true })
  policy!: string | null;

  @Column({ type: 'int' })
  group_id!: number;

  /** JSON, e.g. {"max_server_per_host": 2} */
  @Column({ type: 'text', nullable: true })
  rules!: string | null;
}

@Entity({ name: 'instance_group_member' })
@Index('uniq_instance_group_member0group_id0instance_uuid', ['group_id', 'instance_uuid'], { unique: true })
@Index('instance_group_member_instance_idx', ['instance_uuid'])
export class InstanceGroupMemberEntity extends TimestampedEntity {
  @Column({ type: 'varchar', length: 255, nullable: true })
  instance_uuid!: string | null;

  @Column({ type: 'int' })
  group_id!: number;
}
