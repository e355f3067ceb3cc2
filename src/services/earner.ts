/**
 * Earner access without accounts. Two kinds of private link, both unguessable, expiring and revocable:
 * - a claim link, made with every credential (returned to the issuing platform, which delivers it): the
 *   credential's downloads and the wallet pickup;
 * - a wallet link, made on a platform's request for a recipient identifier: every credential this service
 *   holds for that identifier's lookup hash, across issuers, with the wallet file and one CLR per issuer.
 *
 * A link's token is an HMAC of its id under the master key: the database stores only the token's SHA-256, yet
 * the service can give the same claim link again when a platform retries an issue request.
 */
import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { CredentialRow, Database, EarnerLinkKind, EarnerLinkRow } from '../db/database.js';
import * as credentials from '../db/repositories/credentials.js';
import * as earner from '../db/repositories/earner.js';
import { buildClr } from '../credentials/clr.js';
import type { DocumentLoader } from '../credentials/document-loader.js';
import { buildWalletPresentation, DidAuthError, didAuthRequest, verifyDidAuth } from '../credentials/presentation.js';
import { signCredential } from '../credentials/sign.js';
import { contextsForProof, createSigningSuite } from '../credentials/suites.js';
import type { Keyring } from '../keys/keyring.js';
import type { SecretBox } from '../keys/master-key.js';
import { Problem } from '../errors.js';
import { apiKeyActor, type AuditService } from './audit.js';
import { isUuid } from './ids.js';
import type { ApiKeyIdentity, IssuerService } from './issuers.js';
import { recipientLookupHash } from './privacy.js';
import type { CredentialValidator } from './issuance.js';
import type { StackProgress } from './stacks.js';

const DAY_MS = 86_400_000;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const CHALLENGE_TTL_MS = 24 * 3_600_000;

export interface EarnerLink {
  readonly id: string;
  readonly kind: EarnerLinkKind;
  readonly url: string;
  readonly expiresAt: string;
}

/** One credential as the earner sees it. */
export interface Holding {
  readonly id: string;
  readonly url: string;
  readonly issuerId: string;
  readonly status: 'active' | 'suspended' | 'revoked';
  readonly expired: boolean;
  /** Active and not expired: goes into the wallet file and CLRs. */
  readonly current: boolean;
  readonly issuedAt: string;
  readonly credential: Record<string, unknown>;
  readonly text: string;
}

export interface OpenedLink {
  readonly link: EarnerLinkRow;
  readonly holdings: readonly Holding[];
  /** For the exchange: where the wallet posts, and what it must sign. */
  readonly exchangeUrl: string;
  readonly pageUrl: string;
  /** Whose credentials these are (the wallet link's, or the claimed credential's): for pathways, never shown. */
  readonly lookupHash: string | null;
  readonly achievementIds: readonly string[];
}

const isUniqueViolation = (error: unknown): boolean => (error as { code?: string }).code === '23505';

export function createEarnerService(deps: {
  db: Kysely<Database>;
  box: Pick<SecretBox, 'mac'>;
  keyring: Pick<Keyring, 'signerFor'>;
  issuers: Pick<IssuerService, 'getIssuer' | 'profileOf' | 'signingKey'>;
  audit: Pick<AuditService, 'record'>;
  documentLoader: DocumentLoader;
  validateClr: CredentialValidator;
  publicUrl: string;
  clock: () => Date;
  claimLinkTtlDays: number;
  walletLinkTtlDays: number;
  /** Progress on the stacks that contain any of these achievements (stacks.ts), for the earner's page. */
  pathwaysOf?: (lookupHash: string, achievementIds: readonly string[]) => Promise<StackProgress[]>;
  /** Awards a stack the earner asks for (stacks.ts awardForEarner). */
  awardStack?: (lookupHash: string, stackId: string) => Promise<{ outcome: string }>;
}) {
  const { db, box, keyring, issuers, audit, documentLoader, validateClr, publicUrl, clock } = deps;
  const domain = new URL(publicUrl).host;

  const tokenOf = (linkId: string): string => Buffer.from(box.mac('earner-link', linkId), 'hex').toString('base64url');
  const hashOf = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');
  const pageUrlOf = (kind: EarnerLinkKind, token: string) => `${publicUrl}/${kind === 'claim' ? 'claim' : 'earner'}/${token}`;
  const exchangeUrlOf = (token: string) => `${publicUrl}/exchanges/${token}`;
  /**
   * The link's DID-authentication challenge: random, kept while it has over an hour left (so pages and deep links
   * made a little earlier still work), replaced after, and used up by a successful pickup, so no presentation
   * can be replayed.
   */
  const challengeOf = async (link: EarnerLinkRow): Promise<string> => {
    const now = clock();
    if (
      link.challenge !== null &&
      link.challenge_expires_at !== null &&
      new Date(link.challenge_expires_at).getTime() - now.getTime() > 3_600_000
    ) {
      return link.challenge;
    }
    const challenge = crypto.randomBytes(32).toString('base64url');
    await earner.setChallenge(db, link.id, challenge, new Date(now.getTime() + CHALLENGE_TTL_MS));
    return challenge;
  };
  const toLink = (row: Pick<EarnerLinkRow, 'id' | 'kind' | 'expires_at'>): EarnerLink => ({
    id: row.id,
    kind: row.kind,
    url: pageUrlOf(row.kind, tokenOf(row.id)),
    expiresAt: new Date(row.expires_at).toISOString(),
  });

  async function insert(
    executor: Kysely<Database> | Transaction<Database>,
    args: {
      kind: EarnerLinkKind;
      issuerId: string;
      apiKeyId: string | null;
      credentialId?: string;
      lookupHash?: string;
      ttlDays: number;
      now: Date;
      atIssuance?: boolean;
    },
  ): Promise<EarnerLink> {
    const id = crypto.randomUUID();
    const expires = new Date(args.now.getTime() + args.ttlDays * DAY_MS);
    await earner.insertLink(executor, {
      id,
      kind: args.kind,
      token_hash: hashOf(tokenOf(id)),
      issuer_id: args.issuerId,
      credential_id: args.credentialId ?? null,
      recipient_lookup_hash: args.lookupHash ?? null,
      api_key_id: args.apiKeyId,
      at_issuance: args.atIssuance ?? false,
      created_at: args.now,
      expires_at: expires,
    });
    return toLink({ id, kind: args.kind, expires_at: expires });
  }

  const toHolding = (row: CredentialRow, now: Date): Holding => {
    const expired = row.valid_until !== null && new Date(row.valid_until) <= now;
    return {
      id: row.id,
      url: row.credential_url,
      issuerId: row.issuer_id,
      status: row.status,
      expired,
      current: row.status === 'active' && !expired,
      issuedAt: new Date(row.created_at).toISOString(),
      credential: JSON.parse(row.signed_json) as Record<string, unknown>,
      text: row.signed_json,
    };
  };

  /** The link behind a token, if it is live. @throws {Problem} link-not-found or link-expired. */
  async function open(token: string, expected?: EarnerLinkKind): Promise<OpenedLink> {
    const link = TOKEN_PATTERN.test(token) ? await earner.findLinkByTokenHash(db, hashOf(token)) : undefined;
    if (link === undefined || (expected !== undefined && link.kind !== expected)) {
      throw new Problem('link-not-found', 'This link does not exist; check that it was copied whole');
    }
    const now = clock();
    if (link.revoked_at !== null) throw new Problem('link-expired', 'The issuer revoked this link; ask them for a new one');
    if (new Date(link.expires_at) <= now) throw new Problem('link-expired', 'This link has expired; ask the issuer for a new one');
    await earner.touchLink(db, link.id, now);
    let rows: CredentialRow[];
    if (link.kind === 'claim') {
      const row = await credentials.findCredential(db, link.credential_id!);
      rows = row === undefined ? [] : [row];
    } else {
      rows = link.recipient_lookup_hash === null ? [] : await earner.credentialsOfRecipient(db, link.recipient_lookup_hash);
    }
    return {
      link,
      holdings: rows.map((r) => toHolding(r, now)),
      exchangeUrl: exchangeUrlOf(token),
      pageUrl: pageUrlOf(link.kind, token),
      lookupHash: link.recipient_lookup_hash ?? rows[0]?.recipient_lookup_hash ?? null,
      achievementIds: [...new Set(rows.flatMap((r) => (r.achievement_id === null ? [] : [r.achievement_id])))],
    };
  }

  /** Progress on the stacks the link's credentials belong to (only the page and a stack request need it). */
  const pathwaysOf = async (opened: OpenedLink): Promise<StackProgress[]> =>
    opened.lookupHash === null || deps.pathwaysOf === undefined ? [] : deps.pathwaysOf(opened.lookupHash, opened.achievementIds);

  /** The CHAPI/VC-API "protocols" object of an opened link, with its current challenge. */
  async function protocolsOf(opened: OpenedLink) {
    const challenge = await challengeOf(opened.link);
    const request = didAuthRequest({ challenge, domain, exchangeUrl: opened.exchangeUrl });
    const lcw =
      `https://lcw.app/request.html?issuer=${encodeURIComponent(domain)}&auth_type=bearer` +
      `&challenge=${encodeURIComponent(challenge)}&vc_request_url=${encodeURIComponent(opened.exchangeUrl)}`;
    // iu: the interaction URL (short enough for a readable QR code): JSON protocols for wallets, the page for people.
    return { iu: `${opened.pageUrl}?iuv=1`, vcapi: opened.exchangeUrl, lcw, verifiablePresentationRequest: request };
  }

  /** A link made on a platform's request, audited in the same transaction (never whom it is for). */
  const createAudited = (
    caller: ApiKeyIdentity,
    args: { kind: EarnerLinkKind; credentialId?: string; lookupHash?: string; ttlDays: number },
  ): Promise<EarnerLink> =>
    db.transaction().execute(async (trx) => {
      const link = await insert(trx, { ...args, issuerId: caller.issuerId, apiKeyId: caller.apiKeyId, now: clock() });
      const detail = {
        kind: args.kind,
        ...(args.credentialId === undefined ? {} : { credentialId: args.credentialId }),
        expiresAt: link.expiresAt,
      };
      await audit.record(
        { issuerId: caller.issuerId, actor: apiKeyActor(caller.apiKeyId), action: 'earner-link.create', target: link.id, detail },
        trx,
      );
      return link;
    });

  const current = (opened: OpenedLink): Holding[] => opened.holdings.filter((h) => h.current);

  const ownCredential = async (caller: ApiKeyIdentity, credentialId: string): Promise<CredentialRow> => {
    const row = isUuid(credentialId) ? await credentials.findCredential(db, credentialId) : undefined;
    if (row === undefined) throw new Problem('credential-not-found', `No credential ${credentialId}`);
    if (row.issuer_id !== caller.issuerId) throw new Problem('forbidden', 'This credential belongs to another issuer');
    return row;
  };

  const walletPresentation = (holdings: readonly Holding[]) =>
    buildWalletPresentation(
      `urn:uuid:${crypto.randomUUID()}`,
      holdings.map((h) => h.credential),
    );

  return {
    /** Made in the issuing transaction, so a credential never exists without its claim link. */
    newClaimLink: (trx: Transaction<Database>, args: { credentialId: string; issuerId: string; apiKeyId: string | null; now: Date }) =>
      insert(trx, { kind: 'claim', ...args, ttlDays: deps.claimLinkTtlDays, atIssuance: true }),

    /** The claim link made at issuance, while it is live (for an idempotent replay). */
    /**
     * The educator (recipient lookup hash) behind one of their live links, given as the link or its token: how they
     * sign in to authorize an application (the OB 3.0 API consent page).
     * @throws {Problem} link-not-found or link-expired.
     */
    async subjectOfLink(link: string): Promise<{ subject: string; linkId: string }> {
      const token =
        link
          .trim()
          .split(/[?#]/)[0]!
          .split('/')
          .filter((part) => part !== '')
          .at(-1) ?? '';
      const opened = await open(token);
      if (opened.lookupHash === null) throw new Problem('link-not-found', 'This link no longer names anyone (the recipient was erased)');
      return { subject: opened.lookupHash, linkId: opened.link.id };
    },

    async claimLinkOf(credentialId: string): Promise<EarnerLink | undefined> {
      const row = await earner.findIssuanceClaimLink(db, credentialId);
      return row === undefined || row.revoked_at !== null || new Date(row.expires_at) <= clock() ? undefined : toLink(row);
    },

    /** A fresh claim link for one of the caller's credentials (for example after the first expired). */
    async createClaimLink(caller: ApiKeyIdentity, credentialId: string, expiresInDays?: number): Promise<EarnerLink> {
      const row = await ownCredential(caller, credentialId);
      return createAudited(caller, { kind: 'claim', credentialId: row.id, ttlDays: expiresInDays ?? deps.claimLinkTtlDays });
    },

    /** A wallet link: every credential held for the identifier, across issuers. */
    async createWalletLink(
      caller: ApiKeyIdentity,
      recipient: { identity: string; identityType?: string },
      expiresInDays?: number,
    ): Promise<EarnerLink> {
      const lookupHash = recipientLookupHash(box, recipient.identityType ?? 'emailAddress', recipient.identity);
      // A platform may open the wallet only of an educator it has awarded: no fishing for other issuers' records.
      if (!(await credentials.hasIssuedTo(db, caller.issuerId, lookupHash))) {
        throw new Problem(
          'forbidden',
          'This issuer has issued no credential to that identifier; a wallet link can be requested only by an issuer of the educator',
        );
      }
      return createAudited(caller, { kind: 'wallet', lookupHash, ttlDays: expiresInDays ?? deps.walletLinkTtlDays });
    },

    async revokeLink(caller: ApiKeyIdentity, id: string): Promise<void> {
      const row = isUuid(id) ? await earner.findLink(db, id) : undefined;
      if (row === undefined || row.issuer_id !== caller.issuerId) throw new Problem('link-not-found', `No link ${id} of this issuer`);
      await db.transaction().execute(async (trx) => {
        if (!(await earner.revokeLink(trx, id, clock()))) return; // already revoked: idempotent
        await audit.record(
          { issuerId: caller.issuerId, actor: apiKeyActor(caller.apiKeyId), action: 'earner-link.revoke', target: id },
          trx,
        );
      });
    },

    open,

    /** The wallet file: every current credential of the link, as one presentation. */
    async walletFile(token: string, kind?: EarnerLinkKind): Promise<Record<string, unknown>> {
      const holdings = current(await open(token, kind));
      if (holdings.length === 0)
        throw new Problem('nothing-to-bundle', 'None of these credentials is current (all are revoked, suspended or expired)');
      return walletPresentation(holdings);
    },

    /**
     * A CLR of one issuer's current credentials on this link, signed by that issuer and recorded. The same
     * bundle is signed once: a later download returns the stored CLR byte for byte.
     */
    async clr(token: string, issuerId: string, kind?: EarnerLinkKind): Promise<{ id: string; text: string }> {
      const opened = await open(token, kind);
      const holdings = current(opened).filter((h) => h.issuerId === issuerId);
      if (holdings.length === 0) throw new Problem('nothing-to-bundle', 'This issuer has no current credentials on this link');
      const bundleHash = crypto
        .createHash('sha256')
        .update(
          holdings
            .map((h) => h.id)
            .sort()
            .join('\n'),
        )
        .digest('hex');
      const existing = await earner.findClr(db, issuerId, bundleHash);
      if (existing !== undefined) return { id: existing.id, text: existing.signed_json };

      const issuer = await issuers.getIssuer(issuerId);
      const signer = await keyring.signerFor(await issuers.signingKey(issuer));
      const now = clock();
      const id = crypto.randomUUID();
      const unsigned = buildClr({
        id: `urn:uuid:${id}`,
        issuer: issuers.profileOf(issuer),
        credentials: holdings.map((h) => h.credential),
        now,
        extraContexts: contextsForProof(issuer.default_proof_type),
      });
      const errors = validateClr(unsigned);
      if (errors.length > 0)
        throw new Error(`CLR does not conform to its schema: ${errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`);
      const signed = await signCredential({
        credential: unsigned,
        suite: createSigningSuite({ proofType: issuer.default_proof_type, signer, date: now }),
        documentLoader,
      });
      const text = JSON.stringify(signed);
      try {
        await db.transaction().execute(async (trx) => {
          await earner.insertClr(trx, {
            id,
            issuer_id: issuerId,
            recipient_lookup_hash: opened.link.recipient_lookup_hash,
            bundle_hash: bundleHash,
            signed_json: text,
            created_at: now,
          });
          await audit.record(
            {
              issuerId,
              actor: 'system',
              action: 'clr.issue',
              target: `urn:uuid:${id}`,
              detail: { credentials: holdings.length, link: opened.link.id },
            },
            trx,
          );
        });
      } catch (error) {
        // Two downloads raced: the first one's CLR is the record.
        const winner = isUniqueViolation(error) ? await earner.findClr(db, issuerId, bundleHash) : undefined;
        if (winner === undefined) throw error;
        return { id: winner.id, text: winner.signed_json };
      }
      return { id, text };
    },

    /**
     * The earner asks for a stack they have completed (an on-request stack, or one completed before it existed):
     * only stacks on their own page, awarded to the identity their credentials carry.
     */
    async requestStack(token: string, stackId: string): Promise<string> {
      const opened = await open(token);
      const onPage = (await pathwaysOf(opened)).some((p) => p.stackId === stackId);
      if (!onPage || opened.lookupHash === null || deps.awardStack === undefined) {
        throw new Problem('not-found', 'That stack is not one of your pathways');
      }
      const result = await deps.awardStack(opened.lookupHash, stackId);
      if (result.outcome === 'not-complete') throw new Problem('stack-not-complete', "Your credentials do not meet this stack's rules yet");
      return opened.pageUrl;
    },

    /** What a wallet needs to start the pickup (CHAPI/VC-API "protocols" object and the LCW deep link). */
    async protocols(token: string) {
      return { protocols: await protocolsOf(await open(token)) };
    },

    /** Everything the link's page shows: the link opened once, its protocols and, for people, its pathways. */
    async page(token: string, kind: EarnerLinkKind, options: { pathways: boolean }) {
      const opened = await open(token, kind);
      return { opened, protocols: await protocolsOf(opened), pathways: options.pathways ? await pathwaysOf(opened) : [] };
    },

    /**
     * One step of the VC-API exchange: an empty body gets the DID authentication request; a signed DID
     * authentication presentation gets the credentials, in a presentation.
     */
    async exchange(token: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
      const opened = await open(token);
      const presentation =
        body.verifiablePresentation ?? (Array.isArray(body.type) && body.type.includes('VerifiablePresentation') ? body : undefined);
      if (presentation === undefined) {
        return {
          verifiablePresentationRequest: didAuthRequest({
            challenge: await challengeOf(opened.link),
            domain,
            exchangeUrl: opened.exchangeUrl,
          }),
        };
      }
      const { challenge, challenge_expires_at: expiresAt } = opened.link;
      if (challenge === null || expiresAt === null || new Date(expiresAt) <= clock()) {
        throw new Problem(
          'did-authentication-failed',
          'No challenge is open for this exchange (it expired or was used); start again with an empty request',
        );
      }
      let holder: string;
      try {
        holder = await verifyDidAuth({ presentation, challenge, domain, documentLoader });
      } catch (error) {
        if (error instanceof DidAuthError) throw new Problem('did-authentication-failed', error.message);
        throw error;
      }
      const holdings = current(opened);
      if (holdings.length === 0) throw new Problem('nothing-to-bundle', 'There is no current credential to collect on this link');
      const now = clock();
      await db.transaction().execute(async (trx) => {
        if (!(await earner.markClaimed(trx, opened.link.id, now, holder, challenge))) {
          throw new Problem('did-authentication-failed', 'This challenge was already used; start again with an empty request');
        }
        await audit.record(
          {
            issuerId: opened.link.issuer_id,
            actor: 'system',
            action: 'credential.claim',
            target: opened.link.id,
            detail: { credentials: holdings.length },
          },
          trx,
        );
      });
      return { verifiablePresentation: walletPresentation(holdings) };
    },
  };
}

export type EarnerService = ReturnType<typeof createEarnerService>;
