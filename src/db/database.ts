/** Table types for kysely. Column names are snake_case as in SQL; services map rows to camelCase values. */
import type { ColumnType, Insertable, Selectable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface SettingsTable {
  key: string;
  value: string;
}

export interface IssuersTable {
  id: string;
  did: string;
  did_method: 'web' | 'key';
  name: string;
  url: string | null;
  email: string | null;
  description: string | null;
  image_url: string | null;
  /** OB3 Profile JSON of the parent organisation, or null. */
  parent_org_json: string | null;
  default_proof_type: 'eddsa-rdfc-2022' | 'Ed25519Signature2020';
  /** json-ld: the signed JSON only; jwt: also its VC-JWT form, unless a request says otherwise. */
  default_format: ColumnType<CredentialFormat, CredentialFormat | undefined, CredentialFormat>;
  created_at: CreatedAt;
}

export type CredentialFormat = 'json-ld' | 'jwt';
export type KeyAlgorithm = 'Ed25519' | 'P-256';

export interface IssuerKeysTable {
  id: string;
  issuer_id: string;
  /** Verification method id (absolute DID URL). */
  verification_method: string;
  public_key_multibase: string;
  /** AES-256-GCM envelope of the secret key (multibase for Ed25519, JWK for P-256), see keys/keyring.ts. */
  secret_key_envelope: string;
  /** Ed25519 signs Data Integrity proofs and EdDSA JWTs; P-256 signs ES256 JWTs. */
  algorithm: ColumnType<KeyAlgorithm, KeyAlgorithm | undefined, KeyAlgorithm>;
  /** The public key as a JWK (P-256 keys; Ed25519 keys are published as multibase). */
  public_key_jwk: string | null;
  /** When a newer key took over: this one signs nothing new, and stays published. */
  retired_at: Timestamp | null;
  /** When the key was compromised: what it signed from then on fails verification. It stays published, marked revoked. */
  revoked_at: Timestamp | null;
  revocation_reason: string | null;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: string;
  issuer_id: string;
  name: string;
  /** SHA-256 of the secret part; the secret itself is shown once and never stored. */
  secret_hash: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  /** Space-separated scopes: issue, revoke, catalogue, admin. */
  scopes: ColumnType<string, string | undefined, string>;
  expires_at: Timestamp | null;
  /** The key that replaced this one on rotation. */
  rotated_to: string | null;
}

export interface AchievementsTable {
  id: string;
  issuer_id: string;
  latest_version: number;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface AchievementVersionsTable {
  achievement_id: string;
  version: number;
  /** The OB3 Achievement JSON exactly as published; immutable. */
  achievement_json: string;
  /** The request that created this version, for editing into the next one. */
  definition_json: string;
  created_at: CreatedAt;
}

export interface CredentialsTable {
  id: string;
  /** The credential's `id` URL. */
  credential_url: string;
  issuer_id: string;
  /** Null for a credential issued through the VC-API (the caller's document, not one of our achievements). */
  achievement_id: string | null;
  achievement_version: number | null;
  /** The `id` inside a VC-API credential, when it is not our URL (callers' ids need not be unique). */
  vc_id: string | null;
  /** The verification method (issuer key) that signed it; null for credentials issued before keys were recorded. */
  verification_method: string | null;
  /** The VC-JWT form (a compact JWS whose payload is the signed credential), when one was asked for. */
  jwt: string | null;
  /** HMAC of the normalised recipient identifier: lets the service find an earner's credentials, reveals nothing alone. */
  recipient_lookup_hash: string | null;
  /** Set when the recipient asked to be forgotten: the lookup hash is gone, the credential still verifies. */
  recipient_erased_at: Timestamp | null;
  api_key_id: string | null;
  idempotency_key: string | null;
  /** SHA-256 of the canonical issue request, to refuse a reused idempotency key with another body. */
  request_hash: string;
  proof_type: string;
  /** The signed credential text, byte for byte as returned (text, never jsonb: jsonb reorders keys). */
  signed_json: string;
  valid_from: Timestamp;
  valid_until: Timestamp | null;
  created_at: CreatedAt;
  status: ColumnType<CredentialStatus, CredentialStatus | undefined, CredentialStatus>;
  status_changed_at: Timestamp | null;
  status_reason: string | null;
}

export type CredentialStatus = 'active' | 'suspended' | 'revoked';
export type StatusPurpose = 'revocation' | 'suspension';

export interface StatusListsTable {
  id: string;
  issuer_id: string;
  purpose: StatusPurpose;
  /** 1, 2, … per issuer and purpose: a new list starts when one fills. */
  seq: number;
  /** Entries in the bitstring (≥ 131,072: herd privacy). */
  size: number;
  /** How many entries are handed out before the list counts as full (random probing slows as it fills). */
  capacity: number;
  full: ColumnType<boolean, boolean | undefined, boolean>;
  version: ColumnType<number, number | undefined, number>;
  signed_json: string | null;
  signed_version: number | null;
  signed_at: Timestamp | null;
  created_at: CreatedAt;
}

export interface StatusEntriesTable {
  list_id: string;
  idx: number;
  credential_id: string;
}

export interface CredentialStatusEventsTable {
  id: ColumnType<string, never, never>;
  credential_id: string;
  action: 'revoke' | 'suspend' | 'reinstate';
  from_status: CredentialStatus;
  to_status: CredentialStatus;
  reason: string;
  api_key_id: string | null;
  at: Timestamp;
}

export interface Database {
  settings: SettingsTable;
  issuers: IssuersTable;
  issuer_keys: IssuerKeysTable;
  api_keys: ApiKeysTable;
  achievements: AchievementsTable;
  achievement_versions: AchievementVersionsTable;
  credentials: CredentialsTable;
  status_lists: StatusListsTable;
  status_entries: StatusEntriesTable;
  credential_status_events: CredentialStatusEventsTable;
  audit_events: AuditEventsTable;
  earner_links: EarnerLinksTable;
  clr_credentials: ClrCredentialsTable;
  stack_components: StackComponentsTable;
  stack_awards: StackAwardsTable;
  recognitions: RecognitionsTable;
  endorsements: EndorsementsTable;
  batches: BatchesTable;
  batch_items: BatchItemsTable;
  oauth_clients: OAuthClientsTable;
  oauth_grants: OAuthGrantsTable;
  oauth_tokens: OAuthTokensTable;
  hosted_credentials: HostedCredentialsTable;
  earner_profiles: EarnerProfilesTable;
}

export type BatchState = 'running' | 'completed';
export type BatchItemState = 'pending' | 'issued' | 'failed';

export interface BatchesTable {
  id: string;
  issuer_id: string;
  api_key_id: string;
  idempotency_key: string | null;
  request_hash: string;
  state: BatchState;
  total: number;
  webhook_url: string | null;
  created_at: Timestamp;
  completed_at: Timestamp | null;
}
export type BatchRow = Selectable<BatchesTable>;

export interface BatchItemsTable {
  batch_id: string;
  seq: number;
  idempotency_key: string;
  /** The sealed issue request; null once the item is done. */
  request_envelope: string | null;
  state: BatchItemState;
  credential_id: string | null;
  credential_url: string | null;
  replayed: boolean | null;
  problem_json: string | null;
  finished_at: Timestamp | null;
}
export type BatchItemRow = Selectable<BatchItemsTable>;

export interface StackComponentsTable {
  stack_id: string;
  component_id: string;
}

export interface StackAwardsTable {
  id: string;
  stack_id: string;
  /** Null once the earner is erased. */
  recipient_lookup_hash: string | null;
  credential_id: string;
  created_at: Timestamp;
}

export type RecognitionPurpose =
  'license-renewal' | 'endorsement' | 'advanced-license' | 'initial-certification' | 'graduate-credit' | 'salary-step' | 'other';
export type RecognizerType = 'state-agency' | 'district' | 'university' | 'other';
export type CreditUnit = 'CEU' | 'clock-hours' | 'PD-points' | 'credit-hours' | 'other';

export interface RecognitionsTable {
  id: string;
  recognizer_id: string;
  recognizer_type: RecognizerType;
  achievement_id: string;
  purpose: RecognitionPurpose;
  /** numeric: pg returns it as a string. */
  amount: ColumnType<string | null, number | null | undefined, number | null>;
  unit: CreditUnit | null;
  jurisdiction: string;
  /** date columns: YYYY-MM-DD. */
  effective_from: ColumnType<Date | string, string, string>;
  effective_until: ColumnType<Date | string | null, string | null | undefined, string | null>;
  note: string | null;
  created_at: Timestamp;
  withdrawn_at: Timestamp | null;
}

export interface EndorsementsTable {
  id: string;
  endorser_id: string;
  subject_kind: 'achievement' | 'issuer';
  subject_id: string;
  signed_json: string;
  created_at: Timestamp;
  withdrawn_at: Timestamp | null;
}

export type EarnerLinkKind = 'claim' | 'wallet';

export interface EarnerLinksTable {
  id: string;
  kind: EarnerLinkKind;
  /** SHA-256 of the token (the token is an HMAC of the id under the master key and is never stored). */
  token_hash: string;
  issuer_id: string;
  /** The one credential of a claim link. */
  credential_id: string | null;
  /** Whose credentials a wallet link lists (null once erased). A claim link keeps it null. */
  recipient_lookup_hash: string | null;
  api_key_id: string | null;
  /** The claim link made in the issuing transaction. */
  at_issuance: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
  /** When a wallet collected the credential through the exchange, and the DID it authenticated as. */
  claimed_at: Timestamp | null;
  holder_did: string | null;
  /** The exchange's DID-authentication challenge (random, expiring, used once). */
  challenge: string | null;
  challenge_expires_at: Timestamp | null;
}

export interface ClrCredentialsTable {
  id: string;
  issuer_id: string;
  recipient_lookup_hash: string | null;
  /** SHA-256 of the sorted ids of the bundled credentials. */
  bundle_hash: string;
  signed_json: string;
  created_at: Timestamp;
}

export interface AuditEventsTable {
  id: ColumnType<string, never, never>;
  issuer_id: string | null;
  /** `apikey:<id>`, `cli` or `system`. */
  actor: string;
  action: string;
  target: string | null;
  outcome: 'success' | 'denied' | 'failed';
  /** JSON with no personal data. */
  detail: string | null;
  at: Timestamp;
}

export type IssuerRow = Selectable<IssuersTable>;
export type NewIssuerRow = Insertable<IssuersTable>;
export type IssuerKeyRow = Selectable<IssuerKeysTable>;
export type NewIssuerKeyRow = Insertable<IssuerKeysTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKeyRow = Insertable<ApiKeysTable>;
export type AchievementRow = Selectable<AchievementsTable>;
export type AchievementVersionRow = Selectable<AchievementVersionsTable>;
export type CredentialRow = Selectable<CredentialsTable>;
export type NewCredentialRow = Insertable<CredentialsTable>;
export type StatusListRow = Selectable<StatusListsTable>;
export type CredentialStatusEventRow = Selectable<CredentialStatusEventsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type EarnerLinkRow = Selectable<EarnerLinksTable>;
export type NewEarnerLinkRow = Insertable<EarnerLinksTable>;
export type ClrCredentialRow = Selectable<ClrCredentialsTable>;
export type RecognitionRow = Selectable<RecognitionsTable>;
export type EndorsementRow = Selectable<EndorsementsTable>;

/** OAuth 2.0 clients of the 1EdTech OB 3.0 API, registered dynamically (RFC 7591). */
export interface OAuthClientsTable {
  id: string;
  secret_hash: string;
  metadata_json: string;
  created_at: Timestamp;
}

/** One educator's consent to one client: its authorization code (PKCE) and, through oauth_tokens, the tokens it led to. */
export interface OAuthGrantsTable {
  id: string;
  client_id: string;
  /** The educator: the keyed hash of their recipient identifier. */
  subject: string;
  /** The earner link they signed in with: while it is revoked, the grant gives nothing. */
  link_id: string;
  scope: string;
  redirect_uri: string;
  code_hash: string;
  code_challenge: string;
  code_expires_at: Timestamp;
  code_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: Timestamp;
}

export interface OAuthTokensTable {
  hash: string;
  grant_id: string;
  kind: 'access' | 'refresh';
  scope: string;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: Timestamp;
}

/** Credentials an educator keeps here through upsertCredential, byte for byte. */
export interface HostedCredentialsTable {
  id: string;
  subject: string;
  issuer_ref: string;
  credential_ref: string;
  format: 'json' | 'jws';
  body: string;
  valid_from: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EarnerProfilesTable {
  subject: string;
  profile_json: string;
  updated_at: Timestamp;
}

export type OAuthClientRow = Selectable<OAuthClientsTable>;
export type OAuthGrantRow = Selectable<OAuthGrantsTable>;
export type OAuthTokenRow = Selectable<OAuthTokensTable>;
export type HostedCredentialRow = Selectable<HostedCredentialsTable>;
