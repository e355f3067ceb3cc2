import { DOMParser, type Element } from '@xmldom/xmldom';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ImageFormatError } from '../../src/artifacts/png.js';
import { badgeSvg, bakeSvg, CLR_SVG_NAMESPACE, extractFromSvg, OB_SVG_NAMESPACE, wrap, type BadgeFace } from '../../src/artifacts/svg.js';
import { thrown } from '../helpers/png.js';

const face: BadgeFace = {
  title: 'Formative Assessment: Checking for Understanding',
  kind: 'Micro-credential',
  issuer: 'Example School District',
  date: 'Awarded May 1, 2026',
};

const credentialText = JSON.stringify({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: 'https://badges.example.org/credentials/1',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  name: 'Formative Assessment <& "quotes" & \'apostrophes\'>',
  credentialSubject: { identifier: [{ identityType: 'name', hashed: false, identityHash: 'Zoë Ramírez 🎓' }] },
});

/** Parses strictly: any warning or error fails the test. */
function parseStrict(xml: string) {
  const problems: string[] = [];
  const document = new DOMParser({ onError: (level, message) => problems.push(`${level}: ${message}`) }).parseFromString(
    xml,
    'image/svg+xml',
  );
  expect(problems).toEqual([]);
  return document;
}

function elementChildren(element: Element): Element[] {
  const children: Element[] = [];
  for (let node = element.firstChild; node !== null; node = node.nextSibling) {
    if (node.nodeType === node.ELEMENT_NODE) children.push(node as Element);
    else expect(node.nodeType === node.TEXT_NODE && (node.nodeValue ?? '').trim() === '', 'only whitespace between elements').toBe(true);
  }
  return children;
}

describe(bakeSvg.name, () => {
  const baked = bakeSvg(badgeSvg(face), credentialText);

  it('bakes JSON that extractFromSvg reads back exactly, as json', () => {
    expect(extractFromSvg(baked)).toEqual({ namespace: OB_SVG_NAMESPACE, text: credentialText, format: 'json' });
  });

  it('puts one openbadges:credential element first inside <svg>, with the OB namespace declared on <svg>', () => {
    const document = parseStrict(baked);
    const svg = document.documentElement!;
    expect(svg.localName).toBe('svg');
    expect(svg.getAttribute('xmlns:openbadges')).toBe('https://purl.imsglobal.org/ob/v3p0');
    const first = elementChildren(svg)[0]!;
    expect(first.tagName).toBe('openbadges:credential');
    expect(first.namespaceURI).toBe(OB_SVG_NAMESPACE);
    expect(first.getAttribute('verify')).toBeNull();
    expect(document.getElementsByTagNameNS(OB_SVG_NAMESPACE, 'credential')).toHaveLength(1);
    // the JSON sits in CDATA, not escaped text
    expect(first.firstChild?.nodeType).toBe(first.CDATA_SECTION_NODE);
    // and directly after the open tag in the text itself
    const openTag = /<svg\b[^>]*>/.exec(baked)!;
    expect(
      baked
        .slice(openTag.index + openTag[0].length)
        .trimStart()
        .startsWith('<openbadges:credential>'),
    ).toBe(true);
    // the badge itself is untouched
    expect(baked.replace(/ xmlns:openbadges="[^"]*"/, '').replace(/\n<openbadges:credential>.*?<\/openbadges:credential>/s, '')).toBe(
      badgeSvg(face),
    );
  });

  it('bakes a CLR in the CLR namespace', () => {
    const clr = bakeSvg(badgeSvg(face), '{"type":["ClrCredential"]}', 'clr');
    expect(parseStrict(clr).documentElement?.getAttribute('xmlns:clr')).toBe(CLR_SVG_NAMESPACE);
    expect(extractFromSvg(clr)).toEqual({ namespace: CLR_SVG_NAMESPACE, text: '{"type":["ClrCredential"]}', format: 'json' });
  });

  it('round-trips text containing "]]>" by splitting the CDATA section', () => {
    for (const text of [']]>', 'a]]>b', '{"x":"]]>]]>"}', ']]]]>>', '<![CDATA[ ]]> ]]&gt;', '{"x":"]]"}']) {
      const svg = bakeSvg(badgeSvg(face), text);
      parseStrict(svg);
      expect(extractFromSvg(svg)?.text).toBe(text);
    }
  });

  it('round-trips any JSON credential text', () => {
    const unit = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      fc.constantFrom(']]>', ']]', '<', '&', '"', '\\', '\n', '\t', 'é', '😀', '\u00a0', '\u0085', '\u2028', '\u2029', '\ufffe', '\uffff'),
    );
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: unit, maxDepth: 3 }), (value) => {
        const text = JSON.stringify({ type: ['VerifiableCredential'], value });
        const extracted = extractFromSvg(bakeSvg(badgeSvg(face), text));
        expect(extracted?.format).toBe('json');
        expect(JSON.parse(extracted!.text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps a credential intact when a name holds U+2028 LINE SEPARATOR, U+0085 NEXT LINE or U+FFFF', () => {
    // JSON.stringify leaves these characters raw; the proof signs the JSON value, so it must survive baking.
    for (const name of ['Line\u2028separated', 'Next\u0085line', 'Non\uffffcharacter']) {
      const text = JSON.stringify({ type: ['VerifiableCredential'], name });
      const error = thrown(() => {
        const extracted = extractFromSvg(bakeSvg(badgeSvg(face), text));
        expect(JSON.parse(extracted!.text)).toEqual({ type: ['VerifiableCredential'], name });
      });
      expect(error, JSON.stringify(name)).toBeUndefined();
    }
  });

  it('replaces the baked credential when baking again (one element, holding the new text), or refuses', () => {
    const again = thrown(() => bakeSvg(baked, '{"second":true}'));
    if (again !== undefined) {
      expect(again).toBeInstanceOf(ImageFormatError);
      return;
    }
    const rebaked = bakeSvg(baked, '{"second":true}');
    const document = parseStrict(rebaked);
    expect(document.getElementsByTagNameNS(OB_SVG_NAMESPACE, 'credential')).toHaveLength(1);
    expect(extractFromSvg(rebaked)?.text).toBe('{"second":true}');
  });

  it('refuses something that is not an SVG', () => {
    expect(() => bakeSvg('<html><body/></html>', '{}')).toThrow(ImageFormatError);
  });
});

describe(extractFromSvg.name, () => {
  it('finds the credential under any prefix bound to the OB namespace', () => {
    const svg = `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="https://purl.imsglobal.org/ob/v3p0" width="10" height="10">
  <ob:credential>
    <![CDATA[{"type":["VerifiableCredential","OpenBadgeCredential"]}]]>
  </ob:credential>
  <rect width="10" height="10"/>
</svg>`;
    expect(extractFromSvg(svg)).toEqual({
      namespace: OB_SVG_NAMESPACE,
      text: '{"type":["VerifiableCredential","OpenBadgeCredential"]}',
      format: 'json',
    });
  });

  it('ignores a credential element in another namespace or with the wrong prefix binding', () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://example.org/not-ob"><openbadges:credential>{}</openbadges:credential></svg>`;
    expect(extractFromSvg(svg)).toBeUndefined();
    expect(extractFromSvg(badgeSvg(face))).toBeUndefined();
  });

  it('reads a verify attribute as a VC-JWT', () => {
    const jws = 'eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2lnbmF0dXJl';
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential verify="${jws}"/></svg>`;
    expect(extractFromSvg(svg)).toEqual({ namespace: OB_SVG_NAMESPACE, text: jws, format: 'jwt' });
  });

  it('stops at the first credential element', () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:b="https://purl.imsglobal.org/ob/v3p0"><b:credential>{"n":1}</b:credential><b:credential>{"n":2}</b:credential></svg>`;
    expect(extractFromSvg(svg)?.text).toBe('{"n":1}');
  });

  it.each([
    ['an unclosed tag', '<svg xmlns="http://www.w3.org/2000/svg">'],
    ['a lone <', '<'],
    ['mismatched tags', '<svg xmlns="http://www.w3.org/2000/svg"><g></a></svg>'],
    ['a duplicate attribute', '<svg xmlns="http://www.w3.org/2000/svg" width="1" width="2"/>'],
    ['an undefined entity', '<svg xmlns="http://www.w3.org/2000/svg">&nope;</svg>'],
    ['an HTML document', '<html><body>hello</body></html>'],
    ['two root elements', '<svg xmlns="http://www.w3.org/2000/svg"/><svg xmlns="http://www.w3.org/2000/svg"/>'],
  ])('throws ImageFormatError for malformed XML: %s', (_name, xml) => {
    const error = thrown(() => extractFromSvg(xml));
    expect(error).toBeInstanceOf(ImageFormatError);
  });

  it('does not expand internal DTD entities (billion laughs)', () => {
    const levels = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
    const svg = `<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY l0 "lol">${levels}]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>&l9;</openbadges:credential></svg>`;
    const started = Date.now();
    let result: ReturnType<typeof extractFromSvg>;
    try {
      result = extractFromSvg(svg);
    } catch (error) {
      expect(error).toBeInstanceOf(ImageFormatError);
      return;
    } finally {
      expect(Date.now() - started).toBeLessThan(2000);
    }
    expect((result?.text ?? '').length).toBeLessThan(svg.length);
  });

  it('does not read external entities', () => {
    const svg = `<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential>&x;</openbadges:credential></svg>`;
    let result: ReturnType<typeof extractFromSvg>;
    try {
      result = extractFromSvg(svg);
    } catch (error) {
      expect(error).toBeInstanceOf(ImageFormatError);
      return;
    }
    expect(result?.text ?? '').not.toMatch(/root:/);
  });
});

describe(badgeSvg.name, () => {
  it('draws a well-formed 512×512 SVG showing the face', () => {
    const document = parseStrict(badgeSvg(face));
    const svg = document.documentElement!;
    expect([svg.getAttribute('width'), svg.getAttribute('height')]).toEqual(['512', '512']);
    expect(document.getElementsByTagName('title')[0]?.textContent).toBe(face.title);
    const texts = Array.from(document.getElementsByTagName('text')).map((t) => t.textContent ?? '');
    expect(texts).toContain('MICRO-CREDENTIAL');
    expect(texts).toContain('Awarded May 1, 2026');
    expect(texts.join(' ')).toContain('Example School District');
  });

  it('escapes XML special characters in every field', () => {
    const hostile: BadgeFace = {
      title: `<script>alert("x")</script> & 'quotes'`,
      kind: `</text><script>1</script>`,
      issuer: `"> <script>x</script> &amp;`,
      date: `<![CDATA[ ]]> & <`,
    };
    const svg = badgeSvg(hostile);
    const document = parseStrict(svg);
    expect(document.getElementsByTagName('script')).toHaveLength(0);
    expect(document.getElementsByTagNameNS('http://www.w3.org/2000/svg', 'script')).toHaveLength(0);
    expect(document.getElementsByTagName('title')[0]?.textContent).toBe(hostile.title);
    expect(document.documentElement?.getAttribute('aria-label')).toBe(`${hostile.kind}: ${hostile.title}, ${hostile.issuer}`);
    const texts = Array.from(document.getElementsByTagName('text')).map((t) => t.textContent ?? '');
    expect(texts).toContain(hostile.kind.toUpperCase());
    expect(texts).toContain(hostile.date);
    expect(texts).toContain(hostile.issuer);
  });

  it('is well-formed XML for any printable face', () => {
    const printable = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '<', '>', '&', '"', "'", ';', 'é', '😀', '\u00a0', '-', '#') });
    fc.assert(
      fc.property(printable, printable, printable, printable, (title, kind, issuer, date) => {
        const document = parseStrict(badgeSvg({ title, kind, issuer, date }));
        expect(document.getElementsByTagName('title')[0]?.textContent).toBe(title);
      }),
    );
  });
});

describe(wrap.name, () => {
  it('wraps greedily by words', () => {
    expect(wrap('Formative Assessment: Checking for Understanding', 22, 5)).toEqual([
      'Formative Assessment:',
      'Checking for',
      'Understanding',
    ]);
    expect(wrap('one two three four', 9, 5)).toEqual(['one two', 'three', 'four']);
    expect(wrap('  spaced\tout \n words ', 20, 2)).toEqual(['spaced out words']);
    expect(wrap('', 10, 3)).toEqual([]);
  });

  it('cuts with an ellipsis when there is too much text', () => {
    expect(wrap('one two three four five six', 9, 2)).toEqual(['one two', 'three…']);
    expect(wrap('Formative Assessment: Checking for Understanding', 17, 3)).toEqual(['Formative', 'Assessment:', 'Checking for…']);
    expect(wrap('Incomprehensibilities', 10, 1)).toEqual(['Incompreh…']);
  });

  it('never cuts a long word on a line before the last one (width is a hard limit on every line)', () => {
    const lines = wrap('Supercalifragilistic a b c d e f', 5, 2);
    expect(lines).toHaveLength(2);
    expect(lines.filter((line) => [...line].length > 5)).toEqual([]);
  });

  it('keeps to a width of 1 when cutting the last line', () => {
    expect(wrap('a b c', 1, 1).map((line) => [...line].length)).toEqual([1]);
  });

  it('never returns more than maxLines lines, nor a line longer than width characters', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀', 'W'), minLength: 1, maxLength: 25 });
    fc.assert(
      fc.property(
        fc.array(word, { maxLength: 12 }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 1, max: 6 }),
        (words, width, maxLines) => {
          const lines = wrap(words.join(' '), width, maxLines);
          expect(lines.length).toBeLessThanOrEqual(maxLines);
          for (const line of lines) expect([...line].length, JSON.stringify(line)).toBeLessThanOrEqual(width);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps every word, in order, when nothing had to be cut', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '😀'), minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(fc.array(word, { maxLength: 12 }), fc.integer({ min: 8, max: 30 }), (words, width) => {
        const lines = wrap(words.join(' '), width, 100);
        expect(lines.join(' ')).toBe(words.join(' '));
      }),
    );
  });
});
