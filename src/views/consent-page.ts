/**
 * The OAuth consent page of the Open Badges API: which application asks, for what, and the educator's answer. They
 * sign in with one of their private badge links (claim or wallet link). Pure: data in, HTML out.
 */
import { escapeHtml, link } from './html.js';
import { layout } from './layout.js';

export interface ConsentPageInput {
  /** The form posts back here with every authorization parameter. */
  readonly action: string;
  readonly client: {
    readonly name: string;
    readonly uri: string;
    readonly logoUri: string;
    readonly tosUri: string;
    readonly policyUri: string;
  };
  /** Each scope asked for, in words. */
  readonly scopes: readonly { readonly scope: string; readonly description: string }[];
  readonly hidden: Readonly<Record<string, string>>;
  /** Where the educator's answer sends them: the host of the application's redirect URI. */
  readonly returnHost: string;
  /** Why the last attempt failed (a wrong or expired link). */
  readonly error?: string;
}

export interface AuthorizationErrorPageInput {
  readonly error: string;
  readonly description: string;
  /** Where to tell the application (its registered redirect URI, with the error): a link the person chooses to follow. */
  readonly returnUrl?: string;
}

const STYLES = `
.consent{max-width:560px;margin:0 auto}
.app{display:flex;gap:16px;align-items:center;margin-bottom:8px}
.app .logo{width:56px;height:56px;flex:none;border-radius:8px;border:1px solid var(--line);background:#fff center/contain no-repeat}
.scopes{padding-left:20px}.scopes li{margin-bottom:6px}
label{display:block;font-weight:600;margin:18px 0 6px}
input[type=text]{width:100%;padding:10px 12px;font:inherit;border:1px solid #b8c0cc;border-radius:8px}
.hint{margin:6px 0 0}
.actions{display:flex;gap:12px;margin-top:20px}
button{font:inherit;font-weight:600;padding:10px 18px;border-radius:8px;border:1px solid var(--accent);cursor:pointer}
button.approve{background:var(--accent);color:#fff}
button.deny{background:#fff;color:var(--accent)}
.alert{background:var(--bad-bg);color:var(--bad);border:1px solid #f3c0bb;border-radius:8px;padding:10px 14px;margin:12px 0;overflow-wrap:anywhere}
`;

/**
 * A URL for CSS `url("…")`: the logo is a background image, so one that fails to load leaves a blank tile rather than
 * a broken-image icon. Serialised by the URL parser (no raw quotes, spaces or line breaks), then `\` and `"` encoded.
 */
function cssUrl(value: string): string {
  try {
    return new URL(value).href.replaceAll('\\', '%5C').replaceAll('"', '%22');
  } catch {
    return '';
  }
}

export function renderConsentPage(input: ConsentPageInput): string {
  const { client } = input;
  const hidden = Object.entries(input.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const body = `
<main class="consent">
  <div class="card">
    <p class="kind">Open Badges connection</p>
    <div class="app">
      <div class="logo" style="${escapeHtml(`background-image:url("${cssUrl(client.logoUri)}")`)}" role="presentation"></div>
      <h1>${escapeHtml(client.name)} would like to connect to your badges</h1>
    </div>
    <p class="muted">${link(client.uri, client.uri)} · ${link(client.tosUri, 'Terms')} · ${link(client.policyUri, 'Privacy')}</p>
    <section>
      <h2>It asks to</h2>
      <ul class="scopes">${input.scopes.map((s) => `<li>${escapeHtml(s.description)}</li>`).join('')}</ul>
    </section>
    ${input.error === undefined ? '' : `<p class="alert" role="alert">${escapeHtml(input.error)}</p>`}
    <form method="post" action="${escapeHtml(input.action)}">
      ${hidden}
      <label for="link">Your badge link</label>
      <input type="text" id="link" name="link" autocomplete="off" spellcheck="false" placeholder="https://…/claim/…" aria-describedby="link-hint">
      <p class="hint muted" id="link-hint">Paste the private link you received with your badges (your claim or wallet link). It shows that the badges are yours; the application never sees it.</p>
      <div class="actions">
        <button class="approve" type="submit" name="decision" value="approve">Allow</button>
        <button class="deny" type="submit" name="decision" value="deny">Deny</button>
      </div>
      <p class="hint muted">Either way you then go back to ${escapeHtml(input.returnHost)}.</p>
    </form>
  </div>
</main>`;
  return layout({ title: `Connect ${client.name} to your badges`, body, extraStyles: STYLES });
}

/** Shown instead of redirecting when the request names an unknown application or redirect address. */
export function renderAuthorizationErrorPage(input: AuthorizationErrorPageInput): string {
  const body = `
<main class="consent">
  <div class="card">
    <p class="kind">Open Badges connection</p>
    <h1>This connection request cannot be used</h1>
    <p class="alert" role="alert">${escapeHtml(input.description)}</p>
    ${
      input.returnUrl === undefined
        ? `<p class="muted">Go back to the application and start again. (${escapeHtml(input.error)})</p>`
        : `<p>${link(input.returnUrl, 'Return to the application')} <span class="muted">(${escapeHtml(new URL(input.returnUrl).host)}; error ${escapeHtml(input.error)})</span></p>`
    }
  </div>
</main>`;
  return layout({ title: 'Connection request refused', body, extraStyles: STYLES });
}
