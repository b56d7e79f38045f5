import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The built-in identity service (a Keystone v3 subset), in the API database. One domain
 * (`default`) exists implicitly. Passwords are scrypt hashes with a per-user salt; tokens are
 * stored only as their sha256.
 */
@Entity({ name: 'identity_users' })
@Index('uniq_identity_users0domain_id0name', ['domain_id', 'name'], { unique: true })
export class IdentityUserEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 64, default: 'default' })
  domain_id!: string;

  @Column({ type: 'boolean', width: 1, default: true })
  enabled!: boolean;

  /** `scrypt$N$r$p$<salt base64>$<hash base64>`; null: the user cannot log in with a password. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  password_hash!: string | null;

  @Column({ type: 'datetime' })
  created_at!: Date;

  @Column({ type: 'datetime', nullable: true })
  updated_at!: Date | null;
}

@Entity({ name: 'identity_projects' })
@Index('uniq_identity_projects0domain_id0name', ['domain_id', 'name'], { unique: true })
export class IdentityProjectEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 64, default: 'default' })
  domain_id!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'boolean', width: 1, default: true })
  enabled!: boolean;

  @Column({ type: 'datetime' })
  created_at!: Date;
}

@Entity({ name: 'identity_roles' })
@Index('uniq_identity_roles0name', ['name'], { unique: true })
export class IdentityRoleEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'datetime' })
  created_at!: Date;
}

/** A role of a user on a project. */
@Entity({ name: 'identity_assignments' })
@Index('ix_identity_assignments_project_id', ['project_id'])
export class IdentityAssignmentEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  user_id!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  project_id!: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  role_id!: string;
}

/** An issued token, by the sha256 of its id (the id itself is never stored). */
@Entity({ name: 'identity_tokens' })
@Index('ix_identity_tokens_expires_at', ['expires_at'])
@Index('ix_identity_tokens_user_id', ['user_id'])
export class IdentityTokenEntity {
  /** hex sha256 of the token id */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  token_hash!: string;

  @Column({ type: 'varchar', length: 64 })
  user_id!: string;

  /** null: an unscoped token */
  @Column({ type: 'varchar', length: 64, nullable: true })
  project_id!: string | null;

  /** Shown to clients as audit_ids[0]; lets logs name a token without revealing it. */
  @Column({ type: 'varchar', length: 32 })
  audit_id!: string;

  /** Comma-separated authentication methods (password). */
  @Column({ type: 'varchar', length: 255 })
  methods!: string;

  @Column({ type: 'datetime' })
  issued_at!: Date;

  @Column({ type: 'datetime' })
  expires_at!: Date;

  @Column({ type: 'boolean', width: 1, default: false })
  revoked!: boolean;
}
