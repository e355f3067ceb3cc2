import { Type } from '@sinclair/typebox';
import { HttpUrl, IDEMPOTENCY_KEY } from './common.js';

const IdempotencyKey = Type.String({
  ...IDEMPOTENCY_KEY,
  description: "This item's Idempotency-Key, unique within the batch: as for POST /credentials, it makes the item issue once",
});

export const BatchRequest = Type.Object(
  {
    items: Type.Array(
      Type.Object({ idempotencyKey: IdempotencyKey, request: Type.Ref('IssueRequest') }, { additionalProperties: false }),
      { minItems: 1, maxItems: 10_000, description: 'Up to 10,000 issue requests, each as POST /credentials takes it' },
    ),
    webhookUrl: Type.Optional({
      ...HttpUrl,
      description: 'Called once with a POST when the batch completes (retried with backoff until it answers 2xx)',
    }),
  },
  { $id: 'BatchRequest', additionalProperties: false },
);

const counts = {
  total: Type.Integer({ minimum: 1 }),
  pending: Type.Integer({ minimum: 0 }),
  issued: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
};

export const BatchProgress = Type.Object(
  {
    id: Type.String(),
    url: Type.String({ format: 'uri' }),
    state: Type.Union([Type.Literal('running'), Type.Literal('completed')]),
    ...counts,
    createdAt: Type.String({ format: 'date-time' }),
    completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    itemsUrl: Type.String({ format: 'uri', description: 'Per-item results' }),
    webhookSecret: Type.Optional(
      Type.String({
        description:
          'Only in the answer to POST, when a webhook was given: the key of the HMAC-SHA256 in the Webhook-Signature header ' +
          '(t=<unix seconds>,v1=<hex of HMAC(secret, "<t>.<body>")>)',
      }),
    ),
  },
  { $id: 'BatchProgress', additionalProperties: false },
);

export const BatchItems = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          seq: Type.Integer({ minimum: 0, description: 'Position in the submitted items' }),
          idempotencyKey: Type.String(),
          state: Type.Union([Type.Literal('pending'), Type.Literal('issued'), Type.Literal('failed')]),
          credentialUrl: Type.Optional(Type.String({ format: 'uri' })),
          replayed: Type.Optional(Type.Boolean({ description: 'The credential already existed under this Idempotency-Key' })),
          problem: Type.Optional(Type.Ref('Problem')),
        },
        { additionalProperties: false },
      ),
    ),
    next: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: 'The next page, or null on the last' }),
  },
  { $id: 'BatchItems', additionalProperties: false },
);

export const BatchItemsQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: -1, description: 'Items after this seq (the cursor in `next`)' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
    state: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('issued'), Type.Literal('failed')])),
  },
  { additionalProperties: false },
);
