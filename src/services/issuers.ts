/**
 * Issuers: OB 3.0 Profiles with an Ed25519 key, resolvable as did:web (hosted here) or did:key, and the API
 * keys that act for them. An API key is `mck_<id>_<secret>`: the id finds the row, the secret is compared
 * against its stored SHA-256 in constant time; the secret itself is shown once and never stored.
 */
import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { CredentialFormat, Database, IssuerKeyRow, IssuerRow } from '../db/database.js';
import * as apiKeys from '../db/repositories/api-keys.js';
import * as issuers from '../db/repositories/issuers.js';
import { didKeyFor } from '../keys/did-key.js';
import { buildDidDocument, didWebFor, type PublishedKey } from '../keys/did-web.js';
import { canonicalJson } from '../credentials/json.js';
import { decodeJws } from '../credentials/jwt.js';
import type { PresentedDocument } from '../credentials/verify.js';
import type { KeyAlgorithm, Keyring, StoredKey } from '../keys/keyring.js';
import { Problem } from '../errors.js';
import type { ProofType } from '../schemas/issue-request.js';
import { SCOPES, type Scope } from '../schemas/api-key.js';
import type { ApiKeyRow } from '../db/database.js';
import { actorName, type Actor, type AuditService } from './audit.js';

export interface IssuerInput {
  readonly name: string;
  readonly didMethod?: 'web' | 'key';
  readonly url?: string;
  readonly email?: string;
  readonly description?: string;
  readonly imageUrl?: string;
  readonly parentOrg?: { readonly name: string; readonly url?: string; readonly id?: string };
  readonly proofType?: ProofType;
  /** jwt: credentials are also issued as VC-JWT unless a request says otherwise (they then need a recipient DID). */
  readonly format?: CredentialFormat;
}

export interface ApiKeyIdentity {
  readonly apiKeyId: string;
  readonly issuerId: string;
  readonly scopes: readonly Scope[];
}

export interface CreatedApiKey {
  readonly id: string;
  readonly issuerId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly expiresAt: string | null;
  /** The full key; shown once. */
  readonly apiKey: string;
}

export interface ApiKeyOptions {
  readonly name: string;
  readonly scopes?: readonly Scope[];
  readonly expiresAt?: Date;
}

export const parseScopes = (value: string): Scope[] =>
  value.split(' ').filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));

export const toApiKeyInfo = (row: ApiKeyRow) => ({
  id: row.id,
  name: row.name,
  scopes: parseScopes(row.scopes),
  createdAt: row.created_at.toISOString(),
  lastUsedAt: row.last_used_at?.toISOString() ?? null,
  expiresAt: row.expires_at?.toISOString() ?? null,
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

const API_KEY = /^mck_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

const sha256 = (value: string): string => crypto.createHash('sha256').update(value, 'utf8').digest('hex');

export function toStoredKey(row: IssuerKeyRow, controller: string): StoredKey {
  return {
    id: row.id,
    controller,
    verificationMethod: row.verification_method,
    publicKeyMultibase: row.public_key_multibase,
    secretKeyEnvelope: row.secret_key_envelope,
    algorithm: row.algorithm,
    publicKeyJwk: row.public_key_jwk,
  };
}

/** The key a stored VC-JWT names in its header (`kid`). */
function kidOf(jwt: string): unknown {
  try {
    return decodeJws(jwt).header.kid;
  } catch {
    return undefined;
  }
}

/** How a key row is published in its issuer's DID document. */
export const toPublishedKey = (row: IssuerKeyRow): PublishedKey => ({
  verificationMethod: row.verification_method,
  publicKeyMultibase: row.public_key_multibase,
  ...(row.public_key_jwk === null ? {} : { publicKeyJwk: JSON.parse(row.public_key_jwk) as Record<string, unknown> }),
  ...(row.revoked_at === null ? {} : { revokedAt: new Date(row.revoked_at) }),
});

export interface IssuerKeyInfo {
  readonly id: string;
  readonly algorithm: KeyAlgorithm;
  readonly verificationMethod: string;
  /** Signs new credentials (the newest live key of its algorithm). */
  readonly current: boolean;
  readonly createdAt: string;
  readonly retiredAt: string | null;
  readonly revokedAt: string | null;
  readonly revocationReason: string | null;
}

const live = (row: IssuerKeyRow) => row.retired_at === null && row.revoked_at === null;
const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

function toKeyInfo(rows: readonly IssuerKeyRow[]): IssuerKeyInfo[] {
  const current = new Set(['Ed25519', 'P-256'].map((a) => rows.filter((r) => r.algorithm === a && live(r)).at(-1)?.id));
  return rows.map((row) => ({
    id: row.id,
    algorithm: row.algorithm,
    verificationMethod: row.verification_method,
    current: current.has(row.id),
    createdAt: new Date(row.created_at).toISOString(),
    retiredAt: iso(row.retired_at),
    revokedAt: iso(row.revoked_at),
    revocationReason: row.revocation_reason,
  }));
}

const didKeyCannotRotate = (issuer: IssuerRow) =>
  new Problem(
    'conflict',
    `The issuer ${issuer.id} is a did:key: its DID is its key, so the key cannot rotate. Use a did:web issuer to rotate keys, or create a new issuer.`,
  );

export function createIssuerService(deps: {
  db: Kysely<Database>;
  keyring: Pick<Keyring, 'generate'>;
  audit: Pick<AuditService, 'record'>;
  publicUrl: string;
  clock: () => Date;
}) {
  const { db, keyring, audit, publicUrl, clock } = deps;
  /** When this process last wrote each API key's last_used_at (ms). */
  const lastTouched = new Map<string, number>();

  /** A new key for a did:web issuer (its id names the key: `#key-<last 8 of the multibase>`). */
  const newKey = (issuer: Pick<IssuerRow, 'did'>, algorithm: KeyAlgorithm): Promise<StoredKey> =>
    keyring.generate({
      id: crypto.randomUUID(),
      controller: issuer.did,
      algorithm,
      verificationMethodFor: (publicKeyMultibase) => `${issuer.did}#key-${publicKeyMultibase.slice(-8)}`,
    });

  const keyRow = (issuerId: string, key: StoredKey) => ({
    id: key.id,
    issuer_id: issuerId,
    verification_method: key.verificationMethod,
    public_key_multibase: key.publicKeyMultibase,
    secret_key_envelope: key.secretKeyEnvelope,
    algorithm: key.algorithm ?? 'Ed25519',
    public_key_jwk: key.publicKeyJwk ?? null,
    created_at: clock(),
  });

  /** The issuer's OB 3.0 Profile, as embedded in its credentials. */
  const profileOf = (issuer: IssuerRow): Record<string, unknown> => {
    const profile: Record<string, unknown> = { id: issuer.did, type: ['Profile'], name: issuer.name };
    if (issuer.url) profile.url = issuer.url;
    if (issuer.email) profile.email = issuer.email;
    if (issuer.description) profile.description = issuer.description;
    if (issuer.image_url) profile.image = { id: issuer.image_url, type: 'Image' };
    if (issuer.parent_org_json) profile.parentOrg = JSON.parse(issuer.parent_org_json);
    return profile;
  };

  const createApiKey = async (issuerId: string, options: ApiKeyOptions, executor: Kysely<Database> = db): Promise<CreatedApiKey> => {
    const id = crypto.randomBytes(16).toString('hex');
    const secret = crypto.randomBytes(32).toString('base64url');
    const scopes = options.scopes ?? SCOPES;
    if (options.expiresAt !== undefined && options.expiresAt <= clock())
      throw new Problem('validation-failed', 'expiresAt must be in the future');
    await apiKeys.insertApiKey(executor, {
      id,
      issuer_id: issuerId,
      name: options.name,
      secret_hash: sha256(secret),
      scopes: [...scopes].join(' '),
      expires_at: options.expiresAt ?? null,
      created_at: clock(),
    });
    return { id, issuerId, name: options.name, scopes, expiresAt: options.expiresAt?.toISOString() ?? null, apiKey: `mck_${id}_${secret}` };
  };

  const ownKey = async (issuerId: string, id: string): Promise<ApiKeyRow> => {
    const row = /^[0-9a-f]{32}$/.test(id) ? await apiKeys.findApiKey(db, id) : undefined;
    if (row === undefined || row.issuer_id !== issuerId) throw new Problem('not-found', `No API key ${id} for this issuer`);
    return row;
  };

  return {
    profileOf,

    /** Creates an issuer, its signing key and a first API key, in one transaction. */
    async createIssuer(input: IssuerInput): Promise<{ issuer: IssuerRow; apiKey: CreatedApiKey }> {
      const id = crypto.randomUUID();
      const keyId = crypto.randomUUID();
      const method = input.didMethod ?? 'web';
      const didWeb = didWebFor(publicUrl, ['issuers', id]);
      const key = await keyring.generate({
        id: keyId,
        controller: didWeb,
        verificationMethodFor: (publicKeyMultibase) =>
          method === 'key' ? didKeyFor(publicKeyMultibase).verificationMethod : `${didWeb}#key-${publicKeyMultibase.slice(-8)}`,
      });
      const did = method === 'key' ? didKeyFor(key.publicKeyMultibase).did : didWeb;
      const parentOrg = input.parentOrg && {
        id: input.parentOrg.id ?? input.parentOrg.url ?? `urn:uuid:${crypto.randomUUID()}`,
        type: ['Profile'],
        name: input.parentOrg.name,
        ...(input.parentOrg.url ? { url: input.parentOrg.url } : {}),
      };
      return db.transaction().execute(async (trx) => {
        const issuer = await issuers.insertIssuer(trx, {
          id,
          did,
          did_method: method,
          name: input.name,
          url: input.url ?? null,
          email: input.email ?? null,
          description: input.description ?? null,
          image_url: input.imageUrl ?? null,
          parent_org_json: parentOrg ? JSON.stringify(parentOrg) : null,
          default_proof_type: input.proofType ?? 'eddsa-rdfc-2022',
          default_format: input.format ?? 'json-ld',
          created_at: clock(),
        });
        await issuers.insertIssuerKey(trx, {
          id: keyId,
          issuer_id: id,
          verification_method: key.verificationMethod,
          public_key_multibase: key.publicKeyMultibase,
          secret_key_envelope: key.secretKeyEnvelope,
          created_at: clock(),
        });
        const apiKey = await createApiKey(id, { name: 'initial' }, trx);
        return { issuer, apiKey };
      });
    },

    /** `executor`: a transaction in progress (the embedded database serves one connection at a time). */
    async getIssuer(id: string, executor: Kysely<Database> = db): Promise<IssuerRow> {
      const issuer = await issuers.findIssuer(executor, id);
      if (issuer === undefined) throw new Problem('issuer-not-found', `No issuer ${id}`);
      return issuer;
    },

    listIssuers: () => issuers.listIssuers(db),

    /**
     * The key that signs new credentials: the issuer's newest live Ed25519 key.
     * @throws {Problem} conflict when the issuer has none (a did:key issuer whose only key was reported compromised).
     */
    async signingKey(issuer: IssuerRow, executor: Kysely<Database> = db): Promise<StoredKey> {
      const keys = await issuers.listIssuerKeys(executor, issuer.id);
      const newest = keys.filter((k) => k.algorithm === 'Ed25519' && live(k)).at(-1);
      if (newest === undefined) {
        throw new Problem(
          'conflict',
          `The issuer ${issuer.id} has no usable signing key: its did:key key was reported compromised. Create a new issuer.`,
        );
      }
      return toStoredKey(newest, issuer.did);
    },

    /**
     * The key that signs the issuer's VC-JWTs: ES256 with a P-256 key for a did:web issuer (made on first use), or
     * EdDSA with the did:key itself (a did:key DID has room for one key only).
     */
    async jwtKey(issuer: IssuerRow): Promise<StoredKey> {
      if (issuer.did_method === 'key') return this.signingKey(issuer);
      const existing = (await issuers.listIssuerKeys(db, issuer.id)).filter((k) => k.algorithm === 'P-256' && live(k)).at(-1);
      if (existing !== undefined) return toStoredKey(existing, issuer.did);
      const key = await newKey(issuer, 'P-256');
      await issuers.insertIssuerKey(db, keyRow(issuer.id, key));
      return key;
    },

    /** The issuer's keys, oldest first: current, retired and revoked. */
    listKeys: async (issuerId: string): Promise<IssuerKeyInfo[]> => toKeyInfo(await issuers.listIssuerKeys(db, issuerId)),

    /**
     * Key rotation: new keys take over signing (Ed25519, and P-256 if the issuer signs JWTs); the old ones retire and
     * stay in the DID document, so what they signed keeps verifying. Only did:web issuers can rotate: a did:key is its key.
     */
    async rotateKeys(issuerId: string, actor: Actor): Promise<IssuerKeyInfo[]> {
      const issuer = await this.getIssuer(issuerId);
      if (issuer.did_method === 'key') throw didKeyCannotRotate(issuer);
      const before = await issuers.listIssuerKeys(db, issuerId);
      const algorithms: KeyAlgorithm[] = before.some((k) => k.algorithm === 'P-256' && live(k)) ? ['Ed25519', 'P-256'] : ['Ed25519'];
      const fresh = await Promise.all(algorithms.map((a) => newKey(issuer, a)));
      await db.transaction().execute(async (trx) => {
        const now = clock();
        for (const algorithm of algorithms) await issuers.retireLiveKeys(trx, issuerId, algorithm, now);
        for (const key of fresh) await issuers.insertIssuerKey(trx, keyRow(issuerId, key));
        await audit.record(
          {
            issuerId,
            actor: actorName(actor),
            action: 'key.rotate',
            target: issuer.did,
            detail: { newKeys: fresh.map((k) => k.verificationMethod) },
          },
          trx,
        );
      });
      return this.listKeys(issuerId);
    },

    /**
     * Reports a key compromised from `compromisedAt`: the DID document marks it revoked from then, and the verifier fails
     * what it signed from then on (by our records for our credentials, whatever date the proof claims). A live key is
     * replaced at once (did:web). `revokeAffected` runs in the same transaction with the credentials (ids) the key signed
     * since then that are not revoked yet, so the key and its credentials are revoked together or not at all.
     * @returns the keys, and those credentials.
     */
    async revokeKey(
      issuerId: string,
      keyId: string,
      input: { compromisedAt?: Date; reason: string },
      actor: Actor,
      revokeAffected: (trx: Transaction<Database>, credentialIds: readonly string[]) => Promise<void>,
    ): Promise<{ keys: IssuerKeyInfo[]; affectedCredentials: string[] }> {
      const issuer = await this.getIssuer(issuerId);
      const keys = await issuers.listIssuerKeys(db, issuerId);
      const key = keys.find((k) => k.id === keyId);
      if (key === undefined) throw new Problem('not-found', `No key ${keyId} for this issuer`);
      const now = clock();
      const compromisedAt = input.compromisedAt ?? now;
      if (compromisedAt > now) throw new Problem('validation-failed', 'compromisedAt must not be in the future');
      const replacement = live(key) && issuer.did_method === 'web' ? await newKey(issuer, key.algorithm) : undefined;
      const affectedCredentials = await db.transaction().execute(async (trx) => {
        if (!(await issuers.revokeIssuerKey(trx, { id: keyId, at: compromisedAt, reason: input.reason, now }))) {
          throw new Problem('conflict', 'This key is already reported compromised');
        }
        if (replacement !== undefined) await issuers.insertIssuerKey(trx, keyRow(issuerId, replacement));
        // Lists the key signed after the compromise date would no longer verify: sign them again with the new key. A
        // did:key issuer has no other key, so its last signed lists stay served (see status.signedList).
        if (issuer.did_method === 'web') await issuers.forgetSignedLists(trx, issuerId);
        await audit.record(
          {
            issuerId,
            actor: actorName(actor),
            action: 'key.revoke',
            target: key.verification_method,
            detail: {
              compromisedAt: compromisedAt.toISOString(),
              reason: input.reason,
              replacedBy: replacement?.verificationMethod ?? null,
            },
          },
          trx,
        );
        const signedSince = await issuers.unrevokedSignedSince(
          trx,
          { issuerId, verificationMethod: key.verification_method },
          compromisedAt,
        );
        const affected = signedSince
          .filter((c) => c.verification_method === key.verification_method || (c.jwt !== null && kidOf(c.jwt) === key.verification_method))
          .map((c) => c.id);
        await revokeAffected(trx, affected);
        return affected;
      });
      return { keys: await this.listKeys(issuerId), affectedCredentials };
    },

    /**
     * When one of our issuers signed the presented document, by our records: it must be the very document recorded
     * (the same JSON, or the same VC-JWT), so nothing altered or re-signed with a stolen key passes. undefined: not an
     * issuer of ours; null: ours, but this document was not recorded.
     */
    async recordedSigningTime(issuerDid: string, presented: PresentedDocument): Promise<Date | null | undefined> {
      const issuer = await issuers.findIssuerByDid(db, issuerDid);
      if (issuer === undefined) return undefined;
      if (presented.id === null) return null;
      const wanted = presented.jwt ?? canonicalJson(presented.json);
      for (const row of await issuers.recordedDocuments(db, issuer.id, presented.id)) {
        const recorded = presented.jwt === undefined ? canonicalJson(JSON.parse(row.signed_json)) : row.jwt;
        if (recorded === wanted) return new Date(row.created_at);
      }
      return null;
    },

    /** Revocation dates of our issuers' keys (did:key documents are computed, so ours are looked up here). */
    async keyRevocation(verificationMethod: string): Promise<Date | undefined> {
      const row = await issuers.findIssuerKeyByVerificationMethod(db, verificationMethod);
      return row?.revoked_at === null || row === undefined ? undefined : new Date(row.revoked_at);
    },

    /** The DID document of a did:web issuer hosted here (every key, so older credentials keep verifying). */
    async didDocument(id: string): Promise<Record<string, unknown>> {
      const issuer = await issuers.findIssuer(db, id);
      if (issuer === undefined || issuer.did_method !== 'web') throw new Problem('issuer-not-found', `No did:web issuer ${id}`);
      return buildDidDocument(issuer.did, (await issuers.listIssuerKeys(db, id)).map(toPublishedKey));
    },

    createApiKey: (issuerId: string, options: ApiKeyOptions) => createApiKey(issuerId, options),
    listApiKeys: (issuerId: string) => apiKeys.listApiKeys(db, issuerId),
    listApiKeyInfo: async (issuerId: string) => (await apiKeys.listApiKeys(db, issuerId)).map(toApiKeyInfo),
    /** The issuer an API key belongs to, if it exists. */
    apiKeyOwner: async (id: string) => (/^[0-9a-f]{32}$/.test(id) ? (await apiKeys.findApiKey(db, id))?.issuer_id : undefined),
    /** Revokes any key by id (CLI, operator). */
    revokeApiKey: (id: string) => apiKeys.revokeApiKey(db, id, clock()),
    /** Revokes one of an issuer's own keys. @throws 404 for another issuer's key, 409 if already revoked. */
    async revokeOwnApiKey(issuerId: string, id: string, actor: Actor): Promise<void> {
      await ownKey(issuerId, id);
      await db.transaction().execute(async (trx) => {
        if (!(await apiKeys.revokeApiKey(trx, id, clock()))) throw new Problem('conflict', 'The API key is already revoked');
        await audit.record({ issuerId, actor: actorName(actor), action: 'apikey.revoke', target: id }, trx);
      });
    },
    /** An audited new key for the issuer. */
    async createApiKeyAudited(issuerId: string, options: ApiKeyOptions, actor: Actor): Promise<CreatedApiKey> {
      return db.transaction().execute(async (trx) => {
        const key = await createApiKey(issuerId, options, trx);
        await audit.record(
          { issuerId, actor: actorName(actor), action: 'apikey.create', target: key.id, detail: { scopes: key.scopes } },
          trx,
        );
        return key;
      });
    },
    /**
     * A new key with the same name and scopes; the old one stops now, or after `graceSeconds` (never after its own
     * expiry). One transaction, and the old key is retired only if still live: two concurrent rotations cannot
     * both succeed.
     */
    async rotateApiKey(issuerId: string, id: string, graceSeconds: number, actor: Actor): Promise<CreatedApiKey> {
      const old = await ownKey(issuerId, id);
      if (old.expires_at !== null && old.expires_at <= clock())
        throw new Problem('conflict', 'This API key has expired; create a new one instead');
      return db.transaction().execute(async (trx) => {
        const created = await createApiKey(
          issuerId,
          { name: old.name, scopes: parseScopes(old.scopes), expiresAt: old.expires_at ?? undefined },
          trx,
        );
        if (!(await apiKeys.retireApiKey(trx, { id, rotatedTo: created.id, at: clock(), graceSeconds }))) {
          throw new Problem('conflict', 'This API key is already revoked or rotated');
        }
        await audit.record(
          { issuerId, actor: actorName(actor), action: 'apikey.rotate', target: id, detail: { replacedBy: created.id, graceSeconds } },
          trx,
        );
        return created;
      });
    },
    /** The issuer an API key acts for, or null for an unknown, malformed or revoked key. */
    async findApiKey(token: string): Promise<ApiKeyIdentity | null> {
      const match = API_KEY.exec(token);
      if (!match) return null;
      const row = await apiKeys.findApiKey(db, match[1]!);
      if (row === undefined || row.revoked_at !== null) return null;
      const expected = Buffer.from(row.secret_hash, 'hex');
      const actual = Buffer.from(sha256(match[2]!), 'hex');
      if (!crypto.timingSafeEqual(expected, actual)) return null;
      const now = clock();
      if (row.expires_at !== null && row.expires_at <= now) return null;
      // last_used_at has minute resolution (touchApiKey): this process writes it at most once a minute per key.
      const touched = lastTouched.get(row.id);
      if (touched === undefined || now.getTime() - touched >= 60_000) {
        if (lastTouched.size >= 10_000) lastTouched.clear();
        lastTouched.set(row.id, now.getTime());
        await apiKeys.touchApiKey(db, row.id, now);
      }
      return { apiKeyId: row.id, issuerId: row.issuer_id, scopes: parseScopes(row.scopes) };
    },
    /** The identity of a key still in force (not revoked, not expired), for work it started earlier (batches). */
    async identityOf(apiKeyId: string): Promise<ApiKeyIdentity | null> {
      const row = await apiKeys.findApiKey(db, apiKeyId);
      if (row === undefined || row.revoked_at !== null) return null;
      if (row.expires_at !== null && row.expires_at <= clock()) return null;
      return { apiKeyId: row.id, issuerId: row.issuer_id, scopes: parseScopes(row.scopes) };
    },
  };
}

export type IssuerService = ReturnType<typeof createIssuerService>;
