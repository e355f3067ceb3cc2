import { sql, type Kysely } from 'kysely';

// Programmes: stacks (which achievements make up each stack, and who has been awarded it), recognitions by
// states, districts and universities, and quality endorsements.
export async function up(db: Kysely<any>): Promise<void> {
  // The components of each stack's latest version, for finding the stacks an incoming credential may complete.
  await db.schema
    .createTable('stack_components')
    .addColumn('stack_id', 'text', (c) => c.notNull().references('achievements.id'))
    .addColumn('component_id', 'text', (c) => c.notNull().references('achievements.id'))
    .addPrimaryKeyConstraint('stack_components_pk', ['stack_id', 'component_id'])
    .execute();
  await db.schema.createIndex('stack_components_component_idx').on('stack_components').column('component_id').execute();

  // One award per stack and earner, ever: the unique constraint is what makes "exactly once" hold.
  await db.schema
    .createTable('stack_awards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('stack_id', 'text', (c) => c.notNull().references('achievements.id'))
    .addColumn('recipient_lookup_hash', 'text')
    .addColumn('credential_id', 'text', (c) => c.notNull().unique().references('credentials.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('stack_awards_once_uq', ['stack_id', 'recipient_lookup_hash'])
    .execute();

  await db.schema
    .createTable('recognitions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('recognizer_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('recognizer_type', 'text', (c) =>
      c.notNull().check(sql`recognizer_type in ('state-agency', 'district', 'university', 'other')`),
    )
    .addColumn('achievement_id', 'text', (c) => c.notNull().references('achievements.id'))
    .addColumn('purpose', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`purpose in ('license-renewal', 'endorsement', 'advanced-license', 'initial-certification', 'graduate-credit', 'salary-step', 'other')`,
        ),
    )
    .addColumn('amount', 'numeric')
    .addColumn('unit', 'text', (c) => c.check(sql`unit in ('CEU', 'clock-hours', 'PD-points', 'credit-hours', 'other')`))
    .addColumn('jurisdiction', 'text', (c) => c.notNull())
    .addColumn('effective_from', 'date', (c) => c.notNull())
    .addColumn('effective_until', 'date')
    .addColumn('note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('withdrawn_at', 'timestamptz')
    .addCheckConstraint('recognitions_amount_ck', sql`(amount is null) = (unit is null)`)
    .addCheckConstraint('recognitions_dates_ck', sql`effective_until is null or effective_until >= effective_from`)
    .execute();
  await db.schema.createIndex('recognitions_achievement_idx').on('recognitions').columns(['achievement_id', 'jurisdiction']).execute();
  await db.schema.createIndex('recognitions_recognizer_idx').on('recognitions').column('recognizer_id').execute();

  await db.schema
    .createTable('endorsements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('endorser_id', 'text', (c) => c.notNull().references('issuers.id'))
    .addColumn('subject_kind', 'text', (c) => c.notNull().check(sql`subject_kind in ('achievement', 'issuer')`))
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('signed_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('withdrawn_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('endorsements_subject_idx').on('endorsements').columns(['subject_kind', 'subject_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['endorsements', 'recognitions', 'stack_awards', 'stack_components']) await db.schema.dropTable(table).execute();
}
