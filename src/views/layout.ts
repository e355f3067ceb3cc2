/** The look shared by every page: one stylesheet, inline (pages carry no scripts and load nothing else). */
import { escapeHtml } from './html.js';

export const STYLES = `
:root{--ink:#1b2430;--muted:#5b6573;--line:#dfe3e8;--bg:#f5f7fa;--ok:#11703a;--ok-bg:#e6f4ea;--bad:#b3261e;--bad-bg:#fce8e6;--unk:#8a5a00;--unk-bg:#fff4e0;--accent:#1d4ed8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:860px;margin:0 auto;padding:24px 16px 48px}
a{color:var(--accent)}
.verdict{display:flex;gap:16px;align-items:center;border-radius:12px;padding:16px 20px;margin-bottom:20px;border:1px solid}
.verdict.ok{background:var(--ok-bg);border-color:#b7dfc3;color:var(--ok)}
.verdict.bad{background:var(--bad-bg);border-color:#f3c0bb;color:var(--bad)}
.verdict.unknown{background:var(--unk-bg);border-color:#f1d5a0;color:var(--unk)}
.verdict-icon{flex:none;width:44px;height:44px;border-radius:50%;display:grid;place-items:center;font-size:26px;font-weight:700;color:#fff}
.ok .verdict-icon{background:var(--ok)}.bad .verdict-icon{background:var(--bad)}.unknown .verdict-icon{background:var(--unk)}
.verdict-title{margin:0;font-size:1.35rem;font-weight:700}
.verdict-detail{margin:2px 0 0;color:var(--ink)}
.card{background:#fff;border:1px solid var(--line);border-radius:12px;padding:28px;margin-bottom:20px}
.headline{display:flex;gap:24px;align-items:flex-start}
.badge{width:120px;height:120px;object-fit:contain;flex:none;overflow:hidden;font-size:.75rem;color:var(--muted)}
.badge.placeholder{display:grid;place-items:center;border-radius:50%;background:#e8eefc;color:var(--accent);font-size:52px}
.kind{margin:0;text-transform:uppercase;letter-spacing:.06em;font-size:.78rem;color:var(--muted);font-weight:600}
h1{margin:4px 0 8px;font-size:1.7rem;line-height:1.25}
h2{font-size:1.05rem;margin:0 0 10px;padding-bottom:6px;border-bottom:1px solid var(--line)}
section{margin-top:24px}
.awarded{margin:0 0 8px}
.description{margin-top:16px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px 24px;margin:20px 0 0}
.field dt{font-size:.8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.field dd{margin:2px 0 0}
.muted{color:var(--muted);font-size:.92rem}
.tag{display:inline-block;background:#eef2f7;border-radius:999px;padding:1px 10px;font-size:.8rem;color:#374151}
.code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;background:#eef2f7;padding:1px 6px;border-radius:4px}
ul.alignments,ul.evidence{padding-left:20px}ul.alignments li,ul.evidence li{margin-bottom:8px}
table{width:100%;border-collapse:collapse}th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}
thead th{font-size:.8rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.checks{list-style:none;padding:0;margin:0}
.check{display:flex;gap:12px;padding:10px 0;border-bottom:1px solid var(--line)}
.check .icon{flex:none;width:24px;height:24px;border-radius:50%;display:grid;place-items:center;color:#fff;font-weight:700;font-size:14px}
.check.pass .icon{background:var(--ok)}.check.fail .icon{background:var(--bad)}.check.error .icon{background:var(--unk)}
.outcome{color:var(--muted)}
.button{display:inline-block;background:var(--accent);color:#fff;text-decoration:none;padding:10px 16px;border-radius:8px;font-weight:600}
@media (max-width:600px){.headline{flex-direction:column}.card{padding:20px}}
@media print{body{background:#fff;font-size:12pt}main{max-width:none;padding:0}.card{border:none;padding:0 0 12px}.actions{display:none}a{color:inherit;text-decoration:none}
.verdict,.check .icon,.verdict-icon{-webkit-print-color-adjust:exact;print-color-adjust:exact}section{break-inside:avoid}}
`;

/** A whole page around `body`. `alternate` links a machine-readable form of the page. */
export function layout(options: { title: string; body: string; alternate?: { type: string; href: string }; extraStyles?: string }): string {
  const { title, body, alternate, extraStyles = '' } = options;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
${alternate ? `<link rel="alternate" type="${escapeHtml(alternate.type)}" href="${escapeHtml(alternate.href)}">` : ''}
<style>${STYLES}${extraStyles}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}
