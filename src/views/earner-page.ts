/**
 * The earner's private page, opened from a claim link (one credential) or a wallet link (every credential held
 * for them): how to put the credentials in a wallet, and each one in every form other systems accept.
 * Pure function of the view model; no scripts.
 */
import { qrSvg } from '../artifacts/qr.js';
import { escapeHtml, formatDate, isObject, text, type Json } from './html.js';
import { layout } from './layout.js';

const first = (v: unknown): Json => (Array.isArray(v) ? (v.find(isObject) ?? {}) : isObject(v) ? v : {});

export interface EarnerHoldingView {
  readonly credential: Json;
  readonly url: string;
  readonly status: 'active' | 'suspended' | 'revoked';
  readonly expired: boolean;
  readonly current: boolean;
  readonly downloads: { readonly json: string; readonly png: string; readonly svg: string; readonly pdf: string };
}

export interface EarnerPageModel {
  readonly kind: 'claim' | 'wallet';
  readonly expiresAt: string;
  readonly holdings: readonly EarnerHoldingView[];
  /** Null when no credential is current. */
  readonly walletFileUrl: string | null;
  readonly clrs: ReadonlyArray<{ readonly issuerName: string; readonly url: string; readonly count: number }>;
  /** This page's own URL (forms post below it). */
  readonly pageUrl: string;
  readonly pathways?: ReadonlyArray<{
    readonly stackId: string;
    readonly name: string;
    readonly url: string;
    readonly satisfied: boolean;
    readonly awarded: { readonly credentialUrl: string } | null;
    readonly award: string;
    readonly requirements: ReadonlyArray<{
      readonly name: string | null;
      readonly needed: number;
      readonly earned: number;
      readonly complete: boolean;
    }>;
  }>;
  readonly pickup: { readonly lcwUrl: string; readonly exchangeUrl: string; readonly interactionUrl: string } | null;
}

function statusTag(h: EarnerHoldingView): string {
  if (h.status === 'revoked') return '<span class="state bad">Revoked</span>';
  if (h.status === 'suspended') return '<span class="state warn">Suspended</span>';
  if (h.expired) return '<span class="state warn">Expired</span>';
  return '<span class="state ok">Valid</span>';
}

function holdingCard(h: EarnerHoldingView): string {
  const subject = first(h.credential.credentialSubject);
  const achievement = first(subject.achievement);
  const issuer = isObject(h.credential.issuer) ? h.credential.issuer : {};
  const name = text(achievement.name) || text(h.credential.name) || 'Credential';
  const files = h.current
    ? `<a href="${escapeHtml(h.downloads.json)}" download>Credential (JSON)</a>
       <a href="${escapeHtml(h.downloads.png)}" download>Badge (PNG)</a>
       <a href="${escapeHtml(h.downloads.svg)}" download>Badge (SVG)</a>
       <a href="${escapeHtml(h.downloads.pdf)}">Certificate (PDF)</a>`
    : `<a href="${escapeHtml(h.downloads.json)}" download>Credential (JSON)</a>`;
  return `<li class="holding">
  ${h.current ? `<img class="mini-badge" src="${escapeHtml(h.downloads.svg)}" alt="" width="88" height="88">` : '<div class="mini-badge placeholder" aria-hidden="true">★</div>'}
  <div class="holding-body">
    <h3><a href="${escapeHtml(h.url)}">${escapeHtml(name)}</a> ${statusTag(h)}</h3>
    <p class="muted">${escapeHtml(text(issuer.name) || text(issuer.id))} · awarded ${formatDate(h.credential.awardedDate ?? h.credential.validFrom)}</p>
    <p class="files">${files}</p>
  </div>
</li>`;
}

export function renderEarnerPage(model: EarnerPageModel): string {
  const { kind, holdings, walletFileUrl, clrs, pickup } = model;
  const title = kind === 'claim' ? 'Your micro-credential' : 'Your micro-credentials';
  const current = holdings.filter((h) => h.current).length;
  const intro =
    kind === 'claim'
      ? 'You have earned this micro-credential. Keep it in a digital wallet or as files: it verifies anywhere, without this website.'
      : `Every micro-credential this service holds for you, from every issuer (${holdings.length}). Keep them in a digital wallet or as files: they verify anywhere, without this website.`;

  const wallet = pickup
    ? `<section class="card pickup">
  <h2>Add to your digital wallet</h2>
  <div class="pickup-row">
    <div class="qr">${qrSvg(pickup.interactionUrl, 'QR code for your wallet app')}</div>
    <div>
      <p>Scan this code with your wallet app (such as the <strong>Learner Credential Wallet</strong>), or on the phone that has the Learner Credential Wallet, tap the button.</p>
      <p><a class="button" href="${escapeHtml(pickup.lcwUrl)}">Open in Learner Credential Wallet</a></p>
      <p class="muted">Other wallets that speak the W3C VC-API can collect ${kind === 'claim' ? 'it' : 'them'} from this exchange URL:<br><code class="code wrap">${escapeHtml(pickup.exchangeUrl)}</code></p>
    </div>
  </div>
</section>`
    : '';

  const bundles =
    walletFileUrl === null
      ? ''
      : `<section class="card">
  <h2>Files to keep</h2>
  <ul class="bundle-list">
    <li><a href="${escapeHtml(walletFileUrl)}" download><strong>Wallet file</strong></a>: ${current === 1 ? 'your credential' : `all ${current} current credentials`} in one Verifiable Presentation, for wallets that import files.</li>
    ${clrs
      .map(
        (c) =>
          `<li><a href="${escapeHtml(c.url)}" download><strong>Learner record from ${escapeHtml(c.issuerName)}</strong></a>: a CLR 2.0 transcript of ${c.count} credential${c.count === 1 ? '' : 's'}, signed by the issuer.</li>`,
      )
      .join('')}
  </ul>
</section>`;

  const pathways = (model.pathways ?? [])
    .map((p) => {
      const state = p.awarded
        ? `<span class="state ok">Completed</span> <a href="${escapeHtml(p.awarded.credentialUrl)}">view the stack credential</a>`
        : p.satisfied
          ? `<span class="state ok">Complete</span> <form class="inline" method="post" action="${escapeHtml(`${model.pageUrl}/stacks/${p.stackId}`)}"><button class="button small" type="submit">Request this credential</button></form>`
          : `<span class="state warn">In progress</span>`;
      const steps = p.requirements
        .map((r) => `<li>${escapeHtml(r.name ?? 'Requirement')}: ${r.earned} of ${r.needed}${r.complete ? ' ✓' : ''}</li>`)
        .join('');
      return `<li class="pathway"><p><a href="${escapeHtml(p.url)}"><strong>${escapeHtml(p.name)}</strong></a> ${state}</p><ul>${steps}</ul></li>`;
    })
    .join('');

  const body = `<header class="intro">
  <p class="kind">Private link · expires ${formatDate(model.expiresAt)}</p>
  <h1>${escapeHtml(title)}</h1>
  <p>${escapeHtml(intro)}</p>
  <p class="muted">Keep this link to yourself: anyone who has it can see ${kind === 'claim' ? 'this credential' : 'these credentials'}. To show a credential to a district or state, send its verification link or one of its files instead.</p>
</header>
${wallet}
<section class="card">
  <h2>${kind === 'claim' ? 'Credential' : 'Credentials'}</h2>
  ${holdings.length === 0 ? '<p>No credentials are held for you here yet.</p>' : `<ul class="holdings">${holdings.map(holdingCard).join('')}</ul>`}
</section>
${pathways ? `<section class="card"><h2>Pathways</h2><p class="muted">Stacks your micro-credentials count toward.</p><ul class="pathways">${pathways}</ul></section>` : ''}
${bundles}`;
  return layout({ title, body, extraStyles: EARNER_STYLES });
}

export const EARNER_STYLES = `
.intro{margin-bottom:20px}.intro h1{margin-top:2px}
.pickup-row{display:flex;gap:24px;align-items:flex-start}
.qr{flex:none;width:180px;height:180px}.qr svg{width:100%;height:100%;display:block}
.wrap{word-break:break-all}
.holdings{list-style:none;padding:0;margin:0}
.holding{display:flex;gap:18px;padding:14px 0;border-bottom:1px solid var(--line)}
.holding:last-child{border-bottom:none}
.mini-badge{flex:none;width:88px;height:88px}.mini-badge.placeholder{display:grid;place-items:center;border-radius:50%;background:#e8eefc;color:var(--accent);font-size:34px}
.holding h3{margin:0 0 2px;font-size:1.08rem}
.holding p{margin:2px 0}
.files a{margin-right:14px;white-space:nowrap}
.state{display:inline-block;font-size:.75rem;font-weight:700;border-radius:999px;padding:1px 9px;vertical-align:middle;margin-left:6px}
.state.ok{background:var(--ok-bg);color:var(--ok)}.state.bad{background:var(--bad-bg);color:var(--bad)}.state.warn{background:var(--unk-bg);color:var(--unk)}
.pathways{list-style:none;padding:0}form.inline{display:inline}button.button{border:none;font:inherit;font-weight:600;cursor:pointer}.button.small{padding:3px 10px;font-size:.85rem}.pathway p{margin:6px 0 2px}.pathway ul{margin:0 0 10px;padding-left:20px}
.bundle-list{padding-left:20px}.bundle-list li{margin-bottom:8px}
@media (max-width:600px){.pickup-row{flex-direction:column}}
`;
