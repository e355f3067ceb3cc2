/** Whether an Accept header ranks text/html above every JSON type (browsers do; curl and fetch do not). */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let html = -1;
  let json = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? '1',
    );
    const quality = Number.isFinite(q) ? q : 0;
    if (type === 'text/html' || type === 'application/xhtml+xml') html = Math.max(html, quality);
    if (type === 'application/json' || type.endsWith('+json')) json = Math.max(json, quality);
  }
  return html > 0 && html >= json;
}
