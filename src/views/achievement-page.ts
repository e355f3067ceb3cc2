/**
 * The public page of an achievement (micro-credential or stack): what it certifies and how it is judged, what it
 * counts for (recognitions) and who vouches for it (endorsements, each verified when the page is made).
 * Pure function of the view model; no scripts.
 */
import { escapeHtml, formatDate, link, renderMarkdown, isObject, list, text, type Json } from './html.js';
import { layout } from './layout.js';

const PURPOSES: Record<string, string> = {
  'license-renewal': 'Licence renewal',
  endorsement: 'Added endorsement',
  'advanced-license': 'Advanced licence',
  'initial-certification': 'Initial certification',
  'graduate-credit': 'Graduate credit',
  'salary-step': 'Salary step',
  other: 'Other',
};
const UNITS: Record<string, string> = {
  CEU: 'CEU',
  'clock-hours': 'clock hours',
  'PD-points': 'PD points',
  'credit-hours': 'credit hours',
  other: '',
};

export interface RecognitionView {
  readonly recognizer: { readonly name: string; readonly url: string | null; readonly type: string };
  readonly purpose: string;
  readonly amount: { readonly value: number; readonly unit: string } | null;
  readonly jurisdiction: string;
  readonly effectiveFrom: string;
  readonly effectiveUntil: string | null;
  readonly note: string | null;
}

export interface EndorsementView {
  readonly credential: Json;
  readonly url: string;
  readonly verified: boolean;
  readonly reason: string;
}

export interface AchievementPageModel {
  readonly achievement: Json;
  readonly issuer: { readonly name: string; readonly url: string | null };
  readonly version: number;
  readonly latestVersion: number;
  readonly jsonUrl: string;
  readonly recognitions: readonly RecognitionView[];
  readonly endorsements: readonly EndorsementView[];
  /** For a stack: its components; for any achievement: the stacks it is part of. */
  readonly components: ReadonlyArray<{ readonly name: string; readonly url: string }>;
  readonly partOf: ReadonlyArray<{ readonly name: string; readonly url: string }>;
}

/** One recognition as a sentence fragment: "15 clock hours toward Licence renewal". */
export function recognitionSummary(r: Pick<RecognitionView, 'purpose' | 'amount'>): string {
  const purpose = PURPOSES[r.purpose] ?? r.purpose;
  return r.amount === null ? purpose : `${r.amount.value} ${UNITS[r.amount.unit] ?? r.amount.unit} toward ${purpose.toLowerCase()}`;
}

export function recognitionsTable(recognitions: readonly RecognitionView[]): string {
  if (recognitions.length === 0) return '';
  return `<table><thead><tr><th scope="col">Recognised by</th><th scope="col">Counts for</th><th scope="col">Where</th><th scope="col">When</th></tr></thead><tbody>${recognitions
    .map(
      (r) =>
        `<tr><td>${link(r.recognizer.url, r.recognizer.name)}<div class="muted">${escapeHtml(r.recognizer.type.replace(/-/g, ' '))}</div></td><td><strong>${escapeHtml(recognitionSummary(r))}</strong>${
          r.note ? `<div class="muted">${escapeHtml(r.note)}</div>` : ''
        }</td><td>${escapeHtml(r.jurisdiction)}</td><td>from ${formatDate(r.effectiveFrom)}${r.effectiveUntil ? `<br>until ${formatDate(r.effectiveUntil)}` : ''}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

function endorsementItem(e: EndorsementView): string {
  const issuer = isObject(e.credential.issuer) ? e.credential.issuer : {};
  const subject = list(e.credential.credentialSubject)[0] ?? {};
  return `<li class="endorsement"><p><strong>${link(issuer.url, text(issuer.name) || text(issuer.id))}</strong> · ${formatDate(e.credential.validFrom)} ${
    e.verified ? '<span class="state ok">Verified</span>' : `<span class="state bad" title="${escapeHtml(e.reason)}">Does not verify</span>`
  }</p>${renderMarkdown(subject.endorsementComment)}<p class="muted">${link(e.url, 'Endorsement credential (JSON)')}</p></li>`;
}

export function renderAchievementPage(model: AchievementPageModel): string {
  const a = model.achievement;
  const kind =
    text(a.achievementType) === 'MicroCredential'
      ? 'Micro-credential'
      : text(a.achievementType).replace(/([a-z])([A-Z])/g, '$1 $2') || 'Achievement';
  const alignments = list(a.alignment)
    .map(
      (al) =>
        `<li>${link(al.targetUrl, al.targetName)}${al.targetCode ? ` <span class="code">${escapeHtml(al.targetCode)}</span>` : ''}${
          al.targetFramework ? `<div class="muted">${escapeHtml(al.targetFramework)}</div>` : ''
        }</li>`,
    )
    .join('');
  const rubric = list(a.resultDescription)
    .map((rd) => {
      const levels = list(rd.rubricCriterionLevel);
      return `<tr><th scope="row">${escapeHtml(rd.name)}</th><td>${levels
        .map(
          (l) =>
            `${l.id === rd.requiredLevel ? '<strong>' : ''}${escapeHtml(l.name)}${l.id === rd.requiredLevel ? ' (required)</strong>' : ''}`,
        )
        .join(' · ')}</td></tr>`;
    })
    .join('');
  const section = (title: string, body: string) => (body.trim() === '' ? '' : `<section><h2>${escapeHtml(title)}</h2>${body}</section>`);
  const creator = isObject(a.creator) ? a.creator : undefined;
  const body = `<article class="card">
  <p class="kind">${escapeHtml(kind)} · version ${model.version}${model.version !== model.latestVersion ? ` (latest is ${model.latestVersion})` : ''}</p>
  <h1>${escapeHtml(a.name)}</h1>
  <p class="awarded">Issued by <strong>${link(model.issuer.url, model.issuer.name)}</strong>${creator ? ` · designed by ${link(creator.url, creator.name)}` : ''}</p>
  ${Array.isArray(a.tag) ? `<p>${a.tag.map((t) => `<span class="tag">${escapeHtml(t)}</span>`).join(' ')}</p>` : ''}
  <div class="description">${renderMarkdown(a.description)}</div>
  ${section('Counts toward', recognitionsTable(model.recognitions))}
  ${section('Components of this stack', model.components.length ? `<ul>${model.components.map((c) => `<li>${link(c.url, c.name)}</li>`).join('')}</ul>` : '')}
  ${section('Part of', model.partOf.length ? `<ul>${model.partOf.map((c) => `<li>${link(c.url, c.name)}</li>`).join('')}</ul>` : '')}
  ${section('Competencies', alignments ? `<ul class="alignments">${alignments}</ul>` : '')}
  ${section('Criteria', isObject(a.criteria) ? renderMarkdown(a.criteria.narrative) : '')}
  ${section('Rubric', rubric ? `<table><tbody>${rubric}</tbody></table>` : '')}
  ${section('Endorsements', model.endorsements.length ? `<ul class="endorsements">${model.endorsements.map(endorsementItem).join('')}</ul>` : '')}
  <p class="muted">${a.creditsAvailable !== undefined ? `${escapeHtml(a.creditsAvailable)} credits available. ` : ''}${link(model.jsonUrl, 'Open Badges 3.0 Achievement (JSON)')}</p>
</article>`;
  return layout({
    title: `${text(a.name)}: ${kind}`,
    body,
    alternate: { type: 'application/json', href: model.jsonUrl },
    extraStyles: `.endorsements{list-style:none;padding:0}.endorsement{border-left:3px solid var(--line);padding:2px 0 2px 14px;margin-bottom:14px}.endorsement p{margin:4px 0}.state{display:inline-block;font-size:.75rem;font-weight:700;border-radius:999px;padding:1px 9px;margin-left:6px}.state.ok{background:var(--ok-bg);color:var(--ok)}.state.bad{background:var(--bad-bg);color:var(--bad)}`,
  });
}
