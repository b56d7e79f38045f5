import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** The built-in identity service's users, projects, roles, assignments and tokens. Frozen once merged. */
export class ApiIdentity1764201600000 implements MigrationInterface {
  name = 'ApiIdentity1764201600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(new Table({
      name: 'identity_users',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'name', type: 'varchar', length: '255' },
        { name: 'domain_id', type: 'varchar', length: '64', default: "'default'" },
        { name: 'enabled', type: 'boolean', default: 1 },
        { name: 'password_hash', type: 'varchar', length: '255', isNullable: true },
        { name: 'created_at', type: 'datetime' },
        { name: 'updated_at', type: 'datetime', isNullable: true },
      ],
      indices: [{ name: 'uniq_identity_users0domain_id0name', columnNames: ['domain_id', 'name'], isUnique: true }],
    }));
    await queryRunner.createTable(new Table({
      name: 'identity_projects',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'name', type: 'varchar', length: '64' },
        { name: 'domain_id', type: 'varchar', length: '64', default: "'default'" },
        { name: 'description', type: 'text', isNullable: true },
        { name: 'enabled', type: 'boolean', default: 1 },
        { name: 'created_at', type: 'datetime' },
      ],
      indices: [{ name: 'uniq_identity_projects0domain_id0name', columnNames: ['domain_id', 'name'], isUnique: true }],
    }));
    await queryRunner.createTable(new Table({
      name: 'identity_roles',
      columns: [
        { name: 'id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'name', type: 'varchar', length: '255' },
        { name: 'created_at', type: 'datetime' },
      ],
      indices: [{ name: 'uniq_identity_roles0name', columnNames: ['name'], isUnique: true }],
    }));
    await queryRunner.createTable(new Table({
      name: 'identity_assignments',
      columns: [
        { name: 'user_id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'project_id', type: 'varchar', length: '64', isPrimary: true },
        { name: 'role_id', type: 'varchar', length: '64', isPrimary: true },
      ],
      indices: [{ name: 'ix_identity_assignments_project_id', columnNames: ['project_id'] }],
    }));
    await queryRunner.createTable(new Table({
      name: 'identity_tokens',
      columns: [
        { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
        { name: 'user_id', type: 'varchar', length: '64' },
        { name: 'project_id', type: 'varchar', length: '64', isNullable: true },
        { name: 'audit_id', type: 'varchar', length: '32' },
        { name: 'methods', type: 'varchar', length: '255' },
        { name: 'issued_at', type: 'datetime' },
        { name: 'expires_at', type: 'datetime' },
        { name: 'revoked', type: 'boolean', default: 0 },
      ],
      indices: [
        { name: 'ix_identity_tokens_expires_at', columnNames: ['expires_at'] },
        { name: 'ix_identity_tokens_user_id', columnNames: ['user_id'] },
      ],
    }));
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const t of ['identity_tokens', 'identity_assignments', 'identity_roles', 'identity_projects', 'identity_users']) await queryRunner.dropTable(t);
  }
}
