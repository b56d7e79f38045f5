import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { SoftDeleteEntity } from './base.entity';

@Entity({ name: 'instances' })
@Index('uniq_instances0uuid', ['uuid'], { unique: true })
@Index('instances_project_id_deleted_idx', ['project_id', 'deleted'])
@Index('instances_host_deleted_idx', ['host', 'deleted'])
@Index('instances_reservation_id_idx', ['reservation_id'])
@Index('instances_updated_at_idx', ['updated_at'])
export class InstanceEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  display_name!: string | null;

  @Column({ type: 'text', nullable: true })
  display_description!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  hostname!: string | null;

  @Column({ type: 'varchar', length: 255 })
  project_id!: string;

  @Column({ type: 'varchar', length: 255 })
  user_id!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  vm_state!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  task_state!: string | null;

  @Column({ type: 'int', default: 0 })
  power_state!: number;

  @Column({ type: 'varchar', length: 255, nullable: true })
  host!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  node!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  launched_on!: string | null;

  @Column({ type: 'datetime', nullable: true })
  scheduled_at!: Date | null;

  @Column({ type: 'datetime', nullable: true })
  launched_at!: Date | null;

  @Column({ type: 'datetime', nullable: true })
  terminated_at!: Date | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  image_ref!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  kernel_id!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  ramdisk_id!: string | null;

  @Column({ type: 'int', nullable: true })
  instance_type_id!: number | null;

  /** JSON snapshot of the flavor at boot (and old/new during a resize): {cur, old, new}. */
  @Column({ type: 'text', nullable: true })
  flavor!: string | null;

  @Column({ type: 'int', nullable: true })
  memory_mb!: number | null;

  @Column({ type: 'int', nullable: true })
  vcpus!: number | null;

  @Column({ type: 'int', nullable: true })
  root_gb!: number | null;

  @Column({ type: 'int', nullable: true })
  ephemeral_gb!: number | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  key_name!: string | null;

  @Column({ type: 'text', nullable: true })
  key_data!: string | null;

  /** Base64 user data, at most 65535 bytes as Nova's API enforces. */
  @Column({ type: 'text', nullable: true })
  user_data!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  availability_zone!: string | null;

  @Column({ type: 'varchar', length: 255 })
  reservation_id!: string;

  @Column({ type: 'int', default: 0 })
  launch_index!: number;

  @Column({ type: 'boolean', width: 1, default: false })
  locked!: boolean;

  /** `owner` or `admin`, as Nova's locked_by. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  locked_by!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  locked_reason!: string | null;

  @Column({ type: 'varchar', length: 39, nullable: true })
  access_ip_v4!: string | null;

  @Column({ type: 'varchar', length: 39, nullable: true })
  access_ip_v6!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  config_drive!: string | null;

  @Column({ type: 'int', nullable: true })
  progress!: number | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  root_device_name!: string | null;

  @Column({ type: 'boolean', width: 1, default: false })
  auto_disk_config!: boolean;

  @Column({ type: 'boolean', width: 1, default: false })
  shutdown_terminate!: boolean;

  @Column({ type: 'boolean', width: 1, default: false })
  disable_terminate!: boolean;

  @Column({ type: 'int', default: 0 })
  cleaned!: number;

  @Column({ type: 'boolean', width: 1, default: false })
  hidden!: boolean;
}

@Entity({ name: 'instance_metadata' })
@Index('instance_metadata_instance_uuid_idx', ['instance_uuid'])
export class InstanceMetadataEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 36 })
  instance_uuid!: string;

  @Column({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  value!: string | null;
}

@Entity({ name: 'instance_system_metadata' })
@Index('instance_system_metadata_instance_uuid_idx', ['instance_uuid'])
export class InstanceSystemMetadataEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 36 })
  instance_uuid!: string;

  @Column({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'text', nullable: true })
  value!: string | null;
}

@Entity({ name: 'tags' })
@Index('tags_tag_idx', ['tag'])
export class TagEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  resource_id!: string;

  @PrimaryColumn({ type: 'varchar', length: 80 })
  tag!: string;
}

@Entity({ name: 'instance_faults' })
@Index('instance_faults_instance_uuid_idx', ['instance_uuid'])
export class InstanceFaultEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 36 })
  instance_uuid!: string;

  @Column({ type: 'int' })
  code!: number;

  @Column({ type: 'varchar', length: 255, nullable: true })
  message!: string | null;

  @Column({ type: 'text', nullable: true })
  details!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  host!: string | null;
}

@Entity({ name: 'instance_actions' })
@Index('instance_uuid_idx', ['instance_uuid'])
@Index('request_id_idx', ['request_id'])
export class InstanceActionEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 255 })
  action!: string;

  @Column({ type: 'varchar', length: 36 })
  instance_uuid!: string;

  @Column({ type: 'varchar', length: 255 })
  request_id!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  user_id!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  project_id!: string | null;

  @Column({ type: 'datetime', nullable: true })
  start_time!: Date | null;

  @Column({ type: 'datetime', nullable: true })
  finish_time!: Date | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  message!: string | null;
}

@Entity({ name: 'instance_actions_events' })
@Index('instance_actions_events_action_id_idx', ['action_id'])
export class InstanceActionEventEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 255 })
  event!: string;

  @Column({ type: 'int' })
  action_id!: number;

  @Column({ type: 'datetime', nullable: true })
  start_time!: Date | null;

  @Column({ type: 'datetime', nullable: true })
  finish_time!: Date | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  result!: string | null;

  @Column({ type: 'text', nullable: true })
  traceback!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  host!: string | null;

  @Column({ type: 'text', nullable: true })
  details!: string | null;
}
