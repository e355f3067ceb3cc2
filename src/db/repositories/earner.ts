import type { Kysely, Transaction } from 'kysely';
import type { ClrCredentialRow, CredentialRow, Database, EarnerLinkRow, NewEarnerLinkRow } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertLink(db: Db, row: NewEarnerLinkRow): Promise<void> {
  await db.insertInto('earner_links').values(row).execute();
}

export async function findLinkByTokenHash(db: Db, tokenHash: string): Promise<EarnerLinkRow | undefined> {
  return db.selectFrom('earner_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function findLink(db: Db, id: string): Promise<EarnerLinkRow | undefined> {
  return db.selectFrom('earner_links').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The claim link made when the credential was issued. */
export async function findIssuanceClaimLink(db: Db, credentialId: string): Promise<EarnerLinkRow | undefined> {
  return db
    .selectFrom('earner_links')
    .selectAll()
    .where('credential_id', '=', credentialId)
    .where('at_issuance', '=', true)
    .executeTakeFirst();
}

export async function revokeLink(db: Db, id: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('earner_links')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function touchLink(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('earner_links').set({ last_used_at: at }).where('id', '=', id).execute();
}

/** Records the pickup and uses up the challenge; false when the challenge was already used (a replay). */
export async function markClaimed(db: Db, id: string, at: Date, holderDid: string, challenge: string): Promise<boolean> {
  const result = await db
    .updateTable('earner_links')
    .set({ claimed_at: at, holder_did: holderDid, last_used_at: at, challenge: null, challenge_expires_at: null })
    .where('id', '=', id)
    .where('challenge', '=', challenge)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setChallenge(db: Db, id: string, challenge: string, expiresAt: Date): Promise<void> {
  await db.updateTable('earner_links').set({ challenge, challenge_expires_at: expiresAt }).where('id', '=', id).execute();
}

/** Every credential held for a recipient lookup hash, across issuers, newest first. */
export async function credentialsOfRecipient(db: Db, lookupHash: string): Promise<CredentialRow[]> {
  return db
    .selectFrom('credentials')
    .selectAll()
    .where('recipient_lookup_hash', '=', lookupHash)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(1000)
    .execute();
}

/**
 * Erasure (run before the credentials lose their lookup hash): the issuer's wallet links for that recipient and
 * the claim links of their credentials stop working, and nothing here remembers whom they were for.
 */
export async function eraseRecipientLinks(db: Db, args: { issuerId: string; lookupHash: string; at: Date }): Promise<void> {
  await db
    .updateTable('earner_links')
    .set({ revoked_at: args.at })
    .where('revoked_at', 'is', null)
    .where('credential_id', 'in', (eb) =>
      eb.selectFrom('credentials').select('id').where('issuer_id', '=', args.issuerId).where('recipient_lookup_hash', '=', args.lookupHash),
    )
    .execute();
  await db
    .updateTable('earner_links')
    .set({ recipient_lookup_hash: null, revoked_at: args.at })
    .where('issuer_id', '=', args.issuerId)
    .where('recipient_lookup_hash', '=', args.lookupHash)
    .execute();
  await db
    .updateTable('clr_credentials')
    .set({ recipient_lookup_hash: null })
    .where('issuer_id', '=', args.issuerId)
    .where('recipient_lookup_hash', '=', args.lookupHash)
    .execute();
}

export async function findClr(db: Db, issuerId: string, bundleHash: string): Promise<ClrCredentialRow | undefined> {
  return db
    .selectFrom('clr_credentials')
    .selectAll()
    .where('issuer_id', '=', issuerId)
    .where('bundle_hash', '=', bundleHash)
    .executeTakeFirst();
}

export async function insertClr(db: Db, row: ClrCredentialRow): Promise<void> {
  await db.insertInto('clr_credentials').values(row).execute();
}
