/**
 * The public verification page for files: a district officer uploads the badge image, credential, wallet file or
 * CLR a teacher emailed, and reads one verdict per credential found in it. A plain form post; no scripts.
 */
import { escapeHtml, safeHref } from './html.js';
import { layout } from './layout.js';
import { renderChecks, verdict, type Report } from './verification-page.js';
import { EARNER_STYLES } from './earner-page.js';

export interface UploadResultView {
  readonly role: 'credential' | 'clr' | 'bundled';
  readonly name: string | null;
  readonly issuerName: string | null;
  readonly credentialId: string | null;
  readonly report: Report;
}

export interface UploadPageModel {
  readonly action: string;
  readonly fileName?: string;
  /** Set when a file was checked. */
  readonly outcome?: {
    readonly verified: boolean;
    readonly description: string;
    readonly warnings: readonly string[];
    readonly results: readonly UploadResultView[];
  };
  /** Set when no credential could be read from the file. */
  readonly error?: string;
}

function resultCard(r: UploadResultView): string {
  const v = verdict(r.report);
  const href = safeHref(r.credentialId);
  return `<article class="card result">
  <header class="verdict ${v.tone}" role="status">
    <div class="verdict-icon" aria-hidden="true">${v.tone === 'ok' ? '✓' : v.tone === 'bad' ? '✗' : '!'}</div>
    <div><p class="verdict-title">${escapeHtml(v.title)}${r.role === 'clr' ? ' · the learner record itself' : ''}</p><p class="verdict-detail">${escapeHtml(v.detail)}</p></div>
  </header>
  <h2>${escapeHtml(r.name ?? 'Unnamed credential')}</h2>
  <p class="muted">${r.issuerName ? `Issued by ${escapeHtml(r.issuerName)}. ` : ''}${href ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer">${escapeHtml(href)}</a>` : escapeHtml(r.credentialId ?? '')}</p>
  <ul class="checks">${renderChecks(r.report)}</ul>
</article>`;
}

export function renderUploadPage(model: UploadPageModel): string {
  const { outcome, error } = model;
  const form = `<section class="card">
  <h${outcome || error ? 2 : 1}>${outcome || error ? 'Verify another file' : 'Verify a credential file'}</h${outcome || error ? 2 : 1}>
  <p>Upload the file an educator sent you: a badge image (PNG or SVG), a credential (.json), a wallet file or a learner record (CLR). Every credential in it is checked: signature, issuer, dates and revocation.</p>
  <form method="post" action="${escapeHtml(model.action)}" enctype="multipart/form-data">
    <p><input type="file" name="file" required accept=".png,.svg,.json,.jsonld,image/png,image/svg+xml,application/json,application/ld+json"></p>
    <p><button class="button" type="submit">Verify</button></p>
  </form>
  <p class="muted">The file is checked and discarded; nothing in it is stored.</p>
</section>`;
  let results = '';
  if (error !== undefined) {
    results = `<section class="verdict unknown" role="alert"><div class="verdict-icon" aria-hidden="true">!</div><div><p class="verdict-title">Nothing to verify${model.fileName ? ` in ${escapeHtml(model.fileName)}` : ''}</p><p class="verdict-detail">${escapeHtml(error)}</p></div></section>`;
  } else if (outcome !== undefined) {
    const count = outcome.results.length;
    const failed = outcome.results.filter((r) => !r.report.verified).length;
    results = `<section class="summary"><p><strong>${escapeHtml(model.fileName ?? 'The file')}</strong> is ${escapeHtml(outcome.description)}. ${
      failed === 0 ? `${count === 1 ? 'It verifies' : `All ${count} verify`}.` : `${failed} of ${count} did not verify.`
    }</p>${outcome.warnings.map((w) => `<p class="muted">${escapeHtml(w)}</p>`).join('')}</section>
${outcome.results.map(resultCard).join('\n')}`;
  }
  return layout({
    title: 'Verify a credential file',
    body: `${outcome || error ? '<h1 class="page-title">Verification result</h1>' : ''}${results}\n${form}`,
    extraStyles: `${EARNER_STYLES}.result h2{border:none;margin-top:6px;font-size:1.2rem}.summary{margin-bottom:14px}.page-title{margin:0 0 12px}button.button{border:none;font:inherit;font-weight:600;cursor:pointer}input[type=file]{font:inherit;padding:10px;border:1px dashed var(--line);border-radius:8px;width:100%;background:#fafbfc}`,
  });
}
