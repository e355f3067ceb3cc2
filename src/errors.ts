/**
 * The catalogue of problem types (RFC 9457). Each slug has one status and title; `type` URIs are
 * `${PUBLIC_URL}/problems/<slug>` and the docs list them. Errors carry their status, so handlers never map classes.
 */
export const problemTypes = {
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The request body is not valid JSON' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'body-too-large': { status: 413, title: 'The request body is too large' },
  unauthorized: { status: 401, title: 'A valid API key is required' },
  forbidden: { status: 403, title: 'This API key may not do that' },
  'invalid-token': { status: 401, title: 'A valid access token is required' },
  'insufficient-scope': { status: 403, title: 'The access token was not granted this' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'credential-not-found': { status: 404, title: 'Credential not found' },
  'achievement-not-found': { status: 404, title: 'Achievement not found' },
  'issuer-not-found': { status: 404, title: 'Issuer not found' },
  'idempotency-conflict': { status: 409, title: 'Idempotency key reused with a different request' },
  conflict: { status: 409, title: 'The request conflicts with the current state' },
  'unprocessable-credential': { status: 422, title: 'The credential cannot be issued as requested' },
  'result-below-required-level': { status: 422, title: 'The result does not meet the required rubric level' },
  'batch-not-found': { status: 404, title: 'Batch not found' },
  'link-not-found': { status: 404, title: 'Link not found' },
  'link-expired': { status: 410, title: 'This link has expired or was revoked' },
  'credential-revoked': { status: 410, title: 'The issuer revoked this credential' },
  'credential-suspended': { status: 409, title: 'The issuer suspended this credential' },
  'nothing-to-bundle': { status: 409, title: 'There are no current credentials to bundle' },
  'stack-not-complete': { status: 409, title: "The educator does not meet the stack's rules yet" },
  'unreadable-file': { status: 422, title: 'No credential could be read from the file' },
  'did-authentication-failed': { status: 422, title: 'The DID authentication presentation did not verify' },
  'not-acceptable': { status: 406, title: 'Not acceptable' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  'service-unavailable': { status: 503, title: 'The service is temporarily unavailable' },
  'internal-error': { status: 500, title: 'Internal server error' },
} as const;

export type ProblemSlug = keyof typeof problemTypes;

export interface ProblemFieldError {
  /** JSON Pointer (RFC 6901) into the request. */
  readonly pointer: string;
  readonly detail: string;
}

export class Problem extends Error {
  readonly status: number;
  constructor(
    readonly slug: ProblemSlug,
    readonly detail?: string,
    readonly errors?: readonly ProblemFieldError[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(detail ?? problemTypes[slug].title);
    this.name = 'Problem';
    this.status = problemTypes[slug].status;
  }
}
