import { Type } from '@sinclair/typebox';
import { Text } from './common.js';

export const IssuerProfile = Type.Object(
  { id: Type.String(), type: Type.Array(Type.String()), name: Type.String() },
  { $id: 'IssuerProfile', additionalProperties: true, description: 'OB 3.0 Profile of an issuer; id is its DID' },
);

export const DidDocument = Type.Object(
  { '@context': Type.Array(Type.String()), id: Type.String() },
  { $id: 'DidDocument', additionalProperties: true },
);

export const SigningKey = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    algorithm: Type.Union([Type.Literal('Ed25519'), Type.Literal('P-256')], {
      description: 'Ed25519 signs Data Integrity proofs (and EdDSA VC-JWTs of did:key issuers); P-256 signs ES256 VC-JWTs',
    }),
    verificationMethod: Type.String({ description: 'The key in the issuer’s DID document' }),
    current: Type.Boolean({ description: 'Signs new credentials' }),
    createdAt: Type.String({ format: 'date-time' }),
    retiredAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'When a newer key took over' }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'Compromised from this date: what it signed from then on fails verification',
    }),
    revocationReason: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'SigningKey', additionalProperties: false },
);

export const KeyRevocationRequest = Type.Object(
  {
    compromisedAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'Since when the key may have been in other hands (default: now; not in the future)' }),
    ),
    reason: Text(1000, 'Recorded in the audit trail and the key list'),
  },
  { $id: 'KeyRevocationRequest', additionalProperties: false },
);

export const KeyRevocation = Type.Object(
  {
    keys: Type.Array(Type.Ref(SigningKey)),
    affectedCredentials: Type.Integer({
      minimum: 0,
      description: 'Credentials our records show the key signed from compromisedAt on: now revoked; reissue them',
    }),
  },
  { $id: 'KeyRevocation', additionalProperties: false },
);
