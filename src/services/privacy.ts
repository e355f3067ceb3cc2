/**
 * Erasure on request. The service stores an educator's identifier only as a keyed hash (HMAC under a key
 * derived from the master key) so it can find their credentials; erasing removes that hash from the issuer's
 * credentials. The credentials themselves hold only a salted hash, keep verifying, and can still be revoked.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import * as credentials from '../db/repositories/credentials.js';
import { eraseRecipientLinks } from '../db/repositories/earner.js';
import { eraseRecipientAwards } from '../db/repositories/stacks.js';
import { normalizeIdentifier } from '../credentials/recipient.js';
import type { SecretBox } from '../keys/master-key.js';
import { apiKeyActor, type AuditService } from './audit.js';
import type { ApiKeyIdentity } from './issuers.js';

/** The stored lookup hash of a recipient identifier (also used at issuance). */
export const recipientLookupHash = (box: Pick<SecretBox, 'mac'>, identityType: string, identity: string) =>
  box.mac('recipient', `${identityType}:${normalizeIdentifier(identityType, identity)}`);

export function createPrivacyService(deps: {
  db: Kysely<Database>;
  box: Pick<SecretBox, 'mac'>;
  audit: Pick<AuditService, 'record'>;
  clock: () => Date;
}) {
  const { db, box, audit, clock } = deps;
  return {
    async eraseRecipient(caller: ApiKeyIdentity, identity: string, identityType = 'emailAddress'): Promise<{ erased: number }> {
      const erased = await db.transaction().execute(async (trx) => {
        const target = { issuerId: caller.issuerId, lookupHash: recipientLookupHash(box, identityType, identity), at: clock() };
        await eraseRecipientLinks(trx, target);
        await eraseRecipientAwards(trx, target);
        const count = await credentials.eraseRecipient(trx, target);
        // The audit record says how many, never whom.
        await audit.record(
          { issuerId: caller.issuerId, actor: apiKeyActor(caller.apiKeyId), action: 'recipient.erase', detail: { credentials: count } },
          trx,
        );
        return count;
      });
      return { erased };
    },
  };
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;
