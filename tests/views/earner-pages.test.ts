/**
 * The earner's pages as a person sees them, in headless Chromium against a listening app: the claim page (one
 * credential), the wallet page (every credential held for an educator, one revoked), the /verify page after a
 * real file upload through the form with JavaScript off, and the PDF certificate rasterised with pdftoppm.
 * Screenshots go to test-results/ for review.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jsQRModule from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { launchChromium } from '../helpers/browser.js';

type Json = Record<string, any>;

// jsqr is CommonJS: module.exports is the decoder and `default` points at itself, which is what its types describe.
const jsQR = jsQRModule.default;

const SCREENSHOTS = path.resolve('test-results');
const EMAIL = 'Teacher.One@District.example';
const NAMES = [
  'Formative Assessment: Checking for Understanding',
  'Academic Discourse: Structured Student Talk',
  'Data-Informed Instruction in Mathematics',
] as const;
const REVOKED_NAME = NAMES[2];

/** Everything a page did wrong while loading: console errors, script errors, failed or refused requests. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on(
    'response',
    (r) => r.status() >= 400 && !r.request().isNavigationRequest() && problems.push(`response ${r.status()}: ${r.url()}`),
  );
  return problems;
}

/** Each <img> on the page with whether it loaded. */
const imagesOf = (page: Page) =>
  page.locator('img').evaluateAll((images) =>
    images.map((i) => ({
      src: (i as HTMLImageElement).currentSrc,
      loaded: (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0,
    })),
  );
const hrefsOf = (page: Page, selector = 'a') =>
  page.locator(selector).evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href));
const squash = (text: string) => text.replace(/\s+/g, ' ');

function decodeQr(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length), image.width, image.height)?.data;
}

describe(`earner pages in a browser (${backendName})`, () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let issuer: Issuer;
  let workDir: string;
  /** In issue order, matching NAMES. */
  const issued: Array<{ credential: Json; claimUrl: string }> = [];
  let walletUrl: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    issuer = await createIssuer(t.app.services);
    for (const name of NAMES) {
      const { id } = await createAchievement(t.app, issuer, { name });
      const res = await t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(id) });
      expect(res.statusCode, res.body).toBe(201);
      issued.push({ credential: res.json(), claimUrl: String(res.headers['claim-url']) });
    }
    const revoked = String(issued[2]!.credential.id).split('/').pop();
    const status = await t.app.inject({
      method: 'POST',
      url: `/credentials/${revoked}/status`,
      headers: issuer.auth,
      payload: { action: 'revoke', reason: 'Awarded in error' },
    });
    expect(status.statusCode, status.body).toBe(200);
    const link = await t.app.inject({
      method: 'POST',
      url: '/earner-links',
      headers: issuer.auth,
      payload: { kind: 'wallet', recipient: { identity: EMAIL } },
    });
    expect(link.statusCode, link.body).toBe(201);
    walletUrl = link.json().url;

    browser = await launchChromium();
    // No JavaScript at all: the pages must work as plain HTML (their CSP forbids scripts anyway).
    context = await browser.newContext({ viewport: { width: 1100, height: 900 }, javaScriptEnabled: false });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'earner-pages-'));
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('the claim page shows the credential, a scannable wallet QR code, its badge and every download', async () => {
    const { credential, claimUrl } = issued[0]!;
    expect(claimUrl).toMatch(new RegExp(`^${t.baseUrl}/claim/[A-Za-z0-9_-]{43}$`));
    const page = await context.newPage();
    const problems = watch(page);
    const response = await page.goto(claimUrl, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);

    await expect(page.locator('h1').textContent()).resolves.toBe('Your micro-credential');
    const body = squash(await page.locator('body').innerText());
    expect(body).toContain(NAMES[0]);
    expect(body).toContain('Example School District');
    expect(body).toContain('Add to your digital wallet');
    expect(body).not.toContain(NAMES[1]);
    await expect(page.locator('.holding .state').allTextContents()).resolves.toEqual(['Valid']);

    // The QR code is an inline SVG that a phone reads at 1x: it holds the claim page's interaction URL (?iuv=1),
    // which answers wallets with the VC-API protocols object and people with this page.
    const qr = page.locator('.qr svg');
    await expect(qr.count()).resolves.toBe(1);
    const lcwHref = await page.locator('a.button', { hasText: 'Open in Learner Credential Wallet' }).getAttribute('href');
    expect(lcwHref).toMatch(/^https:\/\/lcw\.app\/request\.html\?/);
    const interactionUrl = decodeQr(await page.locator('.qr').screenshot());
    expect(interactionUrl).toBe(`${claimUrl}?iuv=1`);
    const protocols = (await (await fetch(interactionUrl!, { headers: { accept: 'application/json' } })).json()) as {
      protocols: Record<string, unknown>;
    };
    expect(protocols.protocols).toMatchObject({ iu: interactionUrl, lcw: lcwHref, vcapi: expect.stringContaining('/exchanges/') });

    // The badge image is this credential's baked SVG, loaded from this service under the page's CSP.
    const images = await imagesOf(page);
    expect(images).toEqual([{ src: `${credential.id}/badge.svg`, loaded: true }]);

    const hrefs = await hrefsOf(page);
    for (const file of ['download', 'badge.png', 'badge.svg', 'certificate.pdf']) expect(hrefs).toContain(`${credential.id}/${file}`);
    expect(hrefs).toContain(`${claimUrl}/wallet.json`);
    expect(hrefs).toContain(`${claimUrl}/clr/${issuer.issuerId}`);
    // Every link offered works.
    for (const href of hrefs.filter((h) => h.startsWith(t.baseUrl))) {
      const res = await fetch(href);
      await res.arrayBuffer(); // read to the end, or the server cannot close the connection
      expect(res.status, href).toBe(200);
    }

    await page.screenshot({ path: path.join(SCREENSHOTS, 'claim-page.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the wallet page lists all three credentials, marks the revoked one and offers files only for current ones', async () => {
    expect(walletUrl).toMatch(new RegExp(`^${t.baseUrl}/earner/[A-Za-z0-9_-]{43}$`));
    const page = await context.newPage();
    const problems = watch(page);
    const response = await page.goto(walletUrl, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);

    await expect(page.locator('h1').textContent()).resolves.toBe('Your micro-credentials');
    const body = squash(await page.locator('body').innerText());
    expect(body).toContain('(3)');
    const holdings = page.locator('li.holding');
    await expect(holdings.count()).resolves.toBe(3);
    const rows = await holdings.evaluateAll((items) =>
      items.map((li) => ({ name: li.querySelector('h3 a')?.textContent ?? '', state: li.querySelector('.state')?.textContent ?? '' })),
    );
    expect(rows.map((r) => r.name).sort()).toEqual([...NAMES].sort());
    for (const row of rows) expect(row.state, row.name).toBe(row.name === REVOKED_NAME ? 'Revoked' : 'Valid');

    // The revoked one: a placeholder instead of its badge, and only its JSON (kept public so verifiers see why).
    const revoked = holdings.filter({ hasText: REVOKED_NAME });
    await expect(revoked.locator('img').count()).resolves.toBe(0);
    await expect(revoked.locator('.mini-badge.placeholder').count()).resolves.toBe(1);
    const revokedId = issued[2]!.credential.id as string;
    await expect(hrefsOf(page, `li.holding:has-text("${REVOKED_NAME}") .files a`)).resolves.toEqual([`${revokedId}/download`]);

    const current = issued.slice(0, 2).map((i) => i.credential.id as string);
    const images = await imagesOf(page);
    expect(images.map((i) => i.src).sort()).toEqual(current.map((id) => `${id}/badge.svg`).sort());
    expect(images.every((i) => i.loaded)).toBe(true);

    const hrefs = await hrefsOf(page);
    for (const id of current)
      for (const file of ['download', 'badge.png', 'badge.svg', 'certificate.pdf']) expect(hrefs).toContain(`${id}/${file}`);
    for (const file of ['badge.png', 'badge.svg', 'certificate.pdf']) expect(hrefs).not.toContain(`${revokedId}/${file}`);
    expect(hrefs).toContain(`${walletUrl}/wallet.json`);
    expect(hrefs).toContain(`${walletUrl}/clr/${issuer.issuerId}`);
    expect(body).toContain('all 2 current credentials');
    expect(body).toContain('a CLR 2.0 transcript of 2 credentials');
    await expect(page.locator('.qr svg').count()).resolves.toBe(1);

    // The wallet file and the learner record offered here verify when uploaded to the verifier.
    for (const [href, description] of [
      [`${walletUrl}/wallet.json`, /wallet file .* with 2 credentials/],
      [`${walletUrl}/clr/${issuer.issuerId}`, /Comprehensive Learner Record .* bundling 2 credentials/],
    ] as const) {
      const file = Buffer.from(await (await fetch(href)).arrayBuffer());
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(file)]), 'file.json');
      const res = await fetch(`${t.baseUrl}/credentials/verify`, { method: 'POST', body: form });
      const result = (await res.json()) as Json;
      expect(res.status, JSON.stringify(result).slice(0, 500)).toBe(200);
      expect(result.description).toMatch(description);
    }

    await page.screenshot({ path: path.join(SCREENSHOTS, 'wallet-page.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the /verify form uploads a baked PNG and shows the verdict, with JavaScript off', async () => {
    const { credential } = issued[0]!;
    const png = Buffer.from(await (await fetch(`${credential.id}/badge.png`)).arrayBuffer());
    const page = await context.newPage();
    const problems = watch(page);
    expect((await page.goto(`${t.baseUrl}/verify`))?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('Verify a credential file');

    await page.locator('input[type=file][name=file]').setInputFiles({ name: 'badge.png', mimeType: 'image/png', buffer: png });
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${t.baseUrl}/verify` && r.request().method() === 'POST'),
      page.locator('button[type=submit]').click(),
    ]);
    await page.waitForLoadState('load');
    expect(response.status()).toBe(200);
    expect(response.request().headers()['content-type']).toMatch(/^multipart\/form-data; boundary=/);

    await expect(page.locator('.verdict-title').allTextContents()).resolves.toEqual(['Verified']);
    const body = squash(await page.locator('body').innerText());
    expect(body).toContain('badge.png is a baked PNG badge holding a credential. It verifies.');
    expect(body).toContain(NAMES[0]);
    expect(body).toContain('Issued by Example School District');
    expect(body).toContain('This credential is authentic, unaltered and currently valid.');
    await expect(page.locator('.result .check.pass').count()).resolves.toBe(6);
    await expect(page.locator('.result .check:not(.pass)').count()).resolves.toBe(0);
    await expect(page.locator(`.result a[href="${credential.id}"]`).count()).resolves.toBe(1);
    // The form is there again for the next file.
    await expect(page.locator('form input[type=file]').count()).resolves.toBe(1);

    await page.screenshot({ path: path.join(SCREENSHOTS, 'verify-upload-page.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the PDF certificate renders with the achievement, recipient, issuer and a QR code of the verification URL', async () => {
    const { credential } = issued[0]!;
    const res = await fetch(`${credential.id}/certificate.pdf`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const file = path.join(workDir, 'certificate.pdf');
    fs.writeFileSync(file, pdf);

    execFileSync('pdftoppm', ['-png', '-r', '100', '-singlefile', file, path.join(SCREENSHOTS, 'certificate-page')]);
    const image = fs.readFileSync(path.join(SCREENSHOTS, 'certificate-page.png'));
    const { width, height } = PNG.sync.read(image);
    // US Letter or A4, landscape or portrait, at 100 dpi.
    expect(Math.max(width, height)).toBeGreaterThan(1000);
    expect(Math.min(width, height)).toBeGreaterThan(780);

    const text = squash(execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-']).toString('utf8'));
    for (const expected of [NAMES[0], 'Jordan Rivera', 'Example School District']) expect(text).toContain(expected);
    // Rasterise the page again at a resolution jsQR reads reliably, and decode the code on it.
    execFileSync('pdftoppm', ['-png', '-r', '200', '-singlefile', file, path.join(workDir, 'certificate-200')]);
    expect(decodeQr(fs.readFileSync(path.join(workDir, 'certificate-200.png')))).toBe(credential.id);
  });

  it('the wallet page\'s "Request this credential" button, clicked with JavaScript off, awards a completed stack and comes back showing "Completed"', async () => {
    const who = 'Stack.Earner@District.example';
    const components: string[] = [];
    for (const name of ['Questioning Techniques', 'Feedback for Learning']) {
      const { id } = await createAchievement(t.app, issuer, { name });
      components.push(id);
      const res = await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: issuer.auth,
        payload: issueRequest(id, { recipient: { identity: who, name: 'Sam Park' } }),
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const created = await t.app.inject({
      method: 'POST',
      url: '/achievements',
      headers: issuer.auth,
      payload: {
        name: 'Feedback Pathway',
        description: 'A stack of two micro-credentials, awarded on request.',
        achievementType: 'LearningProgram',
        criteria: { narrative: 'Earn both components.' },
        stack: {
          award: 'on-request',
          requirements: [{ name: 'Core', components: components.map((achievementId) => ({ achievementId })) }],
        },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const stackId = created.json().id as string;
    const link = await t.app.inject({
      method: 'POST',
      url: '/earner-links',
      headers: issuer.auth,
      payload: { kind: 'wallet', recipient: { identity: who } },
    });
    expect(link.statusCode, link.body).toBe(201);
    const url = link.json().url as string;

    const page = await context.newPage();
    const problems = watch(page);
    expect((await page.goto(url, { waitUntil: 'load' }))?.status()).toBe(200);
    const pathway = page.locator('li.pathway', { hasText: 'Feedback Pathway' });
    await expect(pathway.locator('.state').allTextContents()).resolves.toEqual(['Complete']);
    const button = pathway.locator('form[method=post] button', { hasText: 'Request this credential' });
    await expect(button.count()).resolves.toBe(1);
    await expect(pathway.locator('form').getAttribute('action')).resolves.toBe(`${url}/stacks/${stackId}`);
    await expect(page.locator('li.holding').count()).resolves.toBe(2);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'wallet-page-stack-request.png'), fullPage: true });

    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${url}/stacks/${stackId}` && r.request().method() === 'POST'),
      button.click(),
    ]);
    await page.waitForLoadState('load');
    expect(posted.status()).toBe(303);
    expect(posted.request().headers()['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(page.url()).toBe(url);

    const after = page.locator('li.pathway', { hasText: 'Feedback Pathway' });
    await expect(after.locator('.state').allTextContents()).resolves.toEqual(['Completed']);
    await expect(after.locator('form').count()).resolves.toBe(0);
    const credentialHref = await after.locator('a', { hasText: 'view the stack credential' }).getAttribute('href');
    const rows = await t.database.db.selectFrom('credentials').select('credential_url').where('achievement_id', '=', stackId).execute();
    expect(rows.map((r) => r.credential_url)).toEqual([credentialHref]);
    // The stack credential is now one of the holdings.
    await expect(page.locator('li.holding').count()).resolves.toBe(3);
    expect(squash(await page.locator('body').innerText())).toContain('Feedback Pathway');

    await page.screenshot({ path: path.join(SCREENSHOTS, 'wallet-page-stack-completed.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
