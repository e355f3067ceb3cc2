import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, HostedCredentialRow, OAuthClientRow, OAuthGrantRow, OAuthTokenRow } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertClient(db: Db, row: OAuthClientRow): Promise<void> {
  await db.insertInto('oauth_clients').values(row).execute();
}

export async function findClient(db: Db, id: string): Promise<OAuthClientRow | undefined> {
  return db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertGrant(db: Db, row: OAuthGrantRow): Promise<void> {
  await db.insertInto('oauth_grants').values(row).execute();
}

export async function findGrantByCode(db: Db, codeHash: string): Promise<OAuthGrantRow | undefined> {
  return db.selectFrom('oauth_grants').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
}

/** Marks a code used. @returns false when it was used already (a replay). */
export async function useCode(db: Db, grantId: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('oauth_grants')
    .set({ code_used_at: at })
    .where('id', '=', grantId)
    .where('code_used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Revokes a grant and every token it led to (a replayed code, or the educator withdrawing consent). */
export async function revokeGrant(db: Db, grantId: string, at: Date): Promise<void> {
  await db.updateTable('oauth_grants').set({ revoked_at: at }).where('id', '=', grantId).where('revoked_at', 'is', null).execute();
  await db.updateTable('oauth_tokens').set({ revoked_at: at }).where('grant_id', '=', grantId).where('revoked_at', 'is', null).execute();
}

export async function insertToken(db: Db, row: OAuthTokenRow): Promise<void> {
  await db.insertInto('oauth_tokens').values(row).execute();
}

/** A token with its grant and client, whatever its state (the caller judges expiry and revocation). */
export async function findToken(
  db: Db,
  hash: string,
): Promise<(OAuthTokenRow & { client_id: string; subject: string; grant_revoked_at: Date | null }) | undefined> {
  // A grant ends with the earner link it was given through (revoked by the issuer, or by the recipient's erasure).
  return db
    .selectFrom('oauth_tokens as t')
    .innerJoin('oauth_grants as g', 'g.id', 't.grant_id')
    .innerJoin('earner_links as l', 'l.id', 'g.link_id')
    .selectAll('t')
    .select((eb) => ['g.client_id', 'g.subject', eb.fn.coalesce('g.revoked_at', 'l.revoked_at').as('grant_revoked_at')])
    .where('t.hash', '=', hash)
    .executeTakeFirst();
}

/** Revokes one token. @returns false when it was already revoked. */
export async function revokeToken(db: Db, hash: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('oauth_tokens')
    .set({ revoked_at: at })
    .where('hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface SubjectCredential {
  readonly source: 'issued' | 'hosted';
  readonly format: 'json' | 'jws';
  readonly body: string;
}

/**
 * One page of an educator's credentials: those issued here to them (current: active, not erased) and those they keep
 * here, oldest first, with the total. `since`: issued after that instant (a kept credential's validFrom, or when it was
 * first kept here if it has none).
 */
export async function subjectCredentials(
  db: Db,
  args: { subject: string; since?: Date; limit: number; offset: number },
): Promise<{ total: number; rows: SubjectCredential[] }> {
  const since = args.since ?? new Date(0);
  const all = sql<{ source: 'issued' | 'hosted'; format: 'json' | 'jws'; body: string; created_at: Date; id: string }>`
    select 'issued' as source, 'json' as format, signed_json as body, created_at, id
      from credentials
     where recipient_lookup_hash = ${args.subject} and status = 'active' and created_at > ${since}
    union all
    select 'hosted' as source, format, body, created_at, id
      from hosted_credentials
     where subject = ${args.subject} and coalesce(valid_from, created_at) > ${since}`;
  const count = await sql<{ n: string }>`select count(*) as n from (${all}) as everything`.execute(db);
  const page = await sql<SubjectCredential>`
    select source, format, body from (${all}) as everything
     order by created_at, id
     limit ${args.limit} offset ${args.offset}`.execute(db);
  return { total: Number(count.rows[0]?.n ?? 0), rows: page.rows };
}

/** Whether a credential issued here to the educator has this id (getCredentials already lists it). */
export async function isIssuedTo(db: Db, subject: string, credentialId: string): Promise<boolean> {
  const row = await db
    .selectFrom('credentials')
    .select('id')
    .where('recipient_lookup_hash', '=', subject)
    .where('credential_url', '=', credentialId)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Stores an educator's credential, replacing an equal one (same issuer and credential ids).
 * @returns whether it replaced one.
 */
export async function upsertHostedCredential(
  db: Db,
  row: Omit<HostedCredentialRow, 'created_at' | 'updated_at'> & { at: Date },
): Promise<{ replaced: boolean }> {
  const { at, ...values } = row;
  const result = await db
    .insertInto('hosted_credentials')
    .values({ ...values, created_at: at, updated_at: at })
    .onConflict((oc) =>
      oc.columns(['subject', 'issuer_ref', 'credential_ref']).doUpdateSet({
        format: values.format,
        body: values.body,
        valid_from: values.valid_from,
        updated_at: at,
      }),
    )
    .returning(sql<boolean>`(xmax <> 0)`.as('replaced'))
    .executeTakeFirstOrThrow();
  return { replaced: Boolean(result.replaced) };
}

export async function findProfile(db: Db, subject: string): Promise<string | undefined> {
  return (await db.selectFrom('earner_profiles').select('profile_json').where('subject', '=', subject).executeTakeFirst())?.profile_json;
}

export async function putProfile(db: Db, subject: string, profileJson: string, at: Date): Promise<void> {
  await db
    .insertInto('earner_profiles')
    .values({ subject, profile_json: profileJson, updated_at: at })
    .onConflict((oc) => oc.column('subject').doUpdateSet({ profile_json: profileJson, updated_at: at }))
    .execute();
}
