import { Type, type Static } from '@sinclair/typebox';

/** An absolute http(s) URL: what OB 3.0 expects for links a person or verifier follows. */
export const HttpUrl = Type.String({
  format: 'uri',
  pattern: '^https?://',
  maxLength: 2048,
  description: 'Absolute http(s) URL',
});

export const DateTimeZ = Type.String({
  format: 'date-time',
  pattern: '(Z|[+-]\\d{2}:\\d{2})$',
  description: 'RFC 3339 date-time with a time zone, e.g. 2026-11-20T15:00:00Z',
});

export const Slug = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'Lower-case key (letters, digits, hyphens) unique within its list',
});

/** Extensible OB 3.0 enumerations accept `ext:` values. */
export const extensibleEnum = (values: readonly string[], description: string) =>
  Type.String({ pattern: `^(${values.join('|')}|ext:[A-Za-z0-9._-]+)$`, description });

/** Text with at least one visible character. */
export const Text = (maxLength: number, description?: string) =>
  Type.String({
    minLength: 1,
    maxLength,
    // A visible character, and no control characters other than tab and line breaks (they break XML, PDFs and logs).
    pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$',
    ...(description ? { description } : {}),
  });

export const ProblemFieldError = Type.Object(
  { pointer: Type.String(), detail: Type.String() },
  { $id: 'ProblemFieldError', additionalProperties: false },
);

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'URI naming the problem type' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Ref(ProblemFieldError))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' },
);
export type Problem = Static<typeof Problem>;

export const IdParam = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'Resource id' }) },
  { additionalProperties: false },
);

/** An Idempotency-Key: printable ASCII without spaces (a header value, and each batch item's key). */
export const IDEMPOTENCY_KEY = { minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' } as const;

/** The headers of a write that may be retried: an optional Idempotency-Key. */
export const IdempotencyHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String(IDEMPOTENCY_KEY)) });

/** The Idempotency-Key a request was sent with, if any. */
export const idempotencyKeyOf = (headers: Record<string, unknown>): string | undefined =>
  typeof headers['idempotency-key'] === 'string' ? headers['idempotency-key'] : undefined;
