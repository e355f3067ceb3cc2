/**
 * Abuse limits and the edges of the service: rate limits and security headers (src/plugins/security.ts), CORS only
 * on public routes (src/plugins/cors.ts), the JSON depth limit (src/plugins/json-body.ts), Prometheus metrics
 * (src/metrics.ts) and the start-up checks of src/runtime.ts and src/config.ts.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { openRuntime } from '../../src/runtime.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName, backends, createTestDatabase } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';

type Json = Record<string, any>;

function expectProblem(res: LightMyRequestResponse, status: number): Json {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  return res.json();
}

describe(`rate limits (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let secondKey: string;

  beforeAll(async () => {
    t = await createTestApp({ rateLimitPerMinute: 5, rateLimitKeyPerMinute: 3 });
    issuer = await createIssuer(t.app.services);
    secondKey = (await t.app.services.issuers.createApiKey(issuer.issuerId, { name: 'Second platform' })).apiKey;
  });
  afterAll(() => t.close());

  const from = (remoteAddress: string, url = '/achievements', headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, remoteAddress, headers });

  it('answers the 6th anonymous request a minute from one address with 429 problem+json and Retry-After', async () => {
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.10')).statusCode).toBe(200);
    const res = await from('203.0.113.10');
    const body = expectProblem(res, 429);
    expect(body.detail).toMatch(/5 requests per minute/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await from('203.0.113.11')).statusCode).toBe(200);
  });

  it('answers the 4th call a minute with one API key with 429 while another key still works', async () => {
    const call = (apiKey: string) => from('198.51.100.7', '/api-keys', { authorization: `Bearer ${apiKey}` });
    for (let i = 0; i < 3; i++) expect((await call(issuer.apiKey)).statusCode).toBe(200);
    const limited = await call(issuer.apiKey);
    expectProblem(limited, 429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect((await call(secondKey)).statusCode).toBe(200);
  });

  it('never limits /healthz, /readyz or /metrics', async () => {
    for (let i = 0; i < 6; i++) await from('203.0.113.20');
    expectProblem(await from('203.0.113.20'), 429);
    for (let i = 0; i < 20; i++) {
      expect((await from('203.0.113.20', '/healthz')).statusCode).toBe(200);
      expect((await from('203.0.113.20', '/readyz')).statusCode).toBe(200);
    }
    expect((await from('203.0.113.20', '/metrics')).statusCode).toBe(200);
  });

  it('keeps counting an address that sends made-up API keys against the address limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const fake = `mck_${crypto.randomBytes(16).toString('hex')}_${'A'.repeat(43)}`;
      statuses.push((await from('203.0.113.30', '/achievements', { authorization: `Bearer ${fake}` })).statusCode);
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });
});

describe(`security headers and CORS (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let credential: Json;
  let credentialPath: string;

  beforeAll(async () => {
    t = await createTestApp();
    issuer = await createIssuer(t.app.services);
    const { id } = await createAchievement(t.app, issuer);
    const res = await t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(id) });
    expect(res.statusCode, res.body).toBe(201);
    credential = res.json();
    credentialPath = new URL(credential.id).pathname;
  });
  afterAll(() => t.close());

  const origin = { origin: 'https://wallet.example.net' };
  const preflight = (url: string, method: string, headers = 'content-type') =>
    t.app.inject({
      method: 'OPTIONS',
      url,
      headers: { ...origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    });

  it('sends nosniff and frame protection on every response, and no HSTS on an http public URL', async () => {
    const responses = await Promise.all([
      t.app.inject({ method: 'GET', url: '/healthz' }),
      t.app.inject({ method: 'GET', url: '/achievements' }),
      t.app.inject({ method: 'GET', url: '/no-such-page' }),
      t.app.inject({ method: 'POST', url: '/credentials', payload: {} }),
      t.app.inject({ method: 'GET', url: credentialPath, headers: { accept: 'text/html' } }),
    ]);
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 404, 401, 200]);
    for (const res of responses) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toMatch(/^(DENY|SAMEORIGIN)$/);
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it.each([
    [
      'GET /credentials/{id} (JSON)',
      () => t.app.inject({ method: 'GET', url: credentialPath, headers: { ...origin, accept: 'application/json' } }),
    ],
    [
      'GET /status-lists/{id}',
      () => t.app.inject({ method: 'GET', url: new URL(credential.credentialStatus.statusListCredential).pathname, headers: origin }),
    ],
    ['GET /achievements', () => t.app.inject({ method: 'GET', url: '/achievements', headers: origin })],
    ['GET /issuers/{id}/did.json', () => t.app.inject({ method: 'GET', url: `/issuers/${issuer.issuerId}/did.json`, headers: origin })],
    [
      'POST /credentials/verify',
      () => t.app.inject({ method: 'POST', url: '/credentials/verify', headers: origin, payload: { verifiableCredential: credential } }),
    ],
  ])('lets any origin read %s', async (_name, request) => {
    const res = await request();
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it.each([
    ['GET', '/presentations/verify', 'POST'],
    ['DELETE', '/ims/ob/v3p0/credentials', 'GET, HEAD, POST'],
    ['PUT', '/batches/', 'POST'],
    ['PUT', '/credentials/{id}/status', 'GET, HEAD, POST'],
    ['DELETE', '/credentials/{id}', 'GET, HEAD'],
  ] as const)('answers %s %s with 405 problem+json and the methods the path takes in Allow', async (method, url, allow) => {
    const path = url.replace('/credentials/{id}', credentialPath);
    const res = await t.app.inject({ method, url: path, headers: issuer.auth });
    expect(res.statusCode, res.body).toBe(405);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toMatchObject({ status: 405, type: `${t.baseUrl}/problems/method-not-allowed` });
    expect(res.json().detail).toContain(`takes ${allow}, not ${method}`);
  });

  it('answers a path no route serves with 404, whatever the method', async () => {
    for (const [method, url] of [
      ['GET', '/no-such-page'],
      ['POST', '/credentials/verify/extra'],
      ['DELETE', '/ims/ob/v3p0'],
    ] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
      expect(res.headers.allow).toBeUndefined();
    }
  });

  it('answers a preflight to /credentials/verify with 204 allowing POST from any origin', async () => {
    const res = await preflight('/credentials/verify', 'POST');
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(String(res.headers['access-control-allow-methods']).split(/,\s*/)).toContain('POST');
    expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('content-type');
  });

  it.each([
    ['POST', '/credentials', () => issueRequest('00000000-0000-0000-0000-000000000000')],
    ['POST', '/achievements', () => ({})],
    ['GET', '/api-keys', undefined],
    ['POST', '/api-keys', () => ({ name: 'x', scopes: ['admin'] })],
    [
      'POST',
      '/credentials/status',
      () => ({ credentialId: 'x', credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'revocation' } }),
    ],
  ] as const)('sends no CORS headers on %s %s, nor a successful preflight', async (method, url, payload) => {
    const res = await t.app.inject({ method, url, headers: { ...origin, ...issuer.auth }, ...(payload ? { payload: payload() } : {}) });
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await preflight(url, method, 'authorization, content-type');
    expect(
      pre.headers['access-control-allow-origin'],
      `OPTIONS ${url}: ${pre.statusCode}, methods ${String(pre.headers['access-control-allow-methods'])}`,
    ).toBeUndefined();
  });

  it("sends the verification page with a CSP of default-src 'none'", async () => {
    const res = await t.app.inject({ method: 'GET', url: credentialPath, headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp.split(';').map((d) => d.trim())).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src/);
  });
});

describe(`JSON depth limit (${backendName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** `{"verifiableCredential": [[...]]}`: nested `depth` levels in all, counting the outer object. */
  const nested = (depth: number) => `{"verifiableCredential":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
  const verify = (payload: string, contentType = 'application/json') =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', headers: { 'content-type': contentType }, payload });
  const DEPTH_MESSAGE = /nested deeper than 64 levels/;

  it.each(['application/json', 'application/ld+json'])(
    'refuses a %s body nested 65 levels deep (400 naming the limit)',
    async (contentType) => {
      const body = expectProblem(await verify(nested(65), contentType), 400);
      expect(body.detail).toMatch(DEPTH_MESSAGE);
    },
  );

  it('accepts 64 levels as far as depth goes', async () => {
    const res = await verify(nested(64));
    expect(res.statusCode).toBeLessThan(500);
    expect(res.body).not.toMatch(DEPTH_MESSAGE);
  });

  it('answers a 100,000-bracket depth bomb with a 4xx in under a second', async () => {
    const started = performance.now();
    const res = await verify('['.repeat(100_000));
    const elapsed = performance.now() - started;
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(elapsed).toBeLessThan(1000);
  });

  it('does not count brackets inside strings, escaped quotes included', async () => {
    const strings = JSON.stringify({
      verifiableCredential: {
        name: '[[[['.repeat(50) + ']]]]'.repeat(50),
        description: `"${'['.repeat(200)}\\`,
        tags: ['\\"[[[[', '{{{{'.repeat(30)],
      },
    });
    const res = await verify(strings);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.body).not.toMatch(DEPTH_MESSAGE);
  });
});

describe(`GET /metrics (${backendName})`, () => {
  let t: TestApp;
  let metrics: LightMyRequestResponse;

  beforeAll(async () => {
    t = await createTestApp();
    const issuer = await createIssuer(t.app.services);
    const { id } = await createAchievement(t.app, issuer);
    const issued = await t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(id) });
    expect(issued.statusCode, issued.body).toBe(201);
    const verified = await t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: issued.json() } });
    expect(verified.statusCode, verified.body).toBe(200);
    metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
  });
  afterAll(() => t.close());

  const lines = () => metrics.body.split('\n');

  it('serves the Prometheus text format with request latencies by route', () => {
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(lines()).toContain('# TYPE http_request_duration_seconds histogram');
    expect(metrics.body).toMatch(/^http_request_duration_seconds_count\{method="POST",route="\/credentials\/?",status="201"\} 1$/m);
  });

  it('counts one issued credential, one verification and one signing', () => {
    expect(lines()).toContain('credentials_issued_total{proof_type="eddsa-rdfc-2022"} 1');
    expect(lines()).toContain('verifications_total{outcome="verified"} 1');
    expect(lines()).toContain('credential_signing_seconds_count{proof_type="eddsa-rdfc-2022"} 1');
  });
});

describe(openRuntime.name, () => {
  const logger = createLogger({ logLevel: 'silent' });
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mc-runtime-'));
    dirs.push(dir);
    return dir;
  };
  const otherKey = crypto.randomBytes(32).toString('base64');
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates the embedded database and its master key in DATA_DIR on first start, and reopens them', async () => {
    const dir = tempDir();
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent' });
    const runtime = await openRuntime(config, logger);
    await runtime.database.close();
    expect(fs.existsSync(path.join(dir, 'pgdata'))).toBe(true);
    const keyFile = path.join(dir, 'master.key');
    expect(Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);

    const again = await openRuntime(
      loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', MASTER_KEY: fs.readFileSync(keyFile, 'utf8').trim() }),
      logger,
    );
    await again.database.close();
  });

  it.each(backends)('refuses to start on %s with a MASTER_KEY other than the one the database was set up with', async (backend) => {
    const dir = tempDir();
    // On PostgreSQL: a fresh database of the test server (dropped at the end); openRuntime opens its own pool.
    const database = backend === 'postgres' ? await createTestDatabase('postgres') : undefined;
    const env = { DATA_DIR: dir, LOG_LEVEL: 'silent', ...(database ? { DATABASE_URL: database.url } : {}) };
    try {
      const first = await openRuntime(loadConfig({ ...env, MASTER_KEY: crypto.randomBytes(32).toString('base64') }), logger);
      await first.database.close();
      await expect(openRuntime(loadConfig({ ...env, MASTER_KEY: otherKey }), logger)).rejects.toThrow(
        /MASTER_KEY is not the key this database was set up with/,
      );
    } finally {
      await database?.close();
    }
  });

  it('refuses a DATABASE_URL without MASTER_KEY, naming MASTER_KEY', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/issuer', DATA_DIR: tempDir() })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/issuer', DATA_DIR: tempDir() })).toThrow(/MASTER_KEY/);
  });
});
