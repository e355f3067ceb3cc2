/**
 * The 1EdTech Open Badges 3.0 REST API (OB 3.0 §6, §7), as a host for educators: OAuth 2.0 with dynamic client
 * registration (RFC 7591), the authorization code grant with PKCE (S256 only), refresh and revocation (RFC 7009);
 * then getCredentials, upsertCredential, getProfile and putProfile over what the educator holds here.
 *
 * Who the educator is: whoever holds one of their private earner links (the claim or wallet link this service made
 * for them) signs in on the consent page with it. Their `subject` is the keyed hash of their recipient identifier, the
 * same one their credentials carry, so a client sees every current credential issued here to them, plus what it
 * keeps here itself. Secrets (client secrets, codes, tokens) are stored as SHA-256 hashes only.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, OAuthClientRow, OAuthGrantRow } from '../db/database.js';
import * as repo from '../db/repositories/ob3-api.js';
import { Problem } from '../errors.js';
import type { SchemaError } from '../credentials/schema.js';
import { credentialOfPayload, decodeJws, jwtOf } from '../credentials/jwt.js';
import { idOf } from '../credentials/json.js';
import type { VerificationReport } from '../credentials/verify.js';

const SCOPE_BASE = 'https://purl.imsglobal.org/spec/ob/v3p0/scope/';
export const OB_SCOPES = {
  credentialRead: `${SCOPE_BASE}credential.readonly`,
  credentialUpsert: `${SCOPE_BASE}credential.upsert`,
  profileRead: `${SCOPE_BASE}profile.readonly`,
  profileUpdate: `${SCOPE_BASE}profile.update`,
} as const;
export type ObScope = (typeof OB_SCOPES)[keyof typeof OB_SCOPES];
/** Not an OB scope, but the spec's examples ask for it to get a refresh token: accepted, and honoured that way. */
const OFFLINE_ACCESS = 'offline_access';
const KNOWN_SCOPES: readonly string[] = [...Object.values(OB_SCOPES), OFFLINE_ACCESS];

/** What each scope lets a client do, in the educator's words (the consent page). */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  [OB_SCOPES.credentialRead]: 'See your badges (every current badge issued to you here, and those you keep here)',
  [OB_SCOPES.credentialUpsert]: 'Add badges to what you keep here, or replace them',
  [OB_SCOPES.profileRead]: 'See your profile',
  [OB_SCOPES.profileUpdate]: 'Change your profile',
  [OFFLINE_ACCESS]: 'Keep this access when you are away',
};

const CODE_TTL_MS = 600_000;
const ACCESS_TTL_S = 3600;
const REFRESH_TTL_MS = 90 * 86_400_000;
export const MAX_PAGE = 500;

/** An OAuth error (RFC 6749 §5.2, RFC 7591 §3.2.2): `{error, error_description}` with its status. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

/**
 * An authorization request that cannot go on. `redirect`: the client and redirect URI are known, so the error goes
 * back to the client; otherwise it is shown to the person (RFC 6749 §4.1.2.1: never redirect to an unverified URI).
 */
export class AuthorizationError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly redirect?: { uri: string; state: string },
  ) {
    super(description);
    this.name = 'AuthorizationError';
  }
}

export interface ClientMetadata {
  readonly client_name: string;
  readonly client_uri: string;
  readonly logo_uri: string;
  readonly tos_uri: string;
  readonly policy_uri: string;
  readonly software_id: string;
  readonly software_version: string;
  readonly redirect_uris: readonly string[];
  readonly scope: string;
  readonly token_endpoint_auth_method: 'client_secret_basic';
  readonly grant_types: readonly string[];
  readonly response_types: readonly string[];
  readonly contacts?: readonly string[];
}

export interface AuthorizationRequest {
  readonly client: ClientMetadata & { readonly client_id: string };
  readonly redirectUri: string;
  readonly scope: string;
  readonly state: string;
  readonly codeChallenge: string;
}

/** RFC 6749 §5.2 / §4.1.2.1: error_description holds printable ASCII without `"` and `\\` only. */
export const oauthText = (description: string) => description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?').slice(0, 500);

const sha256 = (value: string) => crypto.createHash('sha256').update(value, 'utf8').digest('base64url');
const secret = (prefix: string) => `${prefix}${crypto.randomBytes(32).toString('base64url')}`;
const scopesOf = (scope: string) => scope.split(' ').filter((s) => s !== '');
const equalHashes = (a: string, b: string) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** RFC 7591 metadata as the OB profile requires it. @throws {OAuthError} invalid_redirect_uri or invalid_client_metadata. */
export function checkClientMetadata(input: Record<string, unknown>): ClientMetadata {
  const bad = (detail: string) => new OAuthError('invalid_client_metadata', detail);
  const text = (name: string) => {
    const value = input[name];
    if (typeof value !== 'string' || value.trim() === '' || value.length > 2048) throw bad(`${name} is required (a non-empty string)`);
    return value;
  };
  const https = (name: string, value: string, error = 'invalid_client_metadata') => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new OAuthError(error, `${name} must be an absolute URL`);
    }
    if (url.protocol !== 'https:') throw new OAuthError(error, `${name} must use https`);
    if (url.hash !== '') throw new OAuthError(error, `${name} must not have a fragment`);
    return url;
  };
  const list = (name: string, required: boolean): string[] | undefined => {
    const value = input[name];
    if (value === undefined && !required) return undefined;
    if (!Array.isArray(value) || value.length === 0 || value.length > 20 || value.some((v) => typeof v !== 'string' || v === '')) {
      throw bad(`${name} must be a non-empty array of strings (arrays even for one value)`);
    }
    return value as string[];
  };
  const client_name = text('client_name');
  const urls = ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'].map((name) => ({ name, url: https(name, text(name)) }));
  const redirect_uris = list('redirect_uris', true)!;
  const redirects = redirect_uris.map((uri) => https('redirect_uris', uri, 'invalid_redirect_uri'));
  const host = urls[0]!.url.hostname;
  for (const { name, url } of urls) if (url.hostname !== host) throw bad(`${name} must be on the same host as client_uri (${host})`);
  for (const url of redirects) {
    if (url.hostname !== host)
      throw new OAuthError('invalid_redirect_uri', `redirect_uris must be on the same host as client_uri (${host})`);
  }
  const scope = input.scope === undefined ? Object.values(OB_SCOPES).join(' ') : text('scope');
  const unknown = scopesOf(scope).filter((s) => !KNOWN_SCOPES.includes(s));
  if (unknown.length > 0) throw bad(`Unknown scope ${unknown.join(', ')}; the scopes are ${KNOWN_SCOPES.join(', ')}`);
  const method = input.token_endpoint_auth_method ?? 'client_secret_basic';
  if (method !== 'client_secret_basic') throw bad('token_endpoint_auth_method must be client_secret_basic');
  const grant_types = list('grant_types', false) ?? ['authorization_code'];
  if (grant_types.some((g) => g !== 'authorization_code' && g !== 'refresh_token') || !grant_types.includes('authorization_code')) {
    throw bad('grant_types may be authorization_code and refresh_token, and must include authorization_code');
  }
  const response_types = list('response_types', false) ?? ['code'];
  if (response_types.some((r) => r !== 'code')) throw bad('response_types may only be code');
  const contacts = list('contacts', false);
  return {
    client_name,
    client_uri: text('client_uri'),
    logo_uri: text('logo_uri'),
    tos_uri: text('tos_uri'),
    policy_uri: text('policy_uri'),
    software_id: text('software_id'),
    software_version: text('software_version'),
    redirect_uris,
    scope,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types,
    response_types,
    ...(contacts === undefined ? {} : { contacts }),
  };
}

/** The issuer and credential ids of a credential (JSON or the payload of a JWS), normalised for equality (OB §Equality). */
function identityOf(credential: Record<string, unknown>): { issuer: string; id: string } | undefined {
  const issuerId = idOf(credential.issuer);
  const normal = (value: unknown) => {
    if (typeof value !== 'string') return undefined;
    try {
      return decodeURIComponent(value).trim();
    } catch {
      return value.trim();
    }
  };
  const i = normal(issuerId);
  const c = normal(credential.id);
  return i && c ? { issuer: i, id: c } : undefined;
}

/** Issuer and credential ids are indexed together: each must stay well within an index entry. */
const MAX_REF_BYTES = 1200;
function checkedIdentity(credential: Record<string, unknown>): { issuer: string; id: string } {
  const identity = identityOf(credential);
  if (identity === undefined) throw new Problem('validation-failed', 'The credential needs an id and an issuer (with an id)');
  if (Buffer.byteLength(identity.issuer) > MAX_REF_BYTES || Buffer.byteLength(identity.id) > MAX_REF_BYTES) {
    throw new Problem('validation-failed', `The credential's id and its issuer's id must each be at most ${MAX_REF_BYTES} bytes`);
  }
  return identity;
}

export function createOb3ApiService(deps: {
  db: Kysely<Database>;
  /** The educator behind one of their earner links (a URL or its token). */
  subjectOfLink: (link: string) => Promise<{ subject: string; linkId: string }>;
  verify: (credential: unknown) => Promise<VerificationReport>;
  validateProfile: (profile: unknown) => SchemaError[];
  clock: () => Date;
}) {
  const { db, clock } = deps;

  const clientOf = async (id: string): Promise<(ClientMetadata & { client_id: string }) | undefined> => {
    const row = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await repo.findClient(db, id) : undefined;
    return row === undefined ? undefined : { ...(JSON.parse(row.metadata_json) as ClientMetadata), client_id: row.id };
  };

  /** HTTP Basic client authentication (RFC 6749 §2.3.1: id and secret are form-urlencoded first). */
  async function authenticateClient(authorization: string | undefined): Promise<ClientMetadata & { client_id: string }> {
    const fail = () => new OAuthError('invalid_client', 'Authenticate the client with HTTP Basic (client_id:client_secret)', 401);
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
    if (!match) throw fail();
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw fail();
    let id: string;
    let presented: string;
    try {
      id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      presented = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw fail();
    }
    const row = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await repo.findClient(db, id) : undefined;
    if (row === undefined || !equalHashes(row.secret_hash, sha256(presented))) throw fail();
    return { ...(JSON.parse(row.metadata_json) as ClientMetadata), client_id: row.id };
  }

  /**
   * Issues an access token for `scope` (and a refresh token when the client may refresh) for a grant. The refresh token
   * keeps `refreshScope`, the whole grant's: asking for less narrows the access token only (RFC 6749 §6).
   */
  async function issueTokens(
    grant: Pick<OAuthGrantRow, 'id' | 'client_id'>,
    scope: string,
    refreshScope: string,
    client: ClientMetadata,
    executor = db,
  ) {
    const now = clock();
    const access = secret('oba_');
    await repo.insertToken(executor, {
      hash: sha256(access),
      grant_id: grant.id,
      kind: 'access',
      scope,
      expires_at: new Date(now.getTime() + ACCESS_TTL_S * 1000),
      revoked_at: null,
      created_at: now,
    });
    // Refresh tokens only for clients registered for the refresh_token grant (offline_access alone does not make one).
    const refreshable = client.grant_types.includes('refresh_token');
    let refresh: string | undefined;
    if (refreshable) {
      refresh = secret('obr_');
      await repo.insertToken(executor, {
        hash: sha256(refresh),
        grant_id: grant.id,
        kind: 'refresh',
        scope: refreshScope,
        expires_at: new Date(now.getTime() + REFRESH_TTL_MS),
        revoked_at: null,
        created_at: now,
      });
    }
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: ACCESS_TTL_S,
      scope,
      ...(refresh === undefined ? {} : { refresh_token: refresh }),
    };
  }

  return {
    /** RFC 7591 registration: the accepted metadata echoed, with the client's id and secret (shown once). */
    async register(input: Record<string, unknown>) {
      const metadata = checkClientMetadata(input);
      const now = clock();
      const id = crypto.randomBytes(16).toString('hex');
      const clientSecret = secret('obs_');
      const row: OAuthClientRow = { id, secret_hash: sha256(clientSecret), metadata_json: JSON.stringify(metadata), created_at: now };
      await repo.insertClient(db, row);
      return {
        ...metadata,
        client_id: id,
        client_secret: clientSecret,
        client_id_issued_at: Math.floor(now.getTime() / 1000),
        client_secret_expires_at: 0,
      };
    },

    /**
     * Checks an authorization request (RFC 6749 §4.1.1 with PKCE, RFC 7636).
     * @throws {AuthorizationError} shown to the person for an unknown client or redirect URI, else sent to the client.
     */
    async checkAuthorizationRequest(query: Record<string, unknown>): Promise<AuthorizationRequest> {
      // RFC 6749 §3.1: a parameter given twice makes the request unusable (shown, never redirected).
      const param = (name: string) => {
        if (Array.isArray(query[name])) throw new AuthorizationError('invalid_request', `${name} is given more than once`);
        return typeof query[name] === 'string' ? (query[name] as string) : undefined;
      };
      const client = await clientOf(param('client_id') ?? '');
      if (client === undefined)
        throw new AuthorizationError('invalid_request', 'Unknown client_id: the application is not registered here');
      const redirectUri = param('redirect_uri');
      if (redirectUri === undefined || !client.redirect_uris.includes(redirectUri)) {
        throw new AuthorizationError('invalid_request', 'redirect_uri is missing or is not one the application registered');
      }
      const state = param('state');
      const back = { uri: redirectUri, state: state ?? '' };
      if (state === undefined || state === '') throw new AuthorizationError('invalid_request', 'state is required', back);
      if (param('response_type') !== 'code') throw new AuthorizationError('unsupported_response_type', 'response_type must be code', back);
      const codeChallenge = param('code_challenge');
      if (param('code_challenge_method') !== 'S256' || codeChallenge === undefined || !/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) {
        throw new AuthorizationError(
          'invalid_request',
          'PKCE is required: code_challenge (S256 of the verifier) and code_challenge_method=S256',
          back,
        );
      }
      const requested = scopesOf(param('scope') ?? '');
      const allowed = scopesOf(client.scope);
      if (requested.length === 0 || requested.some((s) => !allowed.includes(s))) {
        throw new AuthorizationError('invalid_scope', `scope must be one or more of the registered scopes: ${client.scope}`, back);
      }
      return { client, redirectUri, scope: requested.join(' '), state, codeChallenge };
    },

    /** The educator approved: a single-use code for the client, bound to its redirect URI and PKCE challenge. */
    async approve(request: AuthorizationRequest, link: string): Promise<string> {
      const { subject, linkId } = await deps.subjectOfLink(link);
      const code = secret('obc_');
      const now = clock();
      await repo.insertGrant(db, {
        id: crypto.randomUUID(),
        client_id: request.client.client_id,
        subject,
        link_id: linkId,
        scope: request.scope,
        redirect_uri: request.redirectUri,
        code_hash: sha256(code),
        code_challenge: request.codeChallenge,
        code_expires_at: new Date(now.getTime() + CODE_TTL_MS),
        code_used_at: null,
        revoked_at: null,
        created_at: now,
      });
      const url = new URL(request.redirectUri);
      url.searchParams.set('code', code);
      url.searchParams.set('scope', request.scope);
      url.searchParams.set('state', request.state);
      return url.toString();
    },

    /** Where to send the person after an error the client should hear of (or after they denied access). */
    errorRedirect(redirect: { uri: string; state: string }, error: string, description: string): string {
      const url = new URL(redirect.uri);
      url.searchParams.set('error', error);
      url.searchParams.set('error_description', oauthText(description));
      url.searchParams.set('state', redirect.state);
      return url.toString();
    },

    /** The token endpoint (RFC 6749 §4.1.3, §6): authorization_code with PKCE, or refresh_token (rotated). */
    async token(authorization: string | undefined, form: Record<string, unknown>) {
      const client = await authenticateClient(authorization);
      const field = (name: string) => {
        if (Array.isArray(form[name])) throw new OAuthError('invalid_request', `${name} is given more than once`);
        return typeof form[name] === 'string' ? (form[name] as string) : undefined;
      };
      const grantType = field('grant_type');
      const now = clock();
      if (grantType === 'authorization_code') {
        const code = field('code');
        const verifier = field('code_verifier');
        if (code === undefined || verifier === undefined || field('redirect_uri') === undefined) {
          throw new OAuthError('invalid_request', 'code, redirect_uri and code_verifier are required');
        }
        const grant = await repo.findGrantByCode(db, sha256(code));
        if (grant === undefined || grant.client_id !== client.client_id)
          throw new OAuthError('invalid_grant', 'The code is not valid for this client');
        if (grant.code_used_at !== null) {
          // RFC 6749 §4.1.2: a code used twice may have been stolen; what it granted is withdrawn.
          await repo.revokeGrant(db, grant.id, now);
          throw new OAuthError('invalid_grant', 'The code was already used; the tokens it gave are revoked');
        }
        if (grant.revoked_at !== null || new Date(grant.code_expires_at) <= now)
          throw new OAuthError('invalid_grant', 'The code has expired');
        if (grant.redirect_uri !== field('redirect_uri'))
          throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || !equalHashes(sha256(verifier), grant.code_challenge)) {
          throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge (PKCE S256)');
        }
        const requested = field('scope');
        if (requested !== undefined && scopesOf(requested).some((s) => !scopesOf(grant.scope).includes(s))) {
          throw new OAuthError('invalid_scope', 'scope asks for more than was granted');
        }
        return db.transaction().execute(async (trx) => {
          if (!(await repo.useCode(trx, grant.id, now))) throw new OAuthError('invalid_grant', 'The code was already used');
          return issueTokens(grant, requested === undefined ? grant.scope : scopesOf(requested).join(' '), grant.scope, client, trx);
        });
      }
      if (grantType === 'refresh_token') {
        if (!client.grant_types.includes('refresh_token'))
          throw new OAuthError('unauthorized_client', 'This client is not registered for refresh_token');
        const presented = field('refresh_token');
        if (presented === undefined) throw new OAuthError('invalid_request', 'refresh_token is required');
        const token = await repo.findToken(db, sha256(presented));
        if (token !== undefined && token.kind === 'refresh' && token.client_id === client.client_id && token.revoked_at !== null) {
          // A spent refresh token used again: one of the two users is not the client (RFC 9700 §4.14.2). End the grant.
          await repo.revokeGrant(db, token.grant_id, now);
          throw new OAuthError('invalid_grant', 'The refresh token was already used; the grant is revoked');
        }
        if (
          token === undefined ||
          token.kind !== 'refresh' ||
          token.client_id !== client.client_id ||
          token.revoked_at !== null ||
          token.grant_revoked_at !== null ||
          (token.expires_at !== null && new Date(token.expires_at) <= now)
        ) {
          throw new OAuthError('invalid_grant', 'The refresh token is not valid for this client');
        }
        const requested = field('scope');
        if (requested !== undefined && scopesOf(requested).some((s) => !scopesOf(token.scope).includes(s))) {
          throw new OAuthError('invalid_scope', 'scope asks for more than was granted');
        }
        return db.transaction().execute(async (trx) => {
          if (!(await repo.revokeToken(trx, token.hash, now))) throw new OAuthError('invalid_grant', 'The refresh token was already used');
          return issueTokens(
            { id: token.grant_id, client_id: client.client_id },
            requested === undefined ? token.scope : scopesOf(requested).join(' '),
            token.scope,
            client,
            trx,
          );
        });
      }
      throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
    },

    /** RFC 7009: revokes a token of the client's (revoking a refresh token withdraws the whole grant). Unknown tokens are fine. */
    async revoke(authorization: string | undefined, form: Record<string, unknown>): Promise<void> {
      const client = await authenticateClient(authorization);
      if (typeof form.token !== 'string') throw new OAuthError('invalid_request', 'token is required');
      const token = await repo.findToken(db, sha256(form.token));
      if (token === undefined || token.client_id !== client.client_id) return;
      if (token.kind === 'refresh') await repo.revokeGrant(db, token.grant_id, clock());
      else await repo.revokeToken(db, token.hash, clock());
    },

    /**
     * The educator behind a bearer access token, if it grants `scope`.
     * @throws {Problem} unauthorized (no, unknown, expired or revoked token) or forbidden (insufficient scope).
     */
    async authenticate(authorization: string | undefined, scope: ObScope): Promise<string> {
      const match = /^Bearer +(oba_[A-Za-z0-9_-]{43})$/i.exec(authorization ?? '');
      const token = match ? await repo.findToken(db, sha256(match[1]!)) : undefined;
      const now = clock();
      if (
        token === undefined ||
        token.kind !== 'access' ||
        token.revoked_at !== null ||
        token.grant_revoked_at !== null ||
        (token.expires_at !== null && new Date(token.expires_at) <= now)
      ) {
        // RFC 6750 §3.1: a request with no token gets no error code, only the challenge.
        const challenge = authorization === undefined ? `Bearer scope="${scope}"` : `Bearer error="invalid_token", scope="${scope}"`;
        throw new Problem('invalid-token', 'A valid OAuth 2.0 access token is required (Authorization: Bearer …)', undefined, {
          'www-authenticate': challenge,
        });
      }
      if (!scopesOf(token.scope).includes(scope)) {
        throw new Problem('insufficient-scope', `This access token was not granted ${scope}`, undefined, {
          'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"`,
        });
      }
      return token.subject;
    },

    /** getCredentials: one page of the educator's credentials, JSON ones and VC-JWTs apart, with the total. */
    async credentials(subject: string, page: { limit: number; offset: number; since?: Date }) {
      const { total, rows } = await repo.subjectCredentials(db, { subject, ...page });
      return {
        total,
        credential: rows.filter((r) => r.format === 'json').map((r) => JSON.parse(r.body) as unknown),
        compactJwsString: rows.filter((r) => r.format === 'jws').map((r) => r.body),
      };
    },

    /**
     * upsertCredential: keeps a credential (JSON, or a VC-JWT as text) for the educator, exactly as sent, replacing an
     * equal one (same issuer and id); one issued here to the educator is held already and is not stored twice. It must
     * verify (shape, issuer key and proof); an expired or revoked one may be kept.
     * @throws {Problem} validation-failed saying what is wrong.
     */
    async upsert(subject: string, body: unknown): Promise<{ replaced: boolean }> {
      const jws = typeof body === 'string' ? jwtOf(body) : undefined;
      if (typeof body === 'string' && jws === undefined)
        throw new Problem('validation-failed', 'A text/plain body must be a VC-JWT (compact JWS)');
      if (typeof body !== 'string' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        throw new Problem('validation-failed', 'The body must be an AchievementCredential (JSON) or a VC-JWT (text/plain)');
      }
      let credential: Record<string, unknown>;
      try {
        credential = jws === undefined ? (body as Record<string, unknown>) : credentialOfPayload(decodeJws(jws).payload);
      } catch (error) {
        throw new Problem('validation-failed', `The VC-JWT cannot be read: ${(error as Error).message}`);
      }
      const identity = checkedIdentity(credential);
      const report = await deps.verify(jws ?? body);
      const blocking = report.checks.filter((c) => ['shape', 'issuer', 'proof'].includes(c.check) && c.outcome !== 'pass');
      if (blocking.length > 0) {
        throw new Problem('validation-failed', `The credential does not verify: ${blocking.map((c) => c.message).join('; ')}`);
      }
      // One issued here to this educator is already held (and listed): the same credential, so it "replaces" itself.
      if (await repo.isIssuedTo(db, subject, identity.id)) return { replaced: true };
      const validFrom = credential.validFrom ?? credential.issuanceDate;
      return repo.upsertHostedCredential(db, {
        id: crypto.randomUUID(),
        subject,
        issuer_ref: identity.issuer,
        credential_ref: identity.id,
        format: jws === undefined ? 'json' : 'jws',
        body: jws ?? JSON.stringify(body),
        valid_from: typeof validFrom === 'string' && !Number.isNaN(Date.parse(validFrom)) ? new Date(validFrom) : null,
        at: clock(),
      });
    },

    /** getProfile. @throws {Problem} not-found when the educator has not stored one. */
    async profile(subject: string): Promise<Record<string, unknown>> {
      const stored = await repo.findProfile(db, subject);
      if (stored === undefined) throw new Problem('not-found', 'No profile is stored for you yet (PUT one first)');
      return JSON.parse(stored) as Record<string, unknown>;
    },

    /** putProfile: the whole Profile, validated against the OB 3.0 Profile schema. */
    async putProfile(subject: string, profile: unknown): Promise<Record<string, unknown>> {
      const errors = deps.validateProfile(profile);
      if (errors.length > 0) {
        throw new Problem(
          'validation-failed',
          `The profile does not conform to the OB 3.0 Profile schema: ${errors
            .slice(0, 5)
            .map((e) => e.detail)
            .join('; ')}`,
          errors,
        );
      }
      await repo.putProfile(db, subject, JSON.stringify(profile), clock());
      return profile as Record<string, unknown>;
    },
  };
}

export type Ob3ApiService = ReturnType<typeof createOb3ApiService>;

/**
 * The service description document (getServiceDescription, OB 3.0 §6.3.1): a profiled OpenAPI 3.0 document naming
 * the endpoints this host serves, their scopes, and where to register, authorize and get tokens.
 */
export function serviceDescription(options: { publicUrl: string; name: string; termsUrl: string; privacyUrl: string }) {
  const base = `${options.publicUrl}/ims/ob/v3p0`;
  const scopes = Object.fromEntries(Object.values(OB_SCOPES).map((s) => [s, SCOPE_DESCRIPTIONS[s]!]));
  const security = (scope: ObScope) => [{ OAuth2ACG: [scope] }];
  const errors = Object.fromEntries(
    ['400', '401', '403', '404', '405', '500'].map((code) => [code, { $ref: '#/components/responses/Imsx_StatusInfo' }]),
  );
  return {
    openapi: '3.0.1',
    info: {
      title: `${options.name}: Open Badges 3.0 API`,
      version: '3.0',
      description: 'The 1EdTech Open Badges 3.0 REST API of this service, for the educators whose badges it holds.',
      termsOfService: options.termsUrl,
      'x-imssf-privacyPolicyUrl': options.privacyUrl,
    },
    servers: [{ url: base, description: options.name }],
    tags: [
      { name: 'OpenBadgeCredentials', description: 'Exchange credentials between hosts and clients' },
      { name: 'Profiles', description: 'The educator’s profile' },
      { name: 'Discovery' },
    ],
    paths: {
      '/credentials': {
        get: {
          tags: ['OpenBadgeCredentials'],
          operationId: 'getCredentials',
          summary: 'The educator’s credentials, paged (X-Total-Count, Link)',
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE } },
            { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0 } },
            { name: 'since', in: 'query', schema: { type: 'string', format: 'date-time' } },
          ],
          security: security(OB_SCOPES.credentialRead),
          responses: { '200': { $ref: '#/components/responses/GetOpenBadgeCredentialsResponse' }, ...errors },
        },
        post: {
          tags: ['OpenBadgeCredentials'],
          operationId: 'upsertCredential',
          summary: 'Keep a credential for the educator (201 created, 200 replaced); the body is echoed',
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/AchievementCredential' } },
              'application/vc+ld+json': { schema: { $ref: '#/components/schemas/AchievementCredential' } },
              'text/plain': { schema: { $ref: '#/components/schemas/CompactJws' } },
            },
          },
          security: security(OB_SCOPES.credentialUpsert),
          responses: { '200': { description: 'Replaced' }, '201': { description: 'Created' }, ...errors },
        },
      },
      '/profile': {
        get: {
          tags: ['Profiles'],
          operationId: 'getProfile',
          security: security(OB_SCOPES.profileRead),
          responses: {
            '200': { description: 'The profile', content: { 'application/json': { schema: { $ref: '#/components/schemas/Profile' } } } },
            ...errors,
          },
        },
        put: {
          tags: ['Profiles'],
          operationId: 'putProfile',
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Profile' } } } },
          security: security(OB_SCOPES.profileUpdate),
          responses: {
            '200': {
              description: 'The stored profile',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Profile' } } },
            },
            ...errors,
          },
        },
      },
      '/discovery': {
        get: { tags: ['Discovery'], operationId: 'getServiceDescription', responses: { '200': { description: 'This document' } } },
      },
    },
    components: {
      securitySchemes: {
        OAuth2ACG: {
          type: 'oauth2',
          description: 'OAuth 2.0 Authorization Code Grant with PKCE (S256)',
          'x-imssf-name': options.name,
          'x-imssf-privacyPolicyUrl': options.privacyUrl,
          'x-imssf-termsOfServiceUrl': options.termsUrl,
          'x-imssf-registrationUrl': `${base}/oauth/register`,
          'x-imssf-revocationUrl': `${base}/oauth/revoke`,
          flows: {
            authorizationCode: {
              authorizationUrl: `${base}/oauth/authorize`,
              tokenUrl: `${base}/oauth/token`,
              refreshUrl: `${base}/oauth/token`,
              scopes,
            },
          },
        },
      },
      responses: {
        Imsx_StatusInfo: {
          description: 'An error (Imsx_StatusInfo; the same body is also an RFC 9457 problem)',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Imsx_StatusInfo' } } },
        },
        GetOpenBadgeCredentialsResponse: {
          description: 'One page of credentials',
          headers: { 'X-Total-Count': { schema: { type: 'integer' } }, Link: { schema: { type: 'string' } } },
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  credential: { type: 'array', items: { $ref: '#/components/schemas/AchievementCredential' } },
                  compactJwsString: { type: 'array', items: { $ref: '#/components/schemas/CompactJws' } },
                },
              },
            },
          },
        },
      },
      schemas: {
        AchievementCredential: {
          type: 'object',
          externalDocs: { url: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json' },
        },
        Profile: {
          type: 'object',
          externalDocs: { url: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json' },
        },
        CompactJws: { type: 'string', pattern: '^[a-zA-Z0-9_-]+\\.[a-zA-Z0-9_-]*\\.[a-zA-Z0-9_-]+$' },
        Imsx_StatusInfo: {
          type: 'object',
          required: ['imsx_codeMajor', 'imsx_severity'],
          properties: {
            imsx_codeMajor: { type: 'string', enum: ['failure', 'processing', 'success', 'unsupported'] },
            imsx_severity: { type: 'string', enum: ['error', 'status', 'warning'] },
            imsx_description: { type: 'string' },
            imsx_codeMinor: { type: 'object' },
          },
        },
      },
    },
  };
}
