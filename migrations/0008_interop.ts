import { sql, type Kysely } from 'kysely';

// Interoperability (issue 8): credentials issued through the W3C VC-API (any credential, no achievement of ours),
// VC-JWT forms, and the life of issuer keys (rotation, compromise).
export async function up(db: Kysely<any>): Promise<void> {
  // A VC-API credential is the caller's own document: no achievement, and its `id` (if any) is the caller's, which need
  // not be unique, so it is kept beside our URL instead of replacing it.
  await sql`alter table credentials alter column achievement_id drop not null`.execute(db);
  await sql`alter table credentials alter column achievement_version drop not null`.execute(db);
  await sql`alter table credentials add column vc_id text`.execute(db);
  await sql`create index credentials_issuer_vc_id_idx on credentials (issuer_id, vc_id) where vc_id is not null`.execute(db);
  // The key that signed it: what a key compromise affects is known from our records, not from the proof's own date.
  await sql`alter table credentials add column verification_method text`.execute(db);
  await sql`create index credentials_verification_method_idx on credentials (verification_method, created_at) where verification_method is not null`.execute(
    db,
  );
  // The VC-JWT form of a credential (the signed JSON, with its embedded proof, wrapped in a JWS), when one was asked for.
  await sql`alter table credentials add column jwt text`.execute(db);

  // Keys: Ed25519 (Data Integrity proofs, EdDSA JWTs) or P-256 (ES256 JWTs). A retired key signs nothing new but stays
  // published; a revoked (compromised) key stays published with its revocation date.
  await sql`alter table issuer_keys add column algorithm text not null default 'Ed25519'`.execute(db);
  await sql`alter table issuer_keys add column public_key_jwk text`.execute(db);
  await sql`alter table issuer_keys add column retired_at timestamptz`.execute(db);
  await sql`alter table issuer_keys add column revoked_at timestamptz`.execute(db);
  await sql`alter table issuer_keys add column revocation_reason text`.execute(db);
  await sql`alter table issuer_keys add constraint issuer_keys_algorithm_check check (algorithm in ('Ed25519', 'P-256'))`.execute(db);

  // How an issuer's credentials are delivered when the request does not say: JSON-LD only, or also as a VC-JWT.
  await sql`alter table issuers add column default_format text not null default 'json-ld'`.execute(db);
  await sql`alter table issuers add constraint issuers_default_format_check check (default_format in ('json-ld', 'jwt'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table issuers drop constraint issuers_default_format_check`.execute(db);
  await sql`alter table issuers drop column default_format`.execute(db);
  await sql`alter table issuer_keys drop constraint issuer_keys_algorithm_check`.execute(db);
  for (const column of ['revocation_reason', 'revoked_at', 'retired_at', 'public_key_jwk', 'algorithm']) {
    await sql`alter table issuer_keys drop column ${sql.id(column)}`.execute(db);
  }
  await sql`alter table credentials drop column jwt`.execute(db);
  await sql`drop index credentials_verification_method_idx`.execute(db);
  await sql`alter table credentials drop column verification_method`.execute(db);
  await sql`drop index credentials_issuer_vc_id_idx`.execute(db);
  await sql`alter table credentials drop column vc_id`.execute(db);
  await sql`delete from credentials where achievement_id is null`.execute(db);
  await sql`alter table credentials alter column achievement_version set not null`.execute(db);
  await sql`alter table credentials alter column achievement_id set not null`.execute(db);
}
