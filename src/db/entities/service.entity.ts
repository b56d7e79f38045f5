import { Column, Entity, Index } from 'typeorm';
import { SoftDeleteEntity } from './base.entity';

@Entity({ name: 'services' })
@Index('uniq_services0host0binary0deleted', ['host', 'binary', 'deleted'], { unique: true })
@Index('uniq_services0host0topic0deleted', ['host', 'topic', 'deleted'], { unique: true })
@Index('services_uuid_idx', ['uuid'], { unique: true })
export class ServiceEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ type: 'varchar', length: 255 })
  host!: string;

  @Column({ type: 'varchar', length: 255 })
  binary!: string;

  @Column({ type: 'varchar', length: 255, nullable: true })
  topic!: string | null;

  @Column({ type: 'int', default: 0 })
  report_count!: number;

  @Column({ type: 'boolean', width: 1, default: false })
  disabled!: boolean;

  @Column({ type: 'varchar', length: 255, nullable: true })
  disabled_reason!: string | null;

  @Column({ type: 'datetime', nullable: true })
  last_seen_up!: Date | null;

  @Column({ type: 'boolean', width: 1, default: false })
  forced_down!: boolean;

  @Column({ type: 'int', default: 0 })
  version!: number;
}

@Entity({ name: 'compute_nodes' })
@Index('uniq_compute_nodes0host0hypervisor_hostname0deleted', ['host', 'hypervisor_hostname', 'deleted'], { unique: true })
@Index('compute_nodes_uuid_idx', ['uuid'], { unique: true })
export class ComputeNodeEntity extends SoftDeleteEntity {
  @Column({ type: 'varchar', length: 36 })
  uuid!: string;

  @Column({ type: 'int', nullable: true })
  service_id!: number | null;

  @Column({ type: 'varchar', length: 255 })
  host!: string;

  @Column({ type: 'varchar', length: 255 })
  hypervisor_hostname!: string;

  @Column({ type: 'varchar', length: 255 })
  hypervisor_type!: string;

  @Column({ type: 'int', default: 0 })
  hypervisor_version!: number;

  @Column({ type: 'int' })
  vcpus!: number;

  @Column({ type: 'int' })
  memory_mb!: number;

  @Column({ type: 'int' })
  local_gb!: number;

  @Column({ type: 'int', default: 0 })
  vcpus_used!: number;

  @Column({ type: 'int', default: 0 })
  memory_mb_used!: number;

  @Column({ type: 'int', default: 0 })
  local_gb_used!: number;

  @Column({ type: 'int', nullable: true })
  free_ram_mb!: number | null;

  @Column({ type: 'int', nullable: true })
  free_disk_gb!: number | null;

  @Column({ type: 'int', nullable: true })
  disk_available_least!: number | null;

  @Column({ type: 'int', nullable: true })
  current_workload!: number | null;

  @Column({ type: 'int', nullable: true })
  running_vms!: number | null;

  @Column({ type: 'varchar', length: 39, nullable: true })
  host_ip!: string | null;

  @Column({ type: 'text', nullable: true })
  cpu_info!: string | null;

  @Column({ type: 'text', nullable: true })
  supported_instances!: string | null;

  @Column({ type: 'text', nullable: true })
  stats!: string | null;

  @Column({ type: 'float', nullable: true })
  cpu_allocation_ratio!: number | null;

  @Column({ type: 'float', nullable: true })
  ram_allocation_ratio!: number | null;

  @Column({ type: 'float', nullable: true })
  disk_allocation_ratio!: number | null;
}
