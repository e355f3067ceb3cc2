/**
 * Revocation and suspension (W3C Bitstring Status List v1.0).
 *
 * Design notes, which the code follows:
 * 1. OB 3.0 allows one `credentialStatus` object, so every credential carries one BitstringStatusListEntry with
 *    purpose `revocation`: the purpose the 1EdTech validator, the Learner Credential Wallet and VerifierPlus check.
 *    Suspension (reversible, "under review") is recorded here and reported by this service's verifier and pages.
 * 2. Indexes are random inside lists of 131,072 entries (herd privacy), per issuer and purpose. A list takes
 *    about `capacity` entries (default 75%: random probing stays cheap) and then the next list starts. Counting
 *    a list's entries on every issue would cost O(n), so each instance counts its issuer's open list on every
 *    min(64, capacity/64)-th claim it makes there, and whenever probes collide. A list overshoots its capacity by
 *    at most that interval per instance plus the issuances in flight when it is marked full, never its size.
 * 3. An index is claimed by inserting (list, idx) under a primary key, in the issuing transaction: two
 *    credentials can never share one, and a rolled-back issuance frees its index (none is lost). Collisions are
 *    retried with another random index; only the rows touched are locked, so issuers never wait on each other.
 * 4. A new list is started only when the issuer has no open one, numbered in the same statement under a unique
 *    constraint: concurrent creators (also on other instances) agree on one list and leave no spare.
 * 5. The signed list is cached with the list version it encodes; a status change bumps the version in the same
 *    transaction, so the next read re-signs. Reads re-sign at most once per version and also before validUntil.
 */
import { isUuid } from './ids.js';
import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { CredentialRow, CredentialStatus, Database } from '../db/database.js';
import * as credentials from '../db/repositories/credentials.js';
import { findIssuerByDid } from '../db/repositories/issuers.js';
import { asArray } from '../credentials/json.js';
import * as lists from '../db/repositories/status-lists.js';
import type { DocumentLoader } from '../credentials/document-loader.js';
import { toDateTimeStamp } from '../credentials/build.js';
import { signCredential } from '../credentials/sign.js';
import { buildStatusEntry, buildStatusListCredential, encodeBitstring, MIN_LIST_SIZE } from '../credentials/status-list.js';
import { contextsForProof, createSigningSuite } from '../credentials/suites.js';
import type { LocalStatus } from '../credentials/status-check.js';
import type { Keyring } from '../keys/keyring.js';
import { Problem } from '../errors.js';
import type { ApiKeyIdentity, IssuerService } from './issuers.js';
import { apiKeyActor, type AuditService } from './audit.js';

export type StatusAction = 'revoke' | 'suspend' | 'reinstate';

const LIST_TTL_MS = 60_000;
const LIST_VALIDITY_MS = 24 * 3600_000;
const MAX_PROBES = 32;

const TRANSITIONS: Record<StatusAction, { from: readonly CredentialStatus[]; to: CredentialStatus }> = {
  revoke: { from: ['active', 'suspended'], to: 'revoked' },
  suspend: { from: ['active'], to: 'suspended' },
  reinstate: { from: ['suspended'], to: 'active' },
};

export interface StatusChange {
  readonly credentialId: string;
  readonly status: CredentialStatus;
  readonly changedAt: string;
  readonly reason: string;
}

export function createStatusService(deps: {
  db: Kysely<Database>;
  keyring: Pick<Keyring, 'signerFor'>;
  issuers: Pick<IssuerService, 'getIssuer' | 'signingKey'>;
  audit: Pick<AuditService, 'record'>;
  documentLoader: DocumentLoader;
  publicUrl: string;
  clock: () => Date;
  listCapacity?: number;
}) {
  const { db, keyring, issuers, audit, documentLoader, publicUrl, clock } = deps;
  const capacity = deps.listCapacity ?? Math.floor(MIN_LIST_SIZE * 0.75);
  const listUrl = (id: string) => `${publicUrl}/status-lists/${id}`;
  const listPrefix = `${publicUrl}/status-lists/`;

  async function openList(trx: Transaction<Database>, issuerId: string) {
    for (;;) {
      const open = await lists.findOpenList(trx, issuerId, 'revocation');
      if (open !== undefined) return open;
      await lists.createNextList(trx, {
        id: crypto.randomUUID(),
        issuerId,
        purpose: 'revocation',
        size: MIN_LIST_SIZE,
        capacity,
        at: clock(),
      });
    }
  }

  /** Per issuer, this instance's claims on its open list since the list was last counted. */
  const uncounted = new Map<string, { listId: string; claims: number }>();

  /** Whether this claim should count the list's entries: every `interval`-th claim here, or after collisions. */
  function countDue(issuerId: string, list: { id: string; capacity: number }, collisions: number): boolean {
    const interval = Math.min(64, Math.max(1, Math.ceil(list.capacity / 64)));
    const seen = uncounted.get(issuerId);
    const claims = (seen?.listId === list.id ? seen.claims : 0) + 1;
    const due = collisions >= 2 || claims >= interval;
    uncounted.set(issuerId, { listId: list.id, claims: due ? 0 : claims });
    return due;
  }

  /** Claims a random free index for `credentialId` inside the issuing transaction. */
  async function allocate(trx: Transaction<Database>, issuerId: string, credentialId: string): Promise<Record<string, unknown>> {
    for (;;) {
      const list = await openList(trx, issuerId);
      let collisions = 0;
      for (let probe = 0; probe < MAX_PROBES; probe++) {
        const idx = crypto.randomInt(list.size);
        if (await lists.claimIndex(trx, { listId: list.id, idx, credentialId })) {
          if (countDue(issuerId, list, collisions) && (await lists.countEntries(trx, list.id)) >= list.capacity) {
            await lists.markFull(trx, list.id);
          }
          return buildStatusEntry({ listUrl: listUrl(list.id), index: idx, purpose: 'revocation' });
        }
        collisions++;
        if (collisions >= 3 && (await lists.countEntries(trx, list.id)) >= list.capacity) break;
      }
      await lists.markFull(trx, list.id);
    }
  }

  const ownedCredential = async (caller: ApiKeyIdentity, id: string) => {
    const row = isUuid(id)
      ? await credentials.findCredential(db, id)
      : ((await credentials.findByUrl(db, id)) ?? (await credentials.findByVcId(db, caller.issuerId, id)));
    if (row === undefined) throw new Problem('credential-not-found', `No credential ${id}`);
    if (row.issuer_id !== caller.issuerId) throw new Problem('forbidden', 'This credential was issued by another issuer');
    return row;
  };

  /**
   * Whether the credential's status is someone else's: it carries status entries and none is on our lists (a VC-API
   * caller's own credentialStatus). One with no entry at all (VCDM 1.1, CREDENTIAL_STATUS=false) is ours to record:
   * our verifier and pages report it.
   */
  const statusPublishedElsewhere = (signedJson: string): boolean => {
    const entries = asArray((JSON.parse(signedJson) as { credentialStatus?: unknown }).credentialStatus);
    return (
      entries.length > 0 &&
      !entries.some((entry) => {
        const list = (entry as { statusListCredential?: unknown } | null)?.statusListCredential;
        return typeof list === 'string' && list.startsWith(listPrefix);
      })
    );
  };

  /** A credential of the caller's issuer (by our row id), locked in `trx` for a status change. */
  async function lockOwned(trx: Transaction<Database>, caller: ApiKeyIdentity, rowId: string) {
    const row = await credentials.lockCredential(trx, rowId);
    if (row === undefined) throw new Problem('credential-not-found', `No credential ${rowId}`);
    if (row.issuer_id !== caller.issuerId) throw new Problem('forbidden', 'This credential was issued by another issuer');
    return row;
  }

  async function change(caller: ApiKeyIdentity, id: string, action: StatusAction, reason: string): Promise<StatusChange> {
    const owned = await ownedCredential(caller, id);
    return db.transaction().execute(async (trx) => {
      const row = await lockOwned(trx, caller, owned.id);
      if (statusPublishedElsewhere(row.signed_json)) {
        throw new Problem(
          'conflict',
          'This credential’s status is published by its own credentialStatus, not by this service, so no verifier would see a change made here; change it where it is published',
        );
      }
      return applyChange(trx, caller, row, action, reason);
    });
  }

  /** One status change of a locked credential: the transition checked, recorded with its event and audit entry. */
  async function applyChange(
    trx: Transaction<Database>,
    caller: ApiKeyIdentity,
    row: CredentialRow,
    action: StatusAction,
    reason: string,
  ): Promise<StatusChange> {
    const at = clock();
    const transition = TRANSITIONS[action];
    if (!transition.from.includes(row.status)) {
      const detail =
        row.status === 'revoked'
          ? 'The credential is revoked; revocation is permanent'
          : `Cannot ${action} a credential that is ${row.status}`;
      throw new Problem('conflict', detail);
    }
    await credentials.setCredentialStatus(trx, { id: row.id, status: transition.to, at, reason });
    await lists.insertStatusEvent(trx, {
      credentialId: row.id,
      action,
      from: row.status,
      to: transition.to,
      reason,
      apiKeyId: caller.apiKeyId,
      at,
    });
    if (transition.to === 'revoked') await lists.bumpListVersions(trx, row.id);
    await audit.record(
      {
        issuerId: caller.issuerId,
        actor: apiKeyActor(caller.apiKeyId),
        action: `credential.${action}`,
        target: row.credential_url,
        detail: { from: row.status, to: transition.to },
      },
      trx,
    );
    return { credentialId: row.credential_url, status: transition.to, changedAt: at.toISOString(), reason };
  }

  const etagOf = (text: string) => `"${crypto.createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;

  /** The signed list credential, re-signed when a bit changed or it nears validUntil. */
  async function signedList(id: string): Promise<{ text: string; etag: string; version: number }> {
    const list = isUuid(id) ? await lists.findList(db, id) : undefined;
    if (list === undefined) throw new Problem('not-found', `No status list ${id}`);
    const now = clock();
    const fresh =
      list.signed_json !== null &&
      list.signed_version === list.version &&
      list.signed_at !== null &&
      now.getTime() - list.signed_at.getTime() < LIST_VALIDITY_MS / 2;
    let text = list.signed_json;
    if (!fresh || text === null) {
      const issuer = await issuers.getIssuer(list.issuer_id);
      const encodedList = encodeBitstring({ size: list.size, setIndexes: await lists.setIndexes(db, list.id, 'revoked') });
      const unsigned = buildStatusListCredential({
        listUrl: listUrl(list.id),
        issuer: issuer.did,
        purpose: list.purpose,
        encodedList,
        validFrom: toDateTimeStamp(now),
        validUntil: toDateTimeStamp(new Date(now.getTime() + LIST_VALIDITY_MS)),
        ttlMs: LIST_TTL_MS,
        extraContexts: contextsForProof(issuer.default_proof_type),
      });
      let key;
      try {
        key = await issuers.signingKey(issuer);
      } catch (error) {
        // An issuer with no usable key (a did:key whose key was reported compromised) can sign no new list: the last
        // one it signed is served until it expires, rather than none.
        if (error instanceof Problem && error.slug === 'conflict' && text !== null) {
          return { text, etag: etagOf(text), version: list.signed_version ?? list.version };
        }
        throw error;
      }
      const suite = createSigningSuite({
        // Bitstring Status List §3.1: lists SHOULD be secured like the credentials that point at them.
        proofType: issuer.default_proof_type,
        signer: await keyring.signerFor(key),
        date: now,
      });
      text = JSON.stringify(await signCredential({ credential: unsigned, suite, documentLoader, proofAsArray: false }));
      await lists.storeSignedList(db, { id: list.id, version: list.version, json: text, at: now });
    }
    return { text, etag: etagOf(text), version: list.version };
  }

  return {
    allocate,
    listUrl,
    signedList,
    ttlSeconds: LIST_TTL_MS / 1000,

    change,

    /**
     * Revokes credentials (our row ids) of the caller's issuer inside `trx`, all or none; those whose status is published
     * elsewhere are left (our verifier still judges them by their signing date).
     */
    async revokeIn(trx: Transaction<Database>, caller: ApiKeyIdentity, rowIds: readonly string[], reason: string): Promise<void> {
      for (const rowId of rowIds) {
        const row = await lockOwned(trx, caller, rowId);
        if (!statusPublishedElsewhere(row.signed_json)) await applyChange(trx, caller, row, 'revoke', reason);
      }
    },

    /** VC-API (VCALM) POST /credentials/status: set or clear one purpose's status. */
    async setStatus(
      caller: ApiKeyIdentity,
      args: { credentialId: string; purpose: string; status: boolean; reason?: string },
    ): Promise<StatusChange> {
      const reason = args.reason ?? `${args.status ? 'set' : 'cleared'} ${args.purpose} through the VC-API status endpoint`;
      if (args.purpose === 'revocation') {
        if (!args.status) {
          const row = await ownedCredential(caller, args.credentialId);
          if (row.status === 'revoked') throw new Problem('conflict', 'Revocation is permanent and cannot be cleared');
          return {
            credentialId: row.credential_url,
            status: row.status,
            changedAt: (row.status_changed_at ?? row.created_at).toISOString(),
            reason: row.status_reason ?? '',
          };
        }
        return change(caller, args.credentialId, 'revoke', reason);
      }
      if (args.purpose === 'suspension') return change(caller, args.credentialId, args.status ? 'suspend' : 'reinstate', reason);
      throw new Problem('validation-failed', `statusPurpose must be revocation or suspension, not ${args.purpose}`);
    },

    async history(caller: ApiKeyIdentity, id: string) {
      const row = await ownedCredential(caller, id);
      const events = await lists.statusHistory(db, row.id);
      return {
        credentialId: row.credential_url,
        status: row.status,
        changedAt: row.status_changed_at?.toISOString() ?? null,
        reason: row.status_reason,
        history: events.map((e) => ({
          action: e.action,
          from: e.from_status,
          to: e.to_status,
          reason: e.reason,
          apiKeyId: e.api_key_id,
          at: e.at.toISOString(),
        })),
      };
    },

    /** Our own records, for the verifier: state, date and reason of credentials issued here. */
    async localStatus(credentialId: string, issuerDid: string | undefined): Promise<LocalStatus | undefined> {
      let row: CredentialRow | undefined;
      if (credentialId.startsWith(`${publicUrl}/credentials/`)) row = await credentials.findByUrl(db, credentialId);
      else if (issuerDid !== undefined) {
        // A VC-API credential keeps its caller's id: ours when one of our issuers recorded it under that id.
        const issuer = await findIssuerByDid(db, issuerDid);
        row = issuer === undefined ? undefined : await credentials.findByVcId(db, issuer.id, credentialId);
      }
      return row === undefined ? undefined : { status: row.status, changedAt: row.status_changed_at, reason: row.status_reason };
    },

    /** Our own lists are read from the database, not over HTTP. */
    isLocalList: (url: string) => url.startsWith(listPrefix),
    localListId: (url: string) => url.slice(listPrefix.length),
  };
}

export type StatusService = ReturnType<typeof createStatusService>;
