import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** Frozen: the first schema. Never edit a merged migration; add a new one. */
export class ApiInitialSchema1763683200000 implements MigrationInterface {
  name = 'ApiInitialSchema1763683200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'aggregates',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'uuid', type: 'varchar', length: '36'},
        {name: 'name', type: 'varchar', length: '255'},
      ],
      indices: [
        { name: 'aggregate_uuid_idx', columnNames: ['uuid'], isUnique: true },
        { name: 'uniq_aggregate0name', columnNames: ['name'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'aggregate_hosts',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'host', type: 'varchar', length: '255'},
        {name: 'aggregate_id', type: 'integer'},
      ],
      indices: [
        { name: 'uniq_aggregate_hosts0host0aggregate_id', columnNames: ['host', 'aggregate_id'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'aggregate_metadata',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'aggregate_id', type: 'integer'},
        {name: 'key', type: 'varchar', length: '255'},
        {name: 'value', type: 'varchar', length: '255'},
      ],
      indices: [
        { name: 'aggregate_metadata_key_idx', columnNames: ['key'] },
        { name: 'uniq_aggregate_metadata0aggregate_id0key', columnNames: ['aggregate_id', 'key'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'instance_groups',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'uuid', type: 'varchar', length: '36'},
        {name: 'name', type: 'varchar', length: '255', isNullable: true},
        {name: 'user_id', type: 'varchar', length: '255', isNullable: true},
        {name: 'project_id', type: 'varchar', length: '255', isNullable: true},
      ],
      indices: [
        { name: 'uniq_instance_groups0uuid', columnNames: ['uuid'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'instance_group_policy',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'policy', type: 'varchar', length: '255', isNullable: true},
        {name: 'group_id', type: 'integer'},
        {name: 'rules', type: 'text', isNullable: true},
      ],
      indices: [
        { name: 'instance_group_policy_group_id_idx', columnNames: ['group_id'] },
        { name: 'instance_group_policy_policy_idx', columnNames: ['policy'] },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'instance_group_member',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'instance_uuid', type: 'varchar', length: '255', isNullable: true},
        {name: 'group_id', type: 'integer'},
      ],
      indices: [
        { name: 'instance_group_member_instance_idx', columnNames: ['instance_uuid'] },
        { name: 'uniq_instance_group_member0group_id0instance_uuid', columnNames: ['group_id', 'instance_uuid'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'flavors',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'name', type: 'varchar', length: '255'},
        {name: 'flavorid', type: 'varchar', length: '255'},
        {name: 'memory_mb', type: 'integer'},
        {name: 'vcpus', type: 'integer'},
        {name: 'root_gb', type: 'integer', default: 0},
        {name: 'ephemeral_gb', type: 'integer', default: 0},
        {name: 'swap', type: 'integer', default: 0},
        {name: 'rxtx_factor', type: 'float', default: 1},
        {name: 'vcpu_weight', type: 'integer', isNullable: true},
        {name: 'disabled', type: 'boolean', default: 0},
        {name: 'is_public', type: 'boolean', default: 1},
        {name: 'description', type: 'text', isNullable: true},
      ],
      indices: [
        { name: 'uniq_flavors0name', columnNames: ['name'], isUnique: true },
        { name: 'uniq_flavors0flavorid', columnNames: ['flavorid'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'flavor_extra_specs',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'flavor_id', type: 'integer'},
        {name: 'key', type: 'varchar', length: '255'},
        {name: 'value', type: 'varchar', length: '255', isNullable: true},
      ],
      indices: [
        { name: 'uniq_flavor_extra_specs0flavor_id0key', columnNames: ['flavor_id', 'key'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'flavor_projects',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'flavor_id', type: 'integer'},
        {name: 'project_id', type: 'varchar', length: '255'},
      ],
      indices: [
        { name: 'uniq_flavor_projects0flavor_id0project_id', columnNames: ['flavor_id', 'project_id'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'key_pairs',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'name', type: 'varchar', length: '255'},
        {name: 'user_id', type: 'varchar', length: '255'},
        {name: 'fingerprint', type: 'varchar', length: '255', isNullable: true},
        {name: 'public_key', type: 'text', isNullable: true},
        {name: 'type', type: 'varchar', length: '8', default: "'ssh'"},
      ],
      indices: [
        { name: 'uniq_key_pairs0user_id0name', columnNames: ['user_id', 'name'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'quotas',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'project_id', type: 'varchar', length: '255'},
        {name: 'resource', type: 'varchar', length: '255'},
        {name: 'hard_limit', type: 'integer', isNullable: true},
      ],
      indices: [
        { name: 'uniq_quotas0project_id0resource', columnNames: ['project_id', 'resource'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'project_user_quotas',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'user_id', type: 'varchar', length: '255'},
        {name: 'project_id', type: 'varchar', length: '255'},
        {name: 'resource', type: 'varchar', length: '255'},
        {name: 'hard_limit', type: 'integer', isNullable: true},
      ],
      indices: [
        { name: 'uniq_project_user_quotas0user_id0project_id0resource', columnNames: ['user_id', 'project_id', 'resource'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'quota_classes',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'class_name', type: 'varchar', length: '255'},
        {name: 'resource', type: 'varchar', length: '255'},
        {name: 'hard_limit', type: 'integer', isNullable: true},
      ],
      indices: [
        { name: 'uniq_quota_classes0class_name0resource', columnNames: ['class_name', 'resource'], isUnique: true },
      ],
    }));
    await queryRunner.createTable(new Table({
      name: 'request_specs',
      columns: [
        {name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment'},
        {name: 'created_at', type: 'datetime', isNullable: true},
        {name: 'updated_at', type: 'datetime', isNullable: true},
        {name: 'instance_uuid', type: 'varchar', length: '36'},
        {name: 'spec', type: 'text'},
      ],
      indices: [
        { name: 'uniq_request_specs0instance_uuid', columnNames: ['instance_uuid'], isUnique: true },
      ],
    }));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['request_specs', 'quota_classes', 'project_user_quotas', 'quotas', 'key_pairs', 'flavor_projects', 'flavor_extra_specs', 'flavors', 'instance_group_member', 'instance_group_policy', 'instance_groups', 'aggregate_metadata', 'aggregate_hosts', 'aggregates']) {
      await queryRunner.dropTable(table);
    }
  }
}
