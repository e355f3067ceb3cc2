import { describe, expect, it } from 'vitest';
import { didWebDocumentUrl, didWebFor } from '../../src/keys/did-web.js';
import { didKeyFor, resolveDidKey } from '../../src/keys/did-key.js';

describe('did:web', () => {
  it('encodes the port and path of the public URL', () => {
    expect(didWebFor('https://badges.example.org', ['issuers', 'abc'])).toBe('did:web:badges.example.org:issuers:abc');
    expect(didWebFor('http://localhost:3000', ['issuers', 'abc'])).toBe('did:web:localhost%3A3000:issuers:abc');
    expect(didWebFor('https://example.org/mc', ['issuers', 'abc'])).toBe('did:web:example.org:mc:issuers:abc');
  });

  it('maps a did:web to its document URL (did:web method spec §3.2)', () => {
    expect(didWebDocumentUrl('did:web:badges.example.org:issuers:abc')).toBe('https://badges.example.org/issuers/abc/did.json');
    expect(didWebDocumentUrl('did:web:example.org')).toBe('https://example.org/.well-known/did.json');
    expect(didWebDocumentUrl('did:web:localhost%3A3000:issuers:abc#key-1', true)).toBe('http://localhost:3000/issuers/abc/did.json');
  });

  it('rejects malformed did:web values', () => {
    for (const bad of [
      'did:web:',
      'did:key:z6Mk',
      'did:web:exa mple.org',
      'did:web:example.org:..',
      'did:web:example.org::x',
      'did:web:user%40host',
    ]) {
      expect(() => didWebDocumentUrl(bad), bad).toThrow();
    }
  });
});

describe('did:key', () => {
  const key = 'z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
  it('builds the DID, its verification method and a Multikey document', () => {
    expect(didKeyFor(key)).toEqual({ did: `did:key:${key}`, verificationMethod: `did:key:${key}#${key}` });
    const doc = resolveDidKey(`did:key:${key}`);
    expect(doc.assertionMethod).toEqual([`did:key:${key}#${key}`]);
    expect((doc.verificationMethod as Array<Record<string, unknown>>)[0]).toMatchObject({
      type: 'Multikey',
      controller: `did:key:${key}`,
      publicKeyMultibase: key,
    });
  });
  it('refuses keys that are not Ed25519', () => {
    expect(() => resolveDidKey('did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169')).toThrow(/Ed25519/);
  });
});
