import { sql, type Kysely } from 'kysely';
import { dropAppendOnly, makeAppendOnly } from './append-only.js';

// Scoped, expiring API keys; erasable recipient lookup hashes; the append-only audit trail.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('issue revoke catalogue admin'))
    .execute();
  await db.schema.alterTable('api_keys').addColumn('expires_at', 'timestamptz').execute();
  await db.schema.alterTable('api_keys').addColumn('rotated_to', 'text').execute();

  await db.schema
    .alterTable('credentials')
    .alterColumn('recipient_lookup_hash', (c) => c.dropNotNull())
    .execute();
  await db.schema.alterTable('credentials').addColumn('recipient_erased_at', 'timestamptz').execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('issuer_id', 'text', (c) => c.references('issuers.id'))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('success', 'denied', 'failed')`))
    .addColumn('detail', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_issuer_idx').on('audit_events').columns(['issuer_id', 'id']).execute();

  await makeAppendOnly(db, 'audit_events');
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropAppendOnly(db, 'audit_events');
  await db.schema.dropTable('audit_events').execute();
  await db.schema.alterTable('credentials').dropColumn('recipient_erased_at').execute();
  await db.schema.alterTable('api_keys').dropColumn('rotated_to').execute();
  await db.schema.alterTable('api_keys').dropColumn('expires_at').execute();
  await db.schema.alterTable('api_keys').dropColumn('scopes').execute();
}
