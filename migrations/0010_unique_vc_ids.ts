import { sql, type Kysely } from 'kysely';

// A VC-API credential keeps its caller's `id`; one issuer may not issue two credentials with the same id (a status
// change or a look-up by that id must name one credential). A database holding such duplicates from before stops this
// migration with a unique violation: resolve them (revoke and re-issue one under a new id) and start again.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index credentials_issuer_vc_id_idx`.execute(db);
  await sql`create unique index credentials_issuer_vc_id_key on credentials (issuer_id, vc_id) where vc_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index credentials_issuer_vc_id_key`.execute(db);
  await sql`create index credentials_issuer_vc_id_idx on credentials (issuer_id, vc_id) where vc_id is not null`.execute(db);
}
