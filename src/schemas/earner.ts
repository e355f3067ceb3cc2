import { Type } from '@sinclair/typebox';
import { extensibleEnum, Text } from './common.js';
import { IDENTIFIER_TYPES } from './issue-request.js';

const ExpiresInDays = Type.Integer({ minimum: 1, maximum: 3650, description: 'Lifetime in days (wallet links: at most 90)' });

export const EarnerLinkRequest = Type.Union(
  [
    Type.Object(
      {
        kind: Type.Literal('wallet'),
        recipient: Type.Object(
          {
            identity: Text(320, 'The identifier the credentials were issued to, e.g. an email address'),
            identityType: Type.Optional(extensibleEnum(IDENTIFIER_TYPES, 'As at issuance; default emailAddress')),
          },
          { additionalProperties: false },
        ),
        expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, description: 'Default WALLET_LINK_TTL_DAYS (7)' })),
      },
      { additionalProperties: false, description: "A wallet link: the earner's page of every credential held for this identifier, across issuers" },
    ),
    Type.Object(
      {
        kind: Type.Literal('claim'),
        credentialId: Type.String({ format: 'uuid' }),
        expiresInDays: Type.Optional(ExpiresInDays),
      },
      { additionalProperties: false, description: 'A fresh claim link for one credential of this issuer (for example after the first expired)' },
    ),
  ],
  { $id: 'EarnerLinkRequest' },
);

export const EarnerLink = Type.Object(
  {
    id: Type.String({ description: 'Used to revoke the link' }),
    kind: Type.Union([Type.Literal('claim'), Type.Literal('wallet')]),
    url: Type.String({ description: 'The private link to deliver to the earner; shown only to the issuing platform' }),
    expiresAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'EarnerLink', additionalProperties: false },
);

export const FileVerificationResult = Type.Object(
  {
    verified: Type.Boolean({ description: 'True only when every credential in the file verifies' }),
    format: Type.Union([Type.Literal('png'), Type.Literal('svg'), Type.Literal('json'), Type.Literal('jwt')]),
    description: Type.String({ description: 'What the file holds, in words' }),
    warnings: Type.Array(Type.String()),
    results: Type.Array(
      Type.Object(
        {
          role: Type.Union([Type.Literal('credential'), Type.Literal('clr'), Type.Literal('bundled')], {
            description: 'bundled: inside a wallet file or CLR; clr: the CLR itself',
          }),
          name: Type.Union([Type.String(), Type.Null()]),
          issuerName: Type.Union([Type.String(), Type.Null()]),
          result: Type.Ref('VerificationResult'),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { $id: 'FileVerificationResult', additionalProperties: false },
);
