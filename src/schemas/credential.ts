import { Type } from '@sinclair/typebox';

/** A credential is an open-world JSON-LD document: checked for shape, never stripped of unknown terms. */
export const VerifiableCredential = Type.Object(
  {
    '@context': Type.Array(Type.Union([Type.String(), Type.Object({}, { additionalProperties: true })]), { minItems: 1 }),
    type: Type.Union([Type.String(), Type.Array(Type.String())]),
  },
  { $id: 'VerifiableCredential', additionalProperties: true, description: 'A W3C Verifiable Credential (JSON-LD, embedded proof)' },
);

export const VerifyRequest = Type.Object(
  {
    verifiableCredential: Type.Unknown({ description: 'The credential to verify (any VC; OB 3.0 checks apply to Open Badges)' }),
    options: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'VC-API options; unknown options are ignored' })),
  },
  { $id: 'VerifyRequest', additionalProperties: false, required: ['verifiableCredential'] },
);

export const VerificationCheck = Type.Object(
  {
    check: Type.Union(['shape', 'schema', 'issuer', 'proof', 'validity', 'status', 'endorsement'].map((c) => Type.Literal(c))),
    outcome: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('error')], {
      description: 'error: the check could not be made (for example a DID document could not be fetched); never counted as a pass',
    }),
    message: Type.String(),
  },
  { $id: 'VerificationCheck', additionalProperties: false },
);

export const VerificationResult = Type.Object(
  {
    verified: Type.Boolean(),
    credentialId: Type.Union([Type.String(), Type.Null()]),
    issuer: Type.Union([Type.String(), Type.Null()]),
    checks: Type.Array(Type.Ref(VerificationCheck)),
    warnings: Type.Array(Type.String()),
    errors: Type.Array(Type.String()),
  },
  { $id: 'VerificationResult', additionalProperties: false },
);
