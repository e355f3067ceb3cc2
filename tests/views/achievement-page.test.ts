/**
 * The public achievement page and what links to it, as a person sees them in headless Chromium (JavaScript off)
 * against a listening app: a university's micro-credentials A and B and their automatic stack S, recognised by a
 * state organisation (S toward licence renewal, A toward a salary step) and A endorsed by a review panel. A's page
 * (counts toward, part of, endorsement, rubric), S's page (its components and requirements), the same URL as JSON
 * for machines, the credential page of a credential of A and the earner's wallet page with S under "Pathways".
 * Screenshots go to test-results/ for review.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { launchChromium } from '../helpers/browser.js';

type Json = Record<string, any>;

const SCREENSHOTS = path.resolve('test-results');
const EMAIL = 'Teacher.Pathways@District.example';
const A_NAME = 'Formative Assessment: Checking for Understanding';
const B_NAME = 'Academic Discourse: Structured Student Talk';
const S_NAME = 'Assessment for Learning Foundations';
const UNIVERSITY = 'Northfield University School of Education';
const STATE = 'Illustrative State Department of Education';
const PANEL = 'Illustrative State Micro-credential Review Panel';
const STATE_JURISDICTION = 'US-XX (Illustrative State)';
const DISTRICT_JURISDICTION = 'Example Unified School District (US-XX)';
const ENDORSEMENT_COMMENT =
  '**Reviewed against the MPOS quality standards.**\n\nThe panel found the rubric *clear and job-embedded*.\n\n- Authentic classroom evidence\n- Trained assessors';
const HOSTILE_NAME = '<img src=x onerror=alert(1)>';
const HOSTILE_STACK_NAME = '"><b>bold</b> & <i>stack</i>';

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

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
const hrefsOf = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href));
/** The text of the <section> under the <h2> titled `title` ('' when the page has no such section). */
const sectionText = async (page: Page, title: string) => {
  const section = page.locator('section', { has: page.locator('h2', { hasText: title }) });
  return (await section.count()) === 0 ? '' : squash(await section.first().innerText());
};

describe(`achievement pages in a browser (${backendName})`, () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let university: Issuer;
  let state: Issuer;
  let panel: Issuer;
  let a: { id: string; url: string };
  let b: { id: string; url: string };
  let s: { id: string; url: string };
  let hostile: { id: string; url: string };
  let hostileStack: { id: string; url: string };
  let endorsementUrl: string;
  /** The credentials of A and B, and the stack credential awarded with B. */
  let credentialA: Json;
  let stackCredentialUrl: string | undefined;

  const inject = async (method: 'GET' | 'POST', url: string, who: Issuer | undefined, payload?: object) => {
    const res = await t.app.inject({ method, url, headers: who?.auth ?? {}, payload });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res;
  };

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    university = await createIssuer(t.app.services, { name: UNIVERSITY });
    state = await createIssuer(t.app.services, { name: STATE });
    panel = await createIssuer(t.app.services, { name: PANEL });
    // No badge image: example.org cannot be resolved here, and a page's failed image would hide real problems.
    a = await createAchievement(t.app, university, { name: A_NAME, image: undefined });
    b = await createAchievement(t.app, university, { name: B_NAME, image: undefined });
    hostile = await createAchievement(t.app, university, { name: HOSTILE_NAME, image: undefined });
    const stack = await inject('POST', '/achievements', university, {
      name: S_NAME,
      description: 'A pathway of two micro-credentials in **assessment for learning**.',
      achievementType: 'Certificate',
      criteria: { narrative: 'Earn both micro-credentials of this stack.' },
      stack: { requirements: [{ name: 'Assessment core', components: [{ achievementId: a.id }, { achievementId: b.id }] }] },
    });
    s = stack.json();
    hostileStack = (
      await inject('POST', '/achievements', university, {
        name: HOSTILE_STACK_NAME,
        description: 'A stack whose names look like HTML.',
        criteria: { narrative: 'Earn its component.' },
        stack: { requirements: [{ name: '<u>Core</u>', components: [{ achievementId: hostile.id }] }] },
      })
    ).json();

    await inject('POST', '/recognitions', state, {
      achievementId: s.id,
      recognizerType: 'state-agency',
      purpose: 'license-renewal',
      amount: { value: 30, unit: 'clock-hours' },
      jurisdiction: STATE_JURISDICTION,
      effectiveFrom: '2025-07-01',
      note: 'Counts toward the hours needed to renew a standard licence.',
    });
    await inject('POST', '/recognitions', state, {
      achievementId: a.id,
      recognizerType: 'district',
      purpose: 'salary-step',
      jurisdiction: DISTRICT_JURISDICTION,
      effectiveFrom: '2025-07-01',
    });
    const endorsement = await inject('POST', '/endorsements', panel, { subject: { achievementId: a.id }, comment: ENDORSEMENT_COMMENT });
    endorsementUrl = String(endorsement.headers.location);

    // A, then B: B completes the automatic stack, which is awarded with it.
    const issuedA = await inject(
      'POST',
      '/credentials',
      university,
      issueRequest(a.id, { recipient: { identity: EMAIL, name: 'Jordan Rivera' } }),
    );
    credentialA = issuedA.json();
    await inject('POST', '/credentials', university, issueRequest(b.id, { recipient: { identity: EMAIL, name: 'Jordan Rivera' } }));

    browser = await launchChromium();
    // No JavaScript at all: the pages must work as plain HTML (their CSP forbids scripts anyway).
    context = await browser.newContext({ viewport: { width: 1100, height: 900 }, javaScriptEnabled: false });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.close();
  });

  it("A's page shows what it counts for, the stack it is part of, its verified endorsement and its rubric", async () => {
    const page = await context.newPage();
    const problems = watch(page);
    const response = await page.goto(a.url, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-type']).toMatch(/^text\/html/);
    expect(headers['content-security-policy']).toBeDefined();
    expect(headers['content-security-policy']).not.toContain('script-src');
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['vary']).toMatch(/accept/i);

    await expect(page.locator('h1').textContent()).resolves.toBe(A_NAME);
    const body = squash(await page.locator('body').innerText());
    expect(body).toContain(`Issued by ${UNIVERSITY}`);
    expect(body).toMatch(/Micro-credential · version 1/i);

    // Counts toward: A's own recognition (the stack's recognition belongs to the stack, not to each component).
    const counts = await sectionText(page, 'Counts toward');
    expect(counts).toContain(STATE);
    expect(counts).toContain('district');
    expect(counts).toContain('Salary step');
    expect(counts).toContain(DISTRICT_JURISDICTION);
    expect(counts).toContain('from July 1, 2025');
    expect(counts).not.toContain('30 clock hours');

    const partOf = await sectionText(page, 'Part of');
    expect(partOf).toBe(`Part of ${S_NAME}`);
    await expect(hrefsOf(page, 'section:has(h2:text-is("Part of")) a')).resolves.toEqual([s.url]);
    await expect(page.locator('section', { has: page.locator('h2', { hasText: 'Components of this stack' }) }).count()).resolves.toBe(0);

    // The endorsement: who, verified now, and its comment rendered from Markdown (bold, italics, a list).
    const endorsement = page.locator('li.endorsement');
    await expect(endorsement.count()).resolves.toBe(1);
    const endorsementText = squash(await endorsement.innerText());
    expect(endorsementText).toContain(PANEL);
    await expect(endorsement.locator('.state').allTextContents()).resolves.toEqual(['Verified']);
    await expect(endorsement.locator('.state.ok').count()).resolves.toBe(1);
    await expect(endorsement.locator('strong', { hasText: 'Reviewed against the MPOS quality standards.' }).count()).resolves.toBe(1);
    await expect(endorsement.locator('em').allTextContents()).resolves.toEqual(['clear and job-embedded']);
    await expect(endorsement.locator('ul li').allTextContents()).resolves.toEqual(['Authentic classroom evidence', 'Trained assessors']);
    expect(endorsementText).not.toContain('**');
    await expect(hrefsOf(page, 'li.endorsement a')).resolves.toContain(endorsementUrl);

    // The rubric with each criterion's levels and the required one marked; competencies and criteria too.
    const rubric = await sectionText(page, 'Rubric');
    expect(rubric).toContain('Lesson plan');
    expect(rubric).toContain('Developing · Proficient (required) · Exemplary');
    expect(rubric).toContain('Reflection');
    expect(await sectionText(page, 'Competencies')).toContain('InTASC Standard 6: Assessment');
    expect(await sectionText(page, 'Criteria')).toContain('Submit a lesson plan');
    await expect(hrefsOf(page, 'a')).resolves.toContain(a.url); // the JSON link: the same URL

    expect(await page.locator('script').count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'achievement-page.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("S's page lists its components, linked, with the requirements, and counts toward licence renewal", async () => {
    const page = await context.newPage();
    const problems = watch(page);
    const response = await page.goto(s.url, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).not.toContain('script-src');
    await expect(page.locator('h1').textContent()).resolves.toBe(S_NAME);
    expect(squash(await page.locator('.kind').innerText())).toMatch(/^Certificate · version 1$/i);

    expect(await sectionText(page, 'Components of this stack')).toBe(`Components of this stack ${A_NAME} ${B_NAME}`);
    const components = await page
      .locator('section:has(h2:text-is("Components of this stack")) a')
      .evaluateAll((links) => links.map((l) => ({ text: l.textContent, href: (l as HTMLAnchorElement).href })));
    expect(components).toEqual([
      { text: A_NAME, href: a.url },
      { text: B_NAME, href: b.url },
    ]);
    // The component links open the components' pages.
    for (const { href } of components) {
      const res = await fetch(href, { headers: { accept: 'text/html' } });
      expect(res.status, href).toBe(200);
      await res.text();
    }

    const criteria = await sectionText(page, 'Criteria');
    expect(criteria).toContain('Earn both micro-credentials of this stack.');
    expect(criteria).toContain('Requirements');
    expect(criteria).toContain(`Assessment core: all of ${A_NAME}; ${B_NAME}`);
    await expect(page.locator('section:has(h2:text-is("Criteria")) ol li').count()).resolves.toBe(1);

    const counts = await sectionText(page, 'Counts toward');
    expect(counts).toContain(STATE);
    expect(counts).toContain('state agency');
    expect(counts).toContain('30 clock hours toward licence renewal');
    expect(counts).toContain(STATE_JURISDICTION);
    expect(counts).toContain('Counts toward the hours needed to renew a standard licence.');
    expect(counts).not.toContain('Salary step');
    expect(await sectionText(page, 'Part of')).toBe('');
    expect(await sectionText(page, 'Endorsements')).toBe('');

    await page.screenshot({ path: path.join(SCREENSHOTS, 'stack-page.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('gives machines the Achievement JSON at the same URL, with its current endorsement and a link to its recognitions', async () => {
    const res = await fetch(a.url, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('link')).toBe(`<${t.baseUrl}/recognitions?achievementId=${a.id}>; rel="related"; type="application/json"`);
    const achievement = (await res.json()) as Json;
    expect(achievement).toMatchObject({ id: a.url, type: ['Achievement'], name: A_NAME, version: '1' });
    expect(achievement.endorsement).toHaveLength(1);
    const [endorsement] = achievement.endorsement as Json[];
    expect(endorsement!.type).toEqual(expect.arrayContaining(['VerifiableCredential', 'EndorsementCredential']));
    expect(endorsement!.id).toBe(endorsementUrl);
    expect(endorsement!.credentialSubject).toMatchObject({ id: a.url, endorsementComment: ENDORSEMENT_COMMENT });
    expect(endorsement!.proof).toBeDefined();

    // The linked recognitions answer, relative to the achievement URL.
    const linked = new URL(`/recognitions?achievementId=${a.id}`, a.url);
    const recognitions = (await (await fetch(linked)).json()) as Json[];
    expect(recognitions.map((r) => [r.purpose, r.recognizer.name, r.jurisdiction])).toEqual([
      ['salary-step', STATE, DISTRICT_JURISDICTION],
    ]);

    // Without an Accept header (curl, fetch): JSON too.
    const plain = await fetch(a.url);
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await plain.json()) as Json).endorsement).toHaveLength(1);

    // The version URL is the published version, immutable: no endorsement added afterwards.
    const version = await fetch(`${a.url}/versions/1`, { headers: { accept: 'application/json' } });
    expect(version.status).toBe(200);
    const published = (await version.json()) as Json;
    expect(published.endorsement).toBeUndefined();
    expect(published.name).toBe(A_NAME);
    const { endorsement: _endorsement, ...withoutEndorsement } = achievement;
    expect(published).toEqual(withoutEndorsement);

    // S has no endorsement: its JSON is exactly the published version.
    const stack = (await (await fetch(s.url, { headers: { accept: 'application/json' } })).json()) as Json;
    expect(stack.endorsement).toBeUndefined();
    expect(stack.related).toEqual([
      { id: a.url, type: ['Related'] },
      { id: b.url, type: ['Related'] },
    ]);
  });

  it("the credential page of a credential of A shows what it counts toward: A's salary-step recognition", async () => {
    const credentialUrl = String(credentialA.id);
    expect(credentialUrl).toMatch(new RegExp(`^${t.baseUrl}/credentials/`));
    // Issued after the endorsement: it carries it, and verifies with it.
    expect(credentialA.credentialSubject.achievement.endorsement).toHaveLength(1);
    const page = await context.newPage();
    const problems = watch(page);
    const response = await page.goto(credentialUrl, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    await expect(page.locator('.verdict-title').textContent()).resolves.toBe('Verified');
    await expect(page.locator('h1').textContent()).resolves.toBe(A_NAME);
    const counts = await sectionText(page, 'Counts toward');
    expect(counts).toContain('Salary step');
    expect(counts).toContain(STATE);
    expect(counts).toContain(DISTRICT_JURISDICTION);
    expect(counts).not.toContain('licence renewal');
    expect(squash(await page.locator('body').innerText())).toContain('Endorsements passed');
    expect(problems).toEqual([]);
    await page.close();
  });

  it("the earner's wallet page shows the stack under Pathways as Completed, awarded when B arrived", async () => {
    const link = await inject('POST', '/earner-links', university, { kind: 'wallet', recipient: { identity: EMAIL } });
    const walletUrl = String(link.json().url);
    const page = await context.newPage();
    const problems = watch(page);
    const response = await page.goto(walletUrl, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);

    const names = await page.locator('li.holding h3 a').allTextContents();
    expect(names.sort()).toEqual([A_NAME, B_NAME, S_NAME].sort());
    const stackHolding = page.locator('li.holding', { has: page.locator('h3 a', { hasText: S_NAME }) });
    stackCredentialUrl = (await stackHolding.locator('h3 a').getAttribute('href')) ?? undefined;
    expect(stackCredentialUrl).toMatch(new RegExp(`^${t.baseUrl}/credentials/`));

    const pathways = page.locator('section', { has: page.locator('h2', { hasText: 'Pathways' }) });
    await expect(pathways.count()).resolves.toBe(1);
    const items = pathways.locator('li.pathway');
    await expect(items.count()).resolves.toBe(1);
    const item = items.first();
    await expect(item.locator('strong').textContent()).resolves.toBe(S_NAME);
    await expect(item.locator('.state').allTextContents()).resolves.toEqual(['Completed']);
    await expect(hrefsOf(page, 'li.pathway a')).resolves.toEqual([s.url, stackCredentialUrl]);
    expect(squash(await item.innerText())).toContain('Assessment core: 2 of 2 ✓');

    await page.screenshot({ path: path.join(SCREENSHOTS, 'wallet-pathways.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();

    // The stack credential names the stack, and its page says what the stack counts toward.
    const stackCredential = (await (await fetch(stackCredentialUrl!, { headers: { accept: 'application/json' } })).json()) as Json;
    expect(stackCredential.credentialSubject.achievement.id).toBe(s.url);
    const stackPage = await context.newPage();
    const stackProblems = watch(stackPage);
    expect((await stackPage.goto(stackCredentialUrl!, { waitUntil: 'load' }))?.status()).toBe(200);
    await expect(stackPage.locator('.verdict-title').textContent()).resolves.toBe('Verified');
    const counts = await sectionText(stackPage, 'Counts toward');
    expect(counts).toContain('30 clock hours toward licence renewal');
    expect(counts).toContain(STATE_JURISDICTION);
    expect(stackProblems).toEqual([]);
    await stackPage.close();
  });

  it('escapes names that look like HTML: they are shown as text on the achievement and stack pages', async () => {
    const page = await context.newPage();
    const problems = watch(page);
    const response = await page.goto(hostile.url, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe(HOSTILE_NAME);
    await expect(page.title()).resolves.toBe(`${HOSTILE_NAME}: Micro-credential`);
    await expect(page.locator('img').count()).resolves.toBe(0);
    await expect(page.locator('[onerror]').count()).resolves.toBe(0);
    expect(await sectionText(page, 'Part of')).toBe(`Part of ${HOSTILE_STACK_NAME}`);
    await expect(page.locator('article b, article i').count()).resolves.toBe(0);
    const html = await response!.text();
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');

    // The stack's page: its name, its component's name and the requirement's name, all as text.
    const stackResponse = await page.goto(hostileStack.url, { waitUntil: 'load' });
    expect(stackResponse?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe(HOSTILE_STACK_NAME);
    expect(await sectionText(page, 'Components of this stack')).toBe(`Components of this stack ${HOSTILE_NAME}`);
    expect(await sectionText(page, 'Criteria')).toContain(`<u>Core</u>: all of ${HOSTILE_NAME}`);
    await expect(page.locator('img, b, i, u, [onerror]').count()).resolves.toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
