import { sql, type Kysely } from 'kysely';

// Batch issuance: a cohort of issue requests accepted at once and worked off by the job queue (pg-boss, in its own
// schema `pgboss`). Each item carries its own Idempotency-Key, so a chunk redone after a crash re-issues nothing.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('issuer_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('api_key_id', 'text', (c) => c.notNull().references('api_keys.id'))
    // The batch request's own Idempotency-Key: a retried POST returns the batch already accepted.
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('running', 'completed')`))
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('webhook_url', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .addUniqueConstraint('batches_idempotency_uq', ['issuer_id', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('batches_issuer_idx').on('batches').columns(['issuer_id', 'created_at']).execute();

  await db.schema
    .createTable('batch_items')
    .addColumn('batch_id', 'text', (c) => c.notNull().references('batches.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    // The issue request, sealed (it names the educator); dropped once the item is done.
    .addColumn('request_envelope', 'text')
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'issued', 'failed')`))
    .addColumn('credential_id', 'text', (c) => c.references('credentials.id'))
    .addColumn('credential_url', 'text')
    .addColumn('replayed', 'boolean')
    .addColumn('problem_json', 'text')
    .addColumn('finished_at', 'timestamptz')
    .addPrimaryKeyConstraint('batch_items_pk', ['batch_id', 'seq'])
    .addUniqueConstraint('batch_items_key_uq', ['batch_id', 'idempotency_key'])
    .execute();
  // Progress counts and "what is left" read by state.
  await db.schema.createIndex('batch_items_state_idx').on('batch_items').columns(['batch_id', 'state', 'seq']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('batch_items').execute();
  await db.schema.dropTable('batches').execute();
}
