/**
 * The badge image: an SVG drawn from the credential (no remote images, so it renders offline and bakes cleanly),
 * baked per OB 3.0 §Baking with one `<openbadges:credential>` element right after the `<svg>` open tag, the JSON
 * inside CDATA. Extraction parses the XML with namespaces, so any prefix bound to the OB namespace is found.
 */
import { DOMParser } from '@xmldom/xmldom';
import { ImageFormatError } from './png.js';

export const OB_SVG_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';
export const CLR_SVG_NAMESPACE = 'https://purl.imsglobal.org/clr/v2p0';

/** XML text: special characters escaped, and characters XML 1.0 forbids (controls other than tab and line breaks) dropped. */
const escapeXml = (value: string): string =>
  value
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

/**
 * Greedy word wrap by character count (the font is known, so counts approximate widths well enough). No line is
 * longer than `width`; a word longer than a line is cut with an ellipsis, and so is the last line when text is left.
 */
export function wrap(text: string, width: number, maxLines: number): string[] {
  const ellipsis = (chars: string[]): string =>
    width < 2
      ? chars.slice(0, width).join('')
      : `${chars
          .slice(0, width - 1)
          .join('')
          .trimEnd()}…`;
  const fit = (line: string): string => ([...line].length <= width ? line : ellipsis([...line]));
  const words = text.trim().split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const next = line === '' ? word : `${line} ${word}`;
    if ([...next].length <= width || line === '') line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  if (lines.length <= maxLines) return lines.map(fit);
  const kept = lines.slice(0, maxLines).map(fit);
  const last = kept[maxLines - 1]!;
  if (!last.endsWith('…')) kept[maxLines - 1] = [...last].length < width ? `${last}…` : ellipsis([...last]);
  return kept;
}

export interface BadgeFace {
  readonly title: string;
  readonly kind: string;
  readonly issuer: string;
  readonly date: string;
}

export const BADGE_FONT_FAMILY = 'DejaVu Sans';
const FONT = `${BADGE_FONT_FAMILY}, Verdana, Arial, sans-serif`;

/** The unbaked badge: a 512×512 seal with the achievement name, kind, issuer and award date. */
export function badgeSvg(face: BadgeFace): string {
  // Long names get a smaller size and more, longer lines before anything is cut.
  const fits = wrap(face.title, 17, 9).length <= 3;
  const titleLines = fits ? wrap(face.title, 17, 3) : wrap(face.title, 22, 5);
  const titleSize = fits ? 34 : 26;
  const lineHeight = titleSize * 1.18;
  const titleTop = 255 - ((titleLines.length - 1) * lineHeight) / 2;
  const title = titleLines
    .map((line, i) => `<tspan x="256" y="${(titleTop + i * lineHeight).toFixed(1)}">${escapeXml(line)}</tspan>`)
    .join('');
  const issuer = wrap(face.issuer, 28, 2)
    .map((line, i) => `<tspan x="256" y="${380 + i * 22}">${escapeXml(line)}</tspan>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="0 0 512 512" role="img" aria-label="${escapeXml(`${face.kind}: ${face.title}, ${face.issuer}`)}">
<title>${escapeXml(face.title)}</title>
<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#1e40af"/><stop offset="1" stop-color="#1e3a8a"/></linearGradient></defs>
<circle cx="256" cy="256" r="248" fill="#c7a54a"/>
<circle cx="256" cy="256" r="236" fill="url(#g)"/>
<circle cx="256" cy="256" r="214" fill="none" stroke="#e8d9a8" stroke-width="3" stroke-dasharray="2 7"/>
<text x="256" y="128" text-anchor="middle" font-family="${FONT}" font-size="20" font-weight="bold" letter-spacing="3" fill="#e8d9a8">${escapeXml(face.kind.toUpperCase())}</text>
<path d="M156 150 H356" stroke="#e8d9a8" stroke-width="2"/>
<text text-anchor="middle" font-family="${FONT}" font-size="${titleSize}" font-weight="bold" fill="#ffffff">${title}</text>
<path d="M156 346 H356" stroke="#e8d9a8" stroke-width="2"/>
<text text-anchor="middle" font-family="${FONT}" font-size="18" fill="#ffffff">${issuer}</text>
<text x="256" y="436" text-anchor="middle" font-family="${FONT}" font-size="16" fill="#e8d9a8">${escapeXml(face.date)}</text>
</svg>`;
}

/**
 * CDATA cannot hold "]]>" (split it across two sections), and XML parsers drop or rewrite a few characters JSON
 * leaves raw (U+FFFE, U+FFFF; U+0085 and U+2028 become line feeds). Those can only occur inside JSON strings, so
 * they are written as \\uXXXX escapes: the same JSON value, safe in any XML parser.
 */
const cdata = (json: string): string =>
  `<![CDATA[${json
    .replace(/[\u007f-\u009f\u2028\u2029\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;

/** Bakes the credential JSON text (or a CLR with `clr`) into an SVG made by `badgeSvg`. */
export function bakeSvg(svg: string, credentialText: string, kind: 'credential' | 'clr' = 'credential'): string {
  const open = /<svg\b[^>]*>/.exec(svg);
  if (open === null) throw new ImageFormatError('Not an SVG document');
  const [prefix, namespace] = kind === 'clr' ? ['clr', CLR_SVG_NAMESPACE] : ['openbadges', OB_SVG_NAMESPACE];
  // A baked file holds one credential: baking it again is refused rather than producing two.
  if (svg.includes(namespace)) throw new ImageFormatError('This SVG is already baked');
  const tag = open[0].replace(/^<svg\b/, `<svg xmlns:${prefix}="${namespace}"`);
  const element = `\n<${prefix}:credential>${cdata(credentialText)}</${prefix}:credential>`;
  return svg.slice(0, open.index) + tag + element + svg.slice(open.index + open[0].length);
}

export interface SvgBaked {
  readonly namespace: string;
  /** The JSON text, or the compact JWS of a VC-JWT (`verify` attribute). */
  readonly text: string;
  readonly format: 'json' | 'jwt';
}

/** The first baked OB 3.0 (or CLR) credential in an SVG, or undefined when none is baked. */
export function extractFromSvg(svgText: string): SvgBaked | undefined {
  const errors: string[] = [];
  let document;
  try {
    document = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') errors.push(message);
      },
    }).parseFromString(svgText, 'image/svg+xml');
  } catch (error) {
    // xmldom throws its ParseError on fatal errors, whatever onError does.
    throw new ImageFormatError(`Not a well-formed SVG document: ${(error as Error).message.split('\n')[0]}`);
  }
  const root = document.documentElement;
  if (errors.length > 0 || root === null || root.localName !== 'svg') {
    throw new ImageFormatError(`Not a well-formed SVG document${errors.length > 0 ? `: ${errors[0]}` : ''}`);
  }
  for (const namespace of [OB_SVG_NAMESPACE, CLR_SVG_NAMESPACE]) {
    const element = document.getElementsByTagNameNS(namespace, 'credential')[0];
    if (element === undefined) continue;
    const verify = element.getAttribute('verify');
    if (verify !== null && verify.trim() !== '') return { namespace, text: verify.trim(), format: 'jwt' };
    return { namespace, text: (element.textContent ?? '').trim(), format: 'json' };
  }
  return undefined;
}
