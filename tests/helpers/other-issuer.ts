/** Another implementation's issuer: a did:key and a signer from stock @digitalbazaar libraries (nothing from src/). */
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

export async function createOtherIssuer() {
  const pair = await Ed25519Multikey.generate();
  const did = `did:key:${pair.publicKeyMultibase}`;
  const key = await Ed25519Multikey.from({
    ...(await pair.export({ publicKey: true, secretKey: true, includeContext: true })),
    id: `${did}#${pair.publicKeyMultibase}`,
    controller: did,
  });
  return { did, signer: key.signer() };
}

/** The subject of another platform's micro-credential (plain-text recipient, as some issuers do). */
export const otherAchievementSubject = {
  type: ['AchievementSubject'],
  identifier: [{ type: 'IdentityObject', identityType: 'emailAddress', hashed: false, identityHash: 'learner@example.org' }],
  achievement: {
    id: 'https://other.example.org/achievements/1',
    type: ['Achievement'],
    name: 'Culturally Responsive Teaching',
    description: 'Another platform’s micro-credential.',
    criteria: { narrative: 'Demonstrated in a portfolio.' },
  },
};
