import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Allocations per consumer and compute node (placement's job, done in the main database). Frozen once merged. */
export class MainAllocations1763942400000 implements MigrationInterface {
  name = 'MainAllocations1763942400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'allocations',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'consumer_uuid', type: 'varchar', length: '36'},
        {name: 'node_uuid', type: 'varchar', length: '36'},
        {name: 'vcpus', type: 'integer'},
        {name: 'memory_mb', type: 'integer'},
        {name: 'disk_gb', type: 'integer'},
        {name: 'created_at', type: 'datetime', isNullable: true},
      ],
      indices: [
        { name: 'uniq_allocations0consumer_uuid0node_uuid', columnNames: ['consumer_uuid', 'node_uuid'], isUnique: true },
        { name: 'allocations_node_uuid_idx', columnNames: ['node_uuid'] },
      ],
    }));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('allocations');
  }
}
