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

export const VcApiIssueRequest = Type.Object(
  {
    credential: Type.Object(
      {},
      {
        additionalProperties: true,
        description:
          'The unsigned credential (VCDM 2.0 or 1.1). Its issuer must be the API key’s issuer; we add id (when absent), a ' +
          'BitstringStatusListEntry (VCDM 2.0, when absent) and the proof. Open Badges are validated against the OB 3.0 schema.',
      },
    ),
    options: Type.Optional(
      Type.Object(
        {
          credentialId: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The id to give a credential that has none' })),
          proofType: Type.Optional(Type.Union([Type.Literal('eddsa-rdfc-2022'), Type.Literal('Ed25519Signature2020')])),
        },
        { additionalProperties: true, description: 'VC-API issue options; unknown options are ignored' },
      ),
    ),
  },
  { $id: 'VcApiIssueRequest', additionalProperties: false, required: ['credential'] },
);

export const VcApiIssueResponse = Type.Object(
  { verifiableCredential: Type.Ref(VerifiableCredential) },
  { $id: 'VcApiIssueResponse', additionalProperties: false },
);

export const VerifyPresentationRequest = Type.Object(
  {
    verifiablePresentation: Type.Optional(Type.Unknown({ description: 'A signed presentation (Data Integrity proof)' })),
    presentation: Type.Optional(Type.Unknown({ description: 'An unsigned presentation: only the credentials in it are verified' })),
    options: Type.Optional(
      Type.Object(
        {
          challenge: Type.Optional(Type.String({ maxLength: 1024 })),
          domain: Type.Optional(Type.String({ maxLength: 1024 })),
        },
        { additionalProperties: true, description: 'VC-API options; unknown options are ignored' },
      ),
    ),
  },
  { $id: 'VerifyPresentationRequest', additionalProperties: false },
);

export const PresentationVerificationResult = Type.Object(
  {
    verified: Type.Boolean(),
    presentationResult: Type.Object(
      {
        verified: Type.Boolean(),
        holder: Type.Union([Type.String(), Type.Null()]),
        errors: Type.Array(Type.String()),
      },
      { additionalProperties: false, description: 'The presentation’s own proof (challenge, domain, holder key); verified when unsigned and none was asked for' },
    ),
    credentialResults: Type.Array(Type.Ref(VerificationResult)),
    errors: Type.Array(Type.String()),
  },
  { $id: 'PresentationVerificationResult', additionalProperties: false },
);
