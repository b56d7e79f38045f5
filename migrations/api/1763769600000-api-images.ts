import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** The built-in image service's `images` table (Glance v2 subset). Frozen once merged. */
export class ApiImages1763769600000 implements MigrationInterface {
  name = 'ApiImages1763769600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'images',
      columns: [
        {name: 'id', type: 'varchar', length: '36', isPrimary: true},
        {name: 'name', type: 'varchar', length: '255', isNullable: true},
        {name: 'status', type: 'varchar', length: '30'},
        {name: 'visibility', type: 'varchar', length: '20', default: "'shared'"},
        {name: 'owner', type: 'varchar', length: '255', isNullable: true},
        {name: 'protected', type: 'boolean', default: 0},
        {name: 'os_hidden', type: 'boolean', default: 0},
        {name: 'checksum', type: 'varchar', length: '32', isNullable: true},
        {name: 'os_hash_algo', type: 'varchar', length: '64', isNullable: true},
        {name: 'os_hash_value', type: 'varchar', length: '128', isNullable: true},
        {name: 'size', type: 'bigint', isNullable: true},
        {name: 'virtual_size', type: 'bigint', isNullable: true},
        {name: 'disk_format', type: 'varchar', length: '20', isNullable: true},
        {name: 'container_format', type: 'varchar', length: '20', isNullable: true},
        {name: 'min_disk', type: 'integer', default: 0},
        {name: 'min_ram', type: 'integer', default: 0},
        {name: 'properties', type: 'text', isNullable: true},
        {name: 'tags', type: 'text', isNullable: true},
        {name: 'created_at', type: 'datetime'},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'deleted_at', type: 'datetime', isNullable: true},
        {name: 'deleted', type: 'boolean', default: 0},
      ],
      indices: [
        { name: 'ix_images_owner', columnNames: ['owner'] },
        { name: 'ix_images_deleted', columnNames: ['deleted'] },
        { name: 'ix_images_visibility', columnNames: ['visibility'] },
      ],
    }));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('images');
  }
}
