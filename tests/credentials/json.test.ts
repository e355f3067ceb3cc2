import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findMembers } from '../../src/credentials/json.js';

/** Resolves an RFC 6901 pointer (relative, "" is the whole value). */
function resolve(value: unknown, pointer: string): unknown {
  if (pointer === '') return value;
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, token) => (node as Record<string, unknown>)[token], value);
}

describe('findMembers', () => {
  it('points at every member with the name, in document order, inside arrays too, and escapes ~ and /', () => {
    const doc = {
      a: { x: 1 },
      list: [{ x: 2 }, { y: { x: 3 } }],
      'odd/~name': { x: 4 },
      x: 5,
    };
    expect(findMembers(doc, (name) => name === 'x')).toEqual(['/a/x', '/list/0/x', '/list/1/y/x', '/odd~1~0name/x', '/x']);
  });

  it('leaves context definitions out, and stops at the limit', () => {
    const doc = { '@context': [{ x: 'https://example.org/x' }], x: 1, y: { '@context': { x: 'https://example.org/x' }, x: 2 } };
    expect(findMembers(doc, (name) => name === 'x')).toEqual(['/x', '/y/x']);
    expect(findMembers(doc, (name) => name === 'x', 1)).toEqual(['/x']);
  });

  it('matches on the member too (a type among several)', () => {
    const doc = { type: ['VerifiableCredential', 'Made'], credentialSubject: { type: 'Other' }, evidence: [{ type: ['Made'] }] };
    expect(findMembers(doc, (name, member) => name === 'type' && [member].flat().includes('Made'))).toEqual(['/type', '/evidence/0/type']);
  });

  it('for any JSON, every pointer resolves to a member with the name, and none is missed', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom('a', '', 'x/y', '~', '0'), (value, key) => {
        const pointers = findMembers(value, (name) => name === key, Infinity);
        for (const pointer of pointers) {
          const parent = resolve(value, pointer.slice(0, pointer.lastIndexOf('/')));
          expect(Array.isArray(parent)).toBe(false);
          expect(Object.prototype.hasOwnProperty.call(parent, key)).toBe(true);
          expect(resolve(value, pointer)).toBe((parent as Record<string, unknown>)[key]);
        }
        const count = (node: unknown): number =>
          typeof node !== 'object' || node === null
            ? 0
            : Array.isArray(node)
              ? node.reduce<number>((n, item) => n + count(item), 0)
              : Object.entries(node).reduce((n, [name, child]) => n + (name === '@context' ? 0 : (name === key ? 1 : 0) + count(child)), 0);
        expect(pointers).toHaveLength(count(value));
      }),
    );
  });
});
