import { sql, type Kysely } from 'kysely';

// The 1EdTech Open Badges 3.0 REST API (issue 8): OAuth 2.0 clients registered dynamically, their grants (authorization
// codes with PKCE) and tokens, and what educators keep here through the API: credentials from anywhere, and a profile.
// An educator is a `subject`: the keyed hash of their recipient identifier (the same lookup hash credentials carry).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oauth_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    /** The registration request as accepted (RFC 7591 metadata), echoed back and shown on the consent page. */
    .addColumn('metadata_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('oauth_grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
    .addColumn('subject', 'text', (c) => c.notNull())
    /** The earner link the educator signed in with: revoking it (or erasing the recipient) ends the grant. */
    .addColumn('link_id', 'text', (c) => c.notNull().references('earner_links.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull().unique())
    .addColumn('code_challenge', 'text', (c) => c.notNull())
    .addColumn('code_expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('code_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth_grants_subject_idx').on('oauth_grants').column('subject').execute();

  await db.schema
    .createTable('oauth_tokens')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('grant_id', 'text', (c) => c.notNull().references('oauth_grants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('access', 'refresh')`))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth_tokens_grant_idx').on('oauth_tokens').column('grant_id').execute();

  await db.schema
    .createTable('hosted_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    /** Equality (OB 3.0 §Equality): the issuer id and the credential id, normalised. */
    .addColumn('issuer_ref', 'text', (c) => c.notNull())
    .addColumn('credential_ref', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull().check(sql`format in ('json', 'jws')`))
    /** Exactly the bytes received: getCredentials returns them unchanged. */
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('valid_from', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('hosted_credentials_identity', ['subject', 'issuer_ref', 'credential_ref'])
    .execute();
  await db.schema.createIndex('hosted_credentials_subject_idx').on('hosted_credentials').columns(['subject', 'created_at']).execute();

  await db.schema
    .createTable('earner_profiles')
    .addColumn('subject', 'text', (c) => c.primaryKey())
    .addColumn('profile_json', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['earner_profiles', 'hosted_credentials', 'oauth_tokens', 'oauth_grants', 'oauth_clients']) {
    await db.schema.dropTable(table).execute();
  }
}
