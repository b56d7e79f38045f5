import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What one consumer (an instance, or a migration during a move) holds on one compute node:
 * placement's allocations, one row per consumer and node with the three standard resource
 * classes as columns. Claims insert rows inside a transaction that locks the node's row, so
 * two schedulers never overbook a node.
 */
@Entity({ name: 'allocations' })
@Index('uniq_allocations0consumer_uuid0node_uuid', ['consumer_uuid', 'node_uuid'], { unique: true })
@Index('allocations_node_uuid_idx', ['node_uuid'])
export class AllocationEntity {
  @PrimaryGeneratedColumn({ type: 'int' })
  id!: number;

  @Column({ type: 'varchar', length: 36 })
  consumer_uuid!: string;

  /** The compute node's uuid (placement's resource provider). */
  @Column({ type: 'varchar', length: 36 })
  node_uuid!: string;

  @Column({ type: 'int' })
  vcpus!: number;

  @Column({ type: 'int' })
  memory_mb!: number;

  @Column({ type: 'int' })
  disk_gb!: number;

  @Column({ type: 'datetime', nullable: true })
  created_at!: Date | null;
}
