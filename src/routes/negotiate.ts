/** Content negotiation over an Accept header (RFC 9110 §12.5.1): media ranges with their quality (q). */

const isHtml = (type: string) => type === 'text/html' || type === 'application/xhtml+xml';
const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');
const isJwt = (type: string) => type === 'application/vc+jwt' || type === 'application/jwt';

/** The highest quality the header gives a type matching `matches`; -1 when none is listed. */
function quality(accept: string, matches: (type: string) => boolean): number {
  let best = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    if (!matches(type.trim())) continue;
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? '1',
    );
    best = Math.max(best, Number.isFinite(q) ? q : 0);
  }
  return best;
}

/** Whether an Accept header ranks text/html above every JSON type (browsers do; curl and fetch do not). */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const html = quality(accept, isHtml);
  return html > 0 && html >= quality(accept, isJson);
}

/**
 * Whether a VC-JWT is asked for before JSON, and whether JSON (or anything) is acceptable too: a credential with no
 * JWT form is then served as JSON rather than refused.
 */
export function jwtPreference(accept: string | undefined): { prefersJwt: boolean; acceptsJson: boolean } {
  if (accept === undefined) return { prefersJwt: false, acceptsJson: true };
  const jwt = quality(accept, isJwt);
  const json = quality(accept, (type) => isJson(type) || type === '*/*' || type === 'application/*');
  return { prefersJwt: jwt > 0 && jwt >= json, acceptsJson: json > 0 };
}
