import { sql, type Kysely } from 'kysely';

// Earner access without accounts (claim and wallet links) and the CLR transcripts signed for earners.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('earner_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('claim', 'wallet')`))
    // SHA-256 of the link token; the token itself is derived from the id under the master key, never stored.
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('issuer_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('credential_id', 'text', (c) => c.references('credentials.id'))
    .addColumn('recipient_lookup_hash', 'text')
    .addColumn('api_key_id', 'text', (c) => c.references('api_keys.id'))
    // The claim link made in the issuing transaction (the one an idempotent retry returns again).
    .addColumn('at_issuance', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('holder_did', 'text')
    // The DID-authentication challenge of the wallet exchange: random, expiring, used once.
    .addColumn('challenge', 'text')
    .addColumn('challenge_expires_at', 'timestamptz')
    .addCheckConstraint(
      'earner_links_target_ck',
      sql`(kind = 'claim' and credential_id is not null) or (kind = 'wallet' and credential_id is null)`,
    )
    .execute();
  await db.schema.createIndex('earner_links_credential_idx').on('earner_links').column('credential_id').execute();
  await db.schema.createIndex('earner_links_recipient_idx').on('earner_links').column('recipient_lookup_hash').execute();

  await db.schema
    .createTable('clr_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('issuer_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('recipient_lookup_hash', 'text')
    // SHA-256 over the sorted ids of the bundled credentials: the same bundle is signed once and served again.
    .addColumn('bundle_hash', 'text', (c) => c.notNull())
    .addColumn('signed_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('clr_credentials_bundle_uq', ['issuer_id', 'bundle_hash'])
    .execute();
  await db.schema.createIndex('clr_credentials_recipient_idx').on('clr_credentials').column('recipient_lookup_hash').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('clr_credentials').execute();
  await db.schema.dropTable('earner_links').execute();
}
