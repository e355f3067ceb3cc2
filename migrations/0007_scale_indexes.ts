import { sql, type Kysely } from 'kysely';

// Indexes found missing by `npm run seed:scale` at 1,000,000 credentials (plans and timings in the README).
export async function up(db: Kysely<any>): Promise<void> {
  // Re-signing a status list reads its revoked entries: index-only from the list's entries to the few credentials
  // not active (most are), instead of two sequential scans.
  await sql`create index status_entries_list_credential_idx on status_entries (list_id) include (credential_id, idx)`.execute(db);
  await sql`create index credentials_not_active_idx on credentials (status, id) where status <> 'active'`.execute(db);
  // Completion reports: of an issuer (per achievement and period) and of a recognizer (per recognised achievement).
  await sql`create index credentials_issuer_achievement_idx on credentials (issuer_id, achievement_id, created_at) include (status)`.execute(
    db,
  );
  await sql`create index credentials_achievement_idx on credentials (achievement_id, created_at) include (status)`.execute(db);
  // The audit trail filtered by action reads only matching events.
  await sql`create index audit_events_issuer_action_idx on audit_events (issuer_id, action, id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of [
    'audit_events_issuer_action_idx',
    'credentials_achievement_idx',
    'credentials_issuer_achievement_idx',
    'credentials_not_active_idx',
    'status_entries_list_credential_idx',
  ]) {
    await sql`drop index ${sql.id(index)}`.execute(db);
  }
}
