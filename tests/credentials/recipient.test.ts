import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashRecipient, identityMatches } from '../../src/credentials/recipient.js';

describe(hashRecipient.name, () => {
  it('matches the OB 3.0 check value for sha256("a@example.com" + "Kosher")', () => {
    expect(hashRecipient({ identityType: 'emailAddress', identifier: 'a@example.com', salt: 'Kosher' }).identityHash).toBe(
      'sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399',
    );
  });

  it('salts every hash differently and normalises email case and spaces', () => {
    const a = hashRecipient({ identityType: 'emailAddress', identifier: ' Teacher@District.Example ' });
    const b = hashRecipient({ identityType: 'emailAddress', identifier: 'teacher@district.example' });
    expect(a.identityHash).not.toBe(b.identityHash);
    expect(a.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(identityMatches(a, 'TEACHER@district.example')).toBe(true);
    expect(identityMatches(a, 'other@district.example')).toBe(false);
  });

  it('round-trips any identifier through identityMatches', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
        fc.constantFrom('emailAddress', 'sourcedId', 'ext:stateId'),
        (identifier, identityType) => {
          expect(identityMatches(hashRecipient({ identityType, identifier }), identifier)).toBe(true);
        },
      ),
    );
  });
});
