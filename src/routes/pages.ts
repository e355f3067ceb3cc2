import type { FastifyReply } from 'fastify';

/**
 * Sends an HTML page under a strict policy: no scripts at all, inline styles only, images from this service or
 * https, forms only where `form` allows; never cached, never framed, and no Referer (private links carry tokens).
 * `sameOriginReferrer`: for a page whose form handler checks the post came from this site (browsers send `Origin: null`
 * from a no-referrer page); Referer and Origin then go to this site only.
 * `formTargets`: other origins a form's response may redirect to (browsers apply form-action to the redirect too).
 */
export function sendPage(
  reply: FastifyReply,
  html: string,
  options: { form?: boolean; status?: number; formTargets?: readonly string[]; sameOriginReferrer?: boolean } = {},
): FastifyReply {
  const formAction = options.form ? ["'self'", ...(options.formTargets ?? [])].join(' ') : "'none'";
  const csp =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; base-uri 'none'; " +
    `form-action ${formAction}; frame-ancestors 'none'`;
  return reply
    .code(options.status ?? 200)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', options.sameOriginReferrer ? 'same-origin' : 'no-referrer')
    .send(html);
}
