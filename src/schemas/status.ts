import { Type } from '@sinclair/typebox';
import { Text } from './common.js';

export const StatusChangeRequest = Type.Object(
  {
    action: Type.Union([Type.Literal('revoke'), Type.Literal('suspend'), Type.Literal('reinstate')], {
      description: 'revoke is permanent; suspend is reversible with reinstate',
    }),
    reason: Text(1000, 'Why, for the history (e.g. "evidence found plagiarised", "under review")'),
  },
  { $id: 'StatusChangeRequest', additionalProperties: false },
);

export const StatusChange = Type.Object(
  {
    credentialId: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('revoked')]),
    changedAt: Type.String({ format: 'date-time' }),
    reason: Type.String(),
  },
  { $id: 'StatusChange', additionalProperties: false },
);

export const StatusHistory = Type.Object(
  {
    credentialId: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('revoked')]),
    changedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    history: Type.Array(
      Type.Object(
        {
          action: Type.String(),
          from: Type.String(),
          to: Type.String(),
          reason: Type.String(),
          apiKeyId: Type.Union([Type.String(), Type.Null()]),
          at: Type.String({ format: 'date-time' }),
        },
        { additionalProperties: false },
      ),
      { description: 'Append-only: who, when, why' },
    ),
  },
  { $id: 'StatusHistory', additionalProperties: false },
);

/** VC-API (VCALM) update-status request. */
export const VcApiStatusRequest = Type.Object(
  {
    credentialId: Type.String({ minLength: 1, maxLength: 2048, description: 'The credential id (URL) or its UUID' }),
    credentialStatus: Type.Object(
      {
        type: Type.Literal('BitstringStatusListEntry'),
        statusPurpose: Type.Union([Type.Literal('revocation'), Type.Literal('suspension')]),
      },
      { additionalProperties: true },
    ),
    status: Type.Optional(Type.Boolean({ description: 'true sets the status (default), false clears it' })),
    reason: Type.Optional(Text(1000, 'Recorded in the history (an extension to the VC-API request)')),
  },
  { $id: 'VcApiStatusRequest', additionalProperties: true },
);
