/** HTML building blocks: everything interpolated goes through `escapeHtml`; Markdown is rendered from escaped text. */

/** Reading untrusted credential JSON in views (views may not import credentials/). */
export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** The objects in "one value or an array of values". */
export const list = (v: unknown): Json[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter(isObject);
/** A string value, or ''. */
export const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export const escapeHtml = (value: unknown): string =>
  String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** Only http(s) links become anchors, so a credential cannot inject a javascript: URL. */
export const safeHref = (value: unknown): string | null => {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
};

export const link = (href: unknown, text: unknown): string => {
  const safe = safeHref(href);
  return safe === null ? escapeHtml(text) : `<a href="${escapeHtml(safe)}" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
};

const inline = (escaped: string): string =>
  escaped.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/(^|[^*])\*([^*]+)\*/g, '$1<em>$2</em>');

/** A small, safe subset of Markdown: paragraphs, **bold**, *italic*, numbered and bulleted lists. */
export function renderMarkdown(markdown: unknown): string {
  const blocks = String(markdown ?? '')
    .trim()
    .split(/\n\s*\n/);
  return blocks
    .map((block) => {
      const lines = block.split('\n').map((l) => l.trim());
      if (lines.every((l) => /^\d+\.\s/.test(l))) {
        return `<ol>${lines.map((l) => `<li>${inline(escapeHtml(l.replace(/^\d+\.\s+/, '')))}</li>`).join('')}</ol>`;
      }
      if (lines.every((l) => /^[-*]\s/.test(l))) {
        return `<ul>${lines.map((l) => `<li>${inline(escapeHtml(l.replace(/^[-*]\s+/, '')))}</li>`).join('')}</ul>`;
      }
      return `<p>${lines.map((l) => inline(escapeHtml(l))).join('<br>')}</p>`;
    })
    .join('\n');
}

/** A readable date (UTC) for people, keeping the exact value in a <time> element. */
export const formatDate = (value: unknown): string => {
  if (typeof value !== 'string') return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return escapeHtml(value);
  const text = date.toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
  return `<time datetime="${escapeHtml(value)}">${escapeHtml(text)}</time>`;
};
