import { sql, type Kysely } from 'kysely';
import { dropAppendOnly, makeAppendOnly } from './append-only.js';

// Status lists (W3C Bitstring Status List v1.0) and the append-only history of status changes.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('status_lists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('issuer_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('revocation', 'suspension')`))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('size', 'integer', (c) => c.notNull().check(sql`size >= 131072`))
    .addColumn('capacity', 'integer', (c) => c.notNull())
    .addColumn('full', 'boolean', (c) => c.notNull().defaultTo(false))
    // Bumped whenever a bit changes; the cached signed list is served only while its version is current.
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('signed_json', 'text')
    .addColumn('signed_version', 'integer')
    .addColumn('signed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('status_lists_issuer_purpose_seq_uq', ['issuer_id', 'purpose', 'seq'])
    .execute();

  await db.schema
    .createTable('status_entries')
    .addColumn('list_id', 'text', (c) => c.notNull().references('status_lists.id'))
    .addColumn('idx', 'integer', (c) => c.notNull().check(sql`idx >= 0`))
    // Deferred: the entry is allocated before the credential is signed, and both rows commit together.
    .addColumn('credential_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('status_entries_pk', ['list_id', 'idx'])
    .addUniqueConstraint('status_entries_credential_list_uq', ['credential_id', 'list_id'])
    .execute();
  await sql`alter table status_entries add constraint status_entries_credential_fk foreign key (credential_id)
    references credentials (id) deferrable initially deferred`.execute(db);

  await db.schema
    .alterTable('credentials')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('active')
        .check(sql`status in ('active', 'suspended', 'revoked')`),
    )
    .execute();
  await db.schema.alterTable('credentials').addColumn('status_changed_at', 'timestamptz').execute();
  await db.schema.alterTable('credentials').addColumn('status_reason', 'text').execute();

  await db.schema
    .createTable('credential_status_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('credential_id', 'text', (c) => c.notNull().references('credentials.id'))
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('revoke', 'suspend', 'reinstate')`))
    .addColumn('from_status', 'text', (c) => c.notNull())
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('api_key_id', 'text', (c) => c.references('api_keys.id'))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('credential_status_events_credential_idx')
    .on('credential_status_events')
    .columns(['credential_id', 'id'])
    .execute();

  // Append-only: the database itself refuses to change or delete history.
  await makeAppendOnly(db, 'credential_status_events');
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropAppendOnly(db, 'credential_status_events');
  await db.schema.dropTable('credential_status_events').execute();
  await db.schema.alterTable('credentials').dropColumn('status_reason').execute();
  await db.schema.alterTable('credentials').dropColumn('status_changed_at').execute();
  await db.schema.alterTable('credentials').dropColumn('status').execute();
  await db.schema.dropTable('status_entries').execute();
  await db.schema.dropTable('status_lists').execute();
}
