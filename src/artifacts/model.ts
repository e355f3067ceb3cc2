/** What the badge and the certificate show, read from a signed OB 3.0 credential (untrusted JSON, read safely). */
import { asArray, isObject, type Json } from '../credentials/json.js';
import type { BadgeFace } from './svg.js';
import type { CertificateModel } from './certificate.js';

const list = (v: unknown): Json[] => asArray(v).filter(isObject);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export const humanDate = (value: unknown): string => {
  const date = new Date(text(value));
  return Number.isNaN(date.getTime())
    ? ''
    : date.toLocaleDateString('en-US', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' });
};

function parts(credential: Json) {
  const subject = list(credential.credentialSubject)[0] ?? {};
  const achievement = isObject(subject.achievement) ? subject.achievement : {};
  const issuer = isObject(credential.issuer) ? credential.issuer : { id: credential.issuer };
  const kindCode = text(achievement.achievementType);
  const kind =
    kindCode === 'MicroCredential' || kindCode === ''
      ? 'Micro-credential'
      : kindCode.replace(/^ext:/, '').replace(/([a-z])([A-Z])/g, '$1 $2');
  const awarded = credential.awardedDate ?? credential.validFrom ?? credential.issuanceDate;
  return {
    subject,
    achievement,
    issuerName: text(issuer.name) || text(issuer.id),
    name: text(achievement.name) || text(credential.name) || 'Credential',
    kind,
    awarded,
  };
}

export function badgeFaceOf(credential: Json): BadgeFace {
  const { name, kind, issuerName, awarded } = parts(credential);
  const date = humanDate(awarded);
  return { title: name, kind, issuer: issuerName, date: date === '' ? '' : `Awarded ${date}` };
}

/** The achieved rubric levels in words, e.g. "Proficient on Evidence analysis". */
function resultsOf(subject: Json, achievement: Json): string[] {
  const descriptions = list(achievement.resultDescription);
  return list(subject.result).flatMap((result) => {
    const rd = descriptions.find((d) => d.id === result.resultDescription);
    const level = list(rd?.rubricCriterionLevel).find((l) => l.id === result.achievedLevel);
    const value = text(level?.name) || text(result.value);
    return value === '' ? [] : [rd?.name ? `${value} on ${text(rd.name)}` : value];
  });
}

export function certificateModelOf(credential: Json, credentialText: string, verificationUrl: string): CertificateModel {
  const { subject, achievement, issuerName, name, kind, awarded } = parts(credential);
  const creator = isObject(achievement.creator) ? text(achievement.creator.name) : '';
  const recipientName = list(subject.identifier).find((i) => i.identityType === 'name' && i.hashed === false)?.identityHash;
  const awardedAt = new Date(text(awarded));
  return {
    kind,
    achievementName: name,
    description: text(achievement.description),
    recipientName: typeof recipientName === 'string' && recipientName !== '' ? recipientName : null,
    competencies: list(achievement.alignment)
      .map((a) => `${text(a.targetName)}${a.targetCode ? ` (${text(a.targetCode)})` : ''}`)
      .filter((c) => c !== ''),
    results: resultsOf(subject, achievement),
    issuerName,
    creatorName: creator === '' ? null : creator,
    awardedOn: humanDate(awarded),
    awardedAt: Number.isNaN(awardedAt.getTime()) ? new Date(0) : awardedAt,
    verificationUrl,
    credentialId: text(credential.id),
    credentialText,
  };
}
