import { Type, type Static } from '@sinclair/typebox';
import { DateTimeZ, extensibleEnum, HttpUrl, Slug, Text } from './common.js';
import { ProfileInput } from './achievement.js';

// OB 3.0 IdentifierTypeEnum.
export const IDENTIFIER_TYPES = [
  'name', 'sourcedId', 'systemId', 'productId', 'userName', 'accountId', 'emailAddress', 'nationalIdentityNumber',
  'isbn', 'issn', 'lisSourcedId', 'oneRosterSourcedId', 'sisSourcedId', 'ltiContextId', 'ltiDeploymentId',
  'ltiToolId', 'ltiPlatformId', 'ltiUserId', 'identifier',
] as const;

export const PROOF_TYPES = ['eddsa-rdfc-2022', 'Ed25519Signature2020'] as const;
export type ProofType = (typeof PROOF_TYPES)[number];
export const ProofTypeSchema = Type.Union(PROOF_TYPES.map((p) => Type.Literal(p)), {
  description: 'eddsa-rdfc-2022 (DataIntegrityProof, the OB 3.0 certified suite) or Ed25519Signature2020 for older wallets',
});

export const RecipientInput = Type.Object(
  {
    identity: Text(320, 'The educator identifier, e.g. an email address; stored only as a keyed hash, embedded salted and hashed'),
    identityType: Type.Optional(extensibleEnum(IDENTIFIER_TYPES, 'OB 3.0 IdentifierTypeEnum or ext:…; default emailAddress')),
    did: Type.Optional(Type.String({ pattern: '^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$', maxLength: 2048, description: 'The educator DID, used as credentialSubject.id' })),
    name: Type.Optional(Text(300, 'Display name, embedded in plain text only when given')),
  },
  { $id: 'RecipientInput', additionalProperties: false },
);
export type RecipientInput = Static<typeof RecipientInput>;

export const EvidenceInput = Type.Object(
  {
    url: Type.Optional(HttpUrl),
    name: Type.Optional(Text(300)),
    description: Type.Optional(Text(4000)),
    narrative: Type.Optional(Text(20_000, 'Markdown')),
    genre: Type.Optional(Text(100, 'e.g. Lesson plan, Video, Student work sample, Reflection')),
    audience: Type.Optional(Text(200)),
  },
  { $id: 'EvidenceInput', additionalProperties: false, minProperties: 1, description: 'Evidence is linked, never uploaded' },
);

export const ResultInput = Type.Object(
  { criterion: Slug, level: Slug },
  { $id: 'ResultInput', additionalProperties: false, description: 'The rubric level achieved on one criterion (by key)' },
);

export const AssessorInput = Type.Object(
  {
    name: Text(300),
    id: Type.Optional(Type.String({ format: 'uri', maxLength: 2048 })),
    qualification: Type.Optional(Text(500, 'e.g. Certified assessor, National Board Certified Teacher')),
    organization: Type.Optional(Type.Ref(ProfileInput)),
  },
  { $id: 'AssessorInput', additionalProperties: false, description: 'Who judged the evidence (credentialSubject.source)' },
);

export const IssueRequest = Type.Object(
  {
    achievement: Type.Object(
      {
        id: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }),
        version: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Default: the latest version' })),
      },
      { additionalProperties: false },
    ),
    recipient: Type.Ref(RecipientInput),
    evidence: Type.Optional(Type.Array(Type.Ref(EvidenceInput), { maxItems: 50 })),
    results: Type.Optional(Type.Array(Type.Ref(ResultInput), { maxItems: 30 })),
    assessor: Type.Optional(Type.Ref(AssessorInput)),
    assessedAt: Type.Optional(DateTimeZ),
    awardedAt: Type.Optional(DateTimeZ),
    validFrom: Type.Optional(DateTimeZ),
    validUntil: Type.Optional(DateTimeZ),
    narrative: Type.Optional(Text(20_000, 'Markdown tying the evidence together')),
    creditsEarned: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000 })),
    proofType: Type.Optional(ProofTypeSchema),
    format: Type.Optional(
      Type.Union([Type.Literal('json-ld'), Type.Literal('jwt')], {
        description:
          'json-ld: the signed JSON (default, or the issuer’s default). jwt: also a VC-JWT (OB 3.0 §8.2) of it, returned as ' +
          'application/vc+jwt; needs recipient.did (the JWT sub claim)',
      }),
    ),
    jwtAlgorithm: Type.Optional(
      Type.Union([Type.Literal('ES256'), Type.Literal('EdDSA')], {
        description:
          'ES256 (default for did:web issuers; accepted by the 1EdTech validator) or EdDSA (the only choice of a did:key issuer). ' +
          'Only for a VC-JWT (format jwt, asked for or the issuer’s default): with json-ld it is a 400',
      }),
    ),
  },
  { $id: 'IssueRequest', additionalProperties: false, description: 'Award one achievement to one educator' },
);
export type IssueRequest = Static<typeof IssueRequest>;
