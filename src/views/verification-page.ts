/**
 * The public verification page of a credential: the verdict first, in words a district HR officer can act on,
 * then what was achieved and how it was judged. Pure function of the credential and its verification report;
 * no scripts (the page works with JavaScript off and under a strict CSP) and it prints on one or two pages.
 */
import { escapeHtml, formatDate, link, renderMarkdown, safeHref, isObject, list, text, type Json } from './html.js';
import { STYLES } from './layout.js';
import { recognitionsTable, type RecognitionView } from './achievement-page.js';

/** The verification report (schemas/credential.ts VerificationResult), read-only. */
export interface Report {
  readonly verified: boolean;
  readonly checks: ReadonlyArray<{ readonly check: string; readonly outcome: 'pass' | 'fail' | 'error'; readonly message: string }>;
  readonly warnings: readonly string[];
}

const CHECK_LABELS: Record<string, string> = {
  shape: 'Credential structure',
  schema: 'Open Badges 3.0 schema',
  issuer: 'Issuer key',
  proof: 'Digital signature',
  validity: 'Validity dates',
  status: 'Revocation status',
  endorsement: 'Endorsements',
};

export function verdict(report: Report): { tone: 'ok' | 'bad' | 'unknown'; title: string; detail: string } {
  if (report.verified) {
    return { tone: 'ok', title: 'Verified', detail: 'This credential is authentic, unaltered and currently valid.' };
  }
  const failed = report.checks.filter((c) => c.outcome === 'fail');
  // Revoked or suspended only when the status is the sole failure: a forged or altered credential is "Not valid".
  const status = failed.length > 0 && failed.every((c) => c.check === 'status') ? failed[0] : undefined;
  if (status !== undefined) {
    const revoked = status.message.startsWith('Revoked');
    return {
      tone: 'bad',
      title: revoked ? 'Revoked' : 'Suspended',
      detail: `${status.message}. ${revoked ? 'The issuer has withdrawn this credential; it must not be relied on.' : 'The issuer is reviewing this credential; do not rely on it until it is reinstated.'}`,
    };
  }
  if (failed.length > 0) {
    return { tone: 'bad', title: 'Not valid', detail: failed.map((c) => `${CHECK_LABELS[c.check] ?? c.check}: ${c.message}`).join(' ') };
  }
  return {
    tone: 'unknown',
    title: 'Could not be verified',
    detail:
      report.checks
        .filter((c) => c.outcome === 'error')
        .map((c) => c.message)
        .join(' ') + ' Try again later.',
  };
}

function resultRows(subject: Json, achievement: Json): string {
  const descriptions = list(achievement.resultDescription);
  return list(subject.result)
    .map((result) => {
      const rd = descriptions.find((d) => d.id === result.resultDescription);
      const levels = list(rd?.rubricCriterionLevel);
      const achieved = levels.find((l) => l.id === result.achievedLevel);
      const required = levels.find((l) => l.id === rd?.requiredLevel);
      const value = achieved ? text(achieved.name) : text(result.value) || text(result.status);
      return `<tr><th scope="row">${escapeHtml(rd?.name ?? 'Result')}</th><td><strong>${escapeHtml(value)}</strong>${
        achieved?.description ? `<div class="muted">${escapeHtml(achieved.description)}</div>` : ''
      }</td><td>${escapeHtml(required?.name ?? '')}</td></tr>`;
    })
    .join('');
}

/** Each check as a list item: icon, label, outcome and reason. */
export function renderChecks(report: Report): string {
  return report.checks
    .map(
      (c) =>
        `<li class="check ${c.outcome}"><span class="icon" aria-hidden="true">${c.outcome === 'pass' ? '✓' : c.outcome === 'fail' ? '✗' : '!'}</span><span><strong>${escapeHtml(
          CHECK_LABELS[c.check] ?? c.check,
        )}</strong> <span class="outcome">${escapeHtml(c.outcome === 'pass' ? 'passed' : c.outcome === 'fail' ? 'failed' : 'could not be checked')}</span><br>${escapeHtml(c.message)}</span></li>`,
    )
    .join('');
}

function section(title: string, body: string): string {
  return body.trim() === '' ? '' : `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

function field(label: string, valueHtml: string): string {
  return valueHtml === '' ? '' : `<div class="field"><dt>${escapeHtml(label)}</dt><dd>${valueHtml}</dd></div>`;
}

function profileHtml(profile: Json | undefined): string {
  if (profile === undefined) return '';
  const name = text(profile.name) || text(profile.id);
  const parent = isObject(profile.parentOrg) ? ` · ${link(profile.parentOrg.url, profile.parentOrg.name)}` : '';
  return `${link(profile.url, name)}${parent}`;
}

export interface VerificationPageModel {
  readonly credential: Json;
  readonly report: Report;
  readonly downloadUrl: string;
  readonly checkedAt: Date;
  /** Badge and certificate downloads, offered while the credential verifies. */
  readonly files?: { readonly png: string; readonly svg: string; readonly pdf: string };
  /** The page where a file can be uploaded for verification. */
  readonly uploadPageUrl?: string;
  /** What the credential counts for today (recognitions of its achievement). */
  readonly recognitions?: readonly RecognitionView[];
}

export function renderVerificationPage({
  credential,
  report,
  downloadUrl,
  checkedAt,
  files,
  uploadPageUrl,
  recognitions = [],
}: VerificationPageModel): string {
  const subject = list(credential.credentialSubject)[0] ?? {};
  const achievement = isObject(subject.achievement) ? subject.achievement : {};
  const issuer = isObject(credential.issuer) ? credential.issuer : { id: credential.issuer };
  const creator = isObject(achievement.creator) ? achievement.creator : undefined;
  const source = isObject(subject.source) ? subject.source : undefined;
  const image = isObject(achievement.image)
    ? (safeHref(achievement.image.id) ??
      (text(achievement.image.id).startsWith('data:image/png;base64,') ? text(achievement.image.id) : null))
    : null;
  const recipientName = list(subject.identifier).find((i) => i.identityType === 'name' && i.hashed === false)?.identityHash;
  const v = verdict(report);
  const name = text(credential.name) || text(achievement.name) || 'Credential';

  const alignments = list(achievement.alignment)
    .map(
      (a) =>
        `<li>${link(a.targetUrl, a.targetName)}${a.targetCode ? ` <span class="code">${escapeHtml(a.targetCode)}</span>` : ''}${
          a.targetFramework ? `<div class="muted">${escapeHtml(a.targetFramework)}</div>` : ''
        }${a.targetDescription ? `<div>${escapeHtml(a.targetDescription)}</div>` : ''}</li>`,
    )
    .join('');
  const evidence = list(credential.evidence)
    .map(
      (e) =>
        `<li>${link(e.id, text(e.name) || text(e.id) || 'Evidence')}${e.genre ? ` <span class="tag">${escapeHtml(e.genre)}</span>` : ''}${
          e.description ? `<div>${escapeHtml(e.description)}</div>` : ''
        }${e.narrative ? `<div class="narrative">${renderMarkdown(e.narrative)}</div>` : ''}</li>`,
    )
    .join('');
  const rows = resultRows(subject, achievement);
  const checks = renderChecks(report);
  const tags = Array.isArray(achievement.tag) ? achievement.tag.map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join(' ') : '';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(v.title)}: ${escapeHtml(name)}</title>
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<link rel="alternate" type="application/vc+ld+json" href="${escapeHtml(downloadUrl)}">
<style>${STYLES}</style>
</head>
<body>
<main>
<header class="verdict ${v.tone}" role="status">
  <div class="verdict-icon" aria-hidden="true">${v.tone === 'ok' ? '✓' : v.tone === 'bad' ? '✗' : '!'}</div>
  <div><p class="verdict-title">${escapeHtml(v.title)}</p><p class="verdict-detail">${escapeHtml(v.detail)}</p></div>
</header>

<article class="card">
  <div class="headline">
    ${image ? `<img class="badge" src="${escapeHtml(image)}" alt="${escapeHtml(achievement.name)} badge">` : '<div class="badge placeholder" aria-hidden="true">★</div>'}
    <div>
      <p class="kind">${escapeHtml(achievement.achievementType === 'MicroCredential' ? 'Micro-credential' : text(achievement.achievementType) || 'Achievement')}${achievement.version ? ` · version ${escapeHtml(achievement.version)}` : ''}</p>
      <h1>${escapeHtml(name)}</h1>
      <p class="awarded">Awarded to <strong>${escapeHtml(recipientName ?? 'the educator identified in this credential')}</strong> by <strong>${escapeHtml(text(issuer.name) || text(issuer.id))}</strong> on ${formatDate(credential.awardedDate ?? credential.validFrom ?? credential.issuanceDate)}</p>
      ${tags ? `<p>${tags}</p>` : ''}
    </div>
  </div>
  ${achievement.description ? `<div class="description">${renderMarkdown(achievement.description)}</div>` : ''}

  <dl class="facts">
    ${field('Issuer', profileHtml(issuer))}
    ${field('Created by', creator ? profileHtml(creator) : '')}
    ${field('Valid from', formatDate(credential.validFrom ?? credential.issuanceDate))}
    ${field('Expires', credential.validUntil || credential.expirationDate ? formatDate(credential.validUntil ?? credential.expirationDate) : 'Does not expire')}
    ${field('Field of study', escapeHtml(achievement.fieldOfStudy ?? ''))}
    ${field('Credits', achievement.creditsAvailable !== undefined ? escapeHtml(subject.creditsEarned ?? achievement.creditsAvailable) : '')}
  </dl>

  ${report.verified ? section('Counts toward', recognitionsTable(recognitions)) : ''}
  ${section('Competencies', alignments ? `<ul class="alignments">${alignments}</ul>` : '')}
  ${section('Criteria', isObject(achievement.criteria) ? renderMarkdown(achievement.criteria.narrative) + (safeHref(achievement.criteria.id) ? `<p>${link(achievement.criteria.id, 'Full criteria')}</p>` : '') : '')}
  ${section('Assessment', (rows ? `<table><thead><tr><th scope="col">Rubric criterion</th><th scope="col">Level achieved</th><th scope="col">Required</th></tr></thead><tbody>${rows}</tbody></table>` : '') + (source || subject.activityEndDate ? `<dl class="facts">${field('Assessed by', source ? `${escapeHtml(source.name)}${source.description ? ` <span class="muted">(${escapeHtml(source.description)})</span>` : ''}${isObject(source.parentOrg) ? `, ${link(source.parentOrg.url, source.parentOrg.name)}` : ''}` : '')}${field('Assessed on', formatDate(subject.activityEndDate))}</dl>` : ''))}
  ${section('Evidence', evidence ? `<ul class="evidence">${evidence}</ul>` : '')}
  ${subject.narrative ? section('Narrative', renderMarkdown(subject.narrative)) : ''}
</article>

<section class="card checks-card">
  <h2>Verification details</h2>
  <ul class="checks">${checks}</ul>
  ${report.warnings.length ? `<p class="muted">${report.warnings.map(escapeHtml).join('<br>')}</p>` : ''}
  <p class="muted">Checked ${formatDate(checkedAt.toISOString())}. Credential ${escapeHtml(credential.id)}.</p>
  <p class="actions"><a class="button" href="${escapeHtml(downloadUrl)}" download>Download credential (JSON)</a>${
    files && report.verified
      ? ` <a href="${escapeHtml(files.png)}" download>Badge (PNG)</a> · <a href="${escapeHtml(files.svg)}" download>Badge (SVG)</a> · <a href="${escapeHtml(files.pdf)}">Certificate (PDF)</a>`
      : ''
  }</p>
  <p class="muted">This is an Open Badges 3.0 verifiable credential. Any standards-based verifier can check the downloaded file without this website.${
    uploadPageUrl ? ` Were you sent a badge image or file instead of a link? <a href="${escapeHtml(uploadPageUrl)}">Verify a file</a>.` : ''
  }</p>
</section>
</main>
</body>
</html>`;
}
