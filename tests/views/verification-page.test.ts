import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderVerificationPage } from '../../src/views/verification-page.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createAchievement, createIssuer, issueRequest } from '../helpers/factories.js';
import { launchChromium } from '../helpers/browser.js';

const SCREENSHOTS = path.resolve('test-results');

describe('credential verification page', () => {
  let t: TestApp;
  let browser: Browser;
  let credentialUrl: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const issuer = await createIssuer(t.app.services);
    const { id } = await createAchievement(t.app, issuer);
    const res = await t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(id) });
    credentialUrl = res.headers.location as string;
    browser = await launchChromium();
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a browser the verdict, achievement, competencies, rubric result, evidence and issuer, without scripts', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    // The fixture's badge image lives on example.org, which this offline machine cannot resolve; anything else is a defect.
    page.on('console', (m) => m.type() === 'error' && !m.text().includes('ERR_NAME_NOT_RESOLVED') && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    const response = await page.goto(credentialUrl);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    await expect(page.locator('.verdict-title').textContent()).resolves.toBe('Verified');
    const body = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
    for (const text of [
      'Formative Assessment: Checking for Understanding',
      'Jordan Rivera',
      'Example School District',
      'InTASC Standard 6: Assessment',
      'Lesson plan',
      'Exemplary',
      'Sam Lee',
      'Example Educator Learning Network',
      'Digital signature passed',
    ]) {
      expect(body).toContain(text);
    }
    expect(await page.locator('script').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'verification-page.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.pdf({ path: path.join(SCREENSHOTS, 'verification-page.pdf'), format: 'Letter' });
    await page.close();
  });

  it('gives machines JSON at the same URL', async () => {
    const res = await fetch(credentialUrl, { headers: { accept: 'application/json' } });
    expect(res.headers.get('content-type')).toMatch(/^application\/vc\+ld\+json/);
    expect((await res.json()).id).toBe(credentialUrl);
    const plain = await fetch(credentialUrl);
    expect(plain.headers.get('content-type')).toMatch(/^application\/vc\+ld\+json/);
  });
});

describe(renderVerificationPage.name, () => {
  it('escapes everything taken from the credential and links only http(s) URLs', () => {
    const html = renderVerificationPage({
      credential: {
        id: 'urn:uuid:1',
        name: '<script>alert(1)</script>',
        issuer: { id: 'did:key:x', name: '"><img src=x onerror=alert(1)>' },
        evidence: [{ id: 'javascript:alert(1)', name: 'click me' }],
        credentialSubject: { achievement: { name: 'x', description: '**bold** <b>raw</b>' } },
      },
      report: { verified: false, checks: [{ check: 'proof', outcome: 'fail', message: '<i>bad</i>' }], warnings: [] },
      downloadUrl: '/credentials/1/download',
      checkedAt: new Date('2026-11-23T00:00:00Z'),
    });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('&lt;b&gt;raw&lt;/b&gt;');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('Not valid');
  });
});
