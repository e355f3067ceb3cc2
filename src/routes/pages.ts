import type { FastifyReply } from 'fastify';

/**
 * Sends an HTML page under a strict policy: no scripts at all, inline styles only, images from this service or
 * https, forms only where `form` allows; never cached, never framed, and no Referer to other sites (private links
 * carry tokens). A page with a form keeps Referer and Origin for its own site: browsers send `Origin: null` on a form
 * post from a no-referrer page, and the answer's origin is how a form handler knows its own page sent it.
 * `formTargets`: other origins a form's response may redirect to (browsers apply form-action to the redirect too).
 */
export function sendPage(
  reply: FastifyReply,
  html: string,
  options: { form?: boolean; status?: number; formTargets?: readonly string[] } = {},
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
    .header('referrer-policy', options.form ? 'same-origin' : 'no-referrer')
    .send(html);
}
