import { Type } from '@sinclair/typebox';
import { DateTimeZ, Text } from './common.js';

/** What an API key may do. A platform serving several issuers gets one key per issuer. */
export const SCOPES = ['issue', 'revoke', 'catalogue', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const ScopeSchema = Type.Union(
  SCOPES.map((s) => Type.Literal(s)),
  { description: 'issue: POST /credentials; revoke: status changes; catalogue: achievements; admin: API keys, audit, erasure' },
);

export const ApiKeyRequest = Type.Object(
  {
    name: Text(200, 'Who uses the key, e.g. "Portfolio platform production"'),
    scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true }),
    expiresAt: Type.Optional(DateTimeZ),
  },
  { $id: 'ApiKeyRequest', additionalProperties: false },
);

export const ApiKeyInfo = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'ApiKeyInfo', additionalProperties: false },
);

export const CreatedApiKey = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scopes: Type.Array(Type.String()),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    apiKey: Type.String({ description: 'The key itself: shown once, stored only as a hash' }),
  },
  { $id: 'CreatedApiKey', additionalProperties: false },
);

export const RotateRequest = Type.Object(
  {
    graceSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 30 * 24 * 3600, description: 'The old key keeps working this long (default 0: revoked now)' }),
    ),
  },
  { $id: 'RotateRequest', additionalProperties: false },
);

export const AuditEventList = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          id: Type.String(),
          actor: Type.String(),
          action: Type.String(),
          target: Type.Union([Type.String(), Type.Null()]),
          outcome: Type.String(),
          detail: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
          at: Type.String({ format: 'date-time' }),
        },
        { additionalProperties: false },
      ),
    ),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'AuditEventList', additionalProperties: false },
);

export const ErasureRequest = Type.Object(
  {
    identity: Text(320, 'The identifier the credentials were issued to'),
    identityType: Type.Optional(Type.String({ maxLength: 100, description: 'Default emailAddress' })),
  },
  { $id: 'ErasureRequest', additionalProperties: false },
);

export const ErasureResult = Type.Object(
  { erased: Type.Integer({ description: 'Credentials whose stored recipient lookup was erased' }) },
  { $id: 'ErasureResult', additionalProperties: false },
);
