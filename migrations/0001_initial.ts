import { sql, type Kysely } from 'kysely';

// Forward-only once released. Kysely<any>: migrations never import application types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('issuers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('did', 'text', (c) => c.notNull().unique())
    .addColumn('did_method', 'text', (c) => c.notNull().check(sql`did_method in ('web', 'key')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('email', 'text')
    .addColumn('description', 'text')
    .addColumn('image_url', 'text')
    .addColumn('parent_org_json', 'text')
    .addColumn('default_proof_type', 'text', (c) =>
      c.notNull().check(sql`default_proof_type in ('eddsa-rdfc-2022', 'Ed25519Signature2020')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('issuer_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('issuer_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('verification_method', 'text', (c) => c.notNull().unique())
    .addColumn('public_key_multibase', 'text', (c) => c.notNull())
    .addColumn('secret_key_envelope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('issuer_keys_issuer_idx').on('issuer_keys').columns(['issuer_id', 'created_at']).execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('issuer_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('achievements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('issuer_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('latest_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('achievements_issuer_idx').on('achievements').columns(['issuer_id', 'created_at']).execute();

  await db.schema
    .createTable('achievement_versions')
    .addColumn('achievement_id', 'text', (c) => c.notNull().references('achievements.id'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('achievement_json', 'text', (c) => c.notNull())
    .addColumn('definition_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('achievement_versions_pk', ['achievement_id', 'version'])
    .execute();

  await db.schema
    .createTable('credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('credential_url', 'text', (c) => c.notNull().unique())
    .addColumn('issuer_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('achievement_id', 'text', (c) => c.notNull())
    .addColumn('achievement_version', 'integer', (c) => c.notNull())
    .addColumn('recipient_lookup_hash', 'text', (c) => c.notNull())
    .addColumn('api_key_id', 'text', (c) => c.references('api_keys.id'))
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('proof_type', 'text', (c) => c.notNull())
    .addColumn('signed_json', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'timestamptz', (c) => c.notNull())
    .addColumn('valid_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('credentials_achievement_version_fk', ['achievement_id', 'achievement_version'], 'achievement_versions', [
      'achievement_id',
      'version',
    ])
    .addUniqueConstraint('credentials_idempotency_uq', ['issuer_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('credentials_recipient_idx').on('credentials').column('recipient_lookup_hash').execute();
  await db.schema.createIndex('credentials_issuer_idx').on('credentials').columns(['issuer_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['credentials', 'achievement_versions', 'achievements', 'api_keys', 'issuer_keys', 'issuers', 'settings']) {
    await db.schema.dropTable(table).execute();
  }
}
