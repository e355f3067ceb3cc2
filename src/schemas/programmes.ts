import { Type } from '@sinclair/typebox';
import { extensibleEnum, Text } from './common.js';
import { IDENTIFIER_TYPES } from './issue-request.js';

export const RECOGNITION_PURPOSES = ['license-renewal', 'endorsement', 'advanced-license', 'initial-certification', 'graduate-credit', 'salary-step', 'other'] as const;
export const RECOGNIZER_TYPES = ['state-agency', 'district', 'university', 'other'] as const;
export const CREDIT_UNITS = ['CEU', 'clock-hours', 'PD-points', 'credit-hours', 'other'] as const;
const literals = (values: readonly string[], description?: string) => Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});
const Day = Type.String({ format: 'date', description: 'YYYY-MM-DD' });

export const RecipientRequest = Type.Object(
  {
    recipient: Type.Object(
      {
        identity: Text(320, 'The identifier the credentials were issued to, e.g. an email address'),
        identityType: Type.Optional(extensibleEnum(IDENTIFIER_TYPES, 'As at issuance; default emailAddress')),
      },
      { additionalProperties: false },
    ),
  },
  { $id: 'RecipientRequest', additionalProperties: false },
);

export const StackProgress = Type.Object(
  {
    stackId: Type.String(),
    url: Type.String({ description: "The stack's public achievement URL" }),
    name: Type.String(),
    award: literals(['automatic', 'on-request']),
    ordered: Type.Boolean(),
    satisfied: Type.Boolean({ description: 'The educator meets every requirement now' }),
    awarded: Type.Union([Type.Object({ credentialUrl: Type.String(), awardedAt: Type.String({ format: 'date-time' }) }), Type.Null()]),
    requirements: Type.Array(
      Type.Object({
        name: Type.Union([Type.String(), Type.Null()]),
        needed: Type.Integer(),
        earned: Type.Integer(),
        complete: Type.Boolean(),
        components: Type.Array(
          Type.Object({ achievementId: Type.String(), name: Type.String(), credentialUrl: Type.Union([Type.String(), Type.Null()]) }),
        ),
      }),
    ),
  },
  { $id: 'StackProgress', additionalProperties: false },
);

export const RecognitionRequest = Type.Object(
  {
    achievementId: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'The achievement or stack recognised' }),
    recognizerType: literals(RECOGNIZER_TYPES, 'What kind of body the recognising organisation (this API key\'s) is'),
    purpose: literals(RECOGNITION_PURPOSES),
    amount: Type.Optional(
      Type.Object({ value: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }), unit: literals(CREDIT_UNITS) }, { additionalProperties: false }),
    ),
    jurisdiction: Text(200, 'Where it applies, e.g. "US-TX" or "Example Unified School District"'),
    effectiveFrom: Day,
    effectiveUntil: Type.Optional(Day),
    note: Type.Optional(Text(2000)),
  },
  { $id: 'RecognitionRequest', additionalProperties: false },
);

export const Recognition = Type.Object(
  {
    id: Type.String(),
    recognizer: Type.Object({ id: Type.String(), name: Type.String(), url: Type.Union([Type.String(), Type.Null()]), type: Type.String() }),
    achievementId: Type.String(),
    achievementUrl: Type.String(),
    purpose: Type.String(),
    amount: Type.Union([Type.Object({ value: Type.Number(), unit: Type.String() }), Type.Null()]),
    jurisdiction: Type.String(),
    effectiveFrom: Type.String(),
    effectiveUntil: Type.Union([Type.String(), Type.Null()]),
    note: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Recognition', additionalProperties: false },
);

export const EndorsementRequest = Type.Object(
  {
    subject: Type.Union([
      Type.Object({ achievementId: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }) }, { additionalProperties: false }),
      Type.Object({ issuerId: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }) }, { additionalProperties: false }),
    ]),
    name: Type.Optional(Text(300)),
    comment: Text(10_000, 'Markdown: the standards applied and the finding (endorsementComment)'),
  },
  { $id: 'EndorsementRequest', additionalProperties: false },
);

export const CompletionReport = Type.Object(
  {
    minimumCellSize: Type.Integer({ description: 'Counts below this are suppressed (null)' }),
    period: literals(['month', 'quarter', 'year', 'all']),
    rows: Type.Array(
      Type.Object({
        achievementId: Type.String(),
        achievementName: Type.String(),
        kind: literals(['micro-credential', 'stack']),
        period: Type.String({ description: 'YYYY-MM, YYYY-Qn, YYYY or "all" (UTC, by date of issuance)' }),
        status: Type.String(),
        count: Type.Union([Type.Integer(), Type.Null()]),
      }),
    ),
    totals: Type.Array(Type.Object({ achievementId: Type.String(), achievementName: Type.String(), kind: Type.String(), count: Type.Union([Type.Integer(), Type.Null()]) })),
  },
  { $id: 'CompletionReport', additionalProperties: false },
);
