/**
 * Scoped, expiring, rotatable API keys (src/plugins/auth.ts, src/routes/api-keys.ts, src/services/issuers.ts):
 * each route family admits only its scope and audits every refusal; keys are shown once, stored as a hash,
 * confined to their issuer, and stop working when they expire, are rotated or are revoked.
 */
import crypto from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/schemas/api-key.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, definition, issueRequest, type Issuer } from '../helpers/factories.js';

type Json = Record<string, any>;
type Method = 'GET' | 'POST' | 'DELETE';

interface CreatedKey {
  readonly id: string;
  readonly name: string;
  readonly scopes: Scope[];
  readonly expiresAt: string | null;
  readonly apiKey: string;
}

const bearer = (apiKey: string) => ({ authorization: `Bearer ${apiKey}` });

function expectProblem(res: LightMyRequestResponse, status: number): Json {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, type: expect.stringContaining('/problems/') });
  return body;
}

async function createKey(t: TestApp, admin: Issuer, body: Json): Promise<CreatedKey> {
  const res = await t.app.inject({ method: 'POST', url: '/api-keys', headers: admin.auth, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Row counts of every table a refused call could write to, and the state of the credentials it could touch. */
async function writes(t: TestApp): Promise<string> {
  const { rows } = await sql<Json>`select
      (select count(*) from credentials)::int as credentials,
      (select count(*) from achievements)::int as achievements,
      (select count(*) from achievement_versions)::int as versions,
      (select count(*) from api_keys)::int as api_keys,
      (select count(*) from api_keys where revoked_at is not null or rotated_to is not null)::int as retired_keys,
      (select count(*) from credential_status_events)::int as status_events,
      (select string_agg(status || ':' || coalesce(recipient_lookup_hash, 'erased'), ',' order by id) from credentials) as credential_states`.execute(
    t.database.db,
  );
  return JSON.stringify(rows[0]);
}

describe(`API key scopes (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let credentialId: string;
  let credentialUrl: string;
  const keys = {} as Record<Scope, CreatedKey>;
  const denials: Array<{ actor: string; scope: Scope; method: Method; url: string }> = [];

  interface RouteCall {
    readonly name: string;
    readonly scope: Scope;
    readonly method: Method;
    readonly url: () => string;
    readonly payload?: () => object;
    readonly status: number;
  }

  // Each family's calls, in the order their allowed calls run (suspend, then reinstate).
  const routes: RouteCall[] = [
    {
      name: 'POST /achievements',
      scope: 'catalogue',
      method: 'POST',
      url: () => '/achievements',
      payload: () => definition(),
      status: 201,
    },
    {
      name: 'POST /credentials',
      scope: 'issue',
      method: 'POST',
      url: () => '/credentials',
      payload: () => issueRequest(achievementId),
      status: 201,
    },
    {
      name: 'POST /credentials/{id}/status',
      scope: 'revoke',
      method: 'POST',
      url: () => `/credentials/${credentialId}/status`,
      payload: () => ({ action: 'suspend', reason: 'Under review after a complaint' }),
      status: 200,
    },
    {
      name: 'POST /credentials/status',
      scope: 'revoke',
      method: 'POST',
      url: () => '/credentials/status',
      payload: () => ({
        credentialId: credentialUrl,
        credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'suspension' },
        status: false,
      }),
      status: 200,
    },
    { name: 'GET /credentials/{id}/status', scope: 'revoke', method: 'GET', url: () => `/credentials/${credentialId}/status`, status: 200 },
    { name: 'GET /api-keys', scope: 'admin', method: 'GET', url: () => '/api-keys', status: 200 },
    {
      name: 'POST /api-keys',
      scope: 'admin',
      method: 'POST',
      url: () => '/api-keys',
      payload: () => ({ name: 'Reporting job', scopes: ['revoke'] }),
      status: 201,
    },
    { name: 'GET /audit-events', scope: 'admin', method: 'GET', url: () => '/audit-events', status: 200 },
    {
      name: 'POST /recipients/erase',
      scope: 'admin',
      method: 'POST',
      url: () => '/recipients/erase',
      payload: () => ({ identity: 'erase.me@district.example' }),
      status: 200,
    },
  ];
  const scopes: Scope[] = ['issue', 'revoke', 'catalogue', 'admin'];
  const refusals = routes.flatMap((route) => scopes.filter((s) => s !== route.scope).map((keyScope) => ({ ...route, keyScope })));
  let achievementId: string;

  const call = (route: RouteCall, key: CreatedKey) =>
    t.app.inject({
      method: route.method,
      url: route.url(),
      headers: bearer(key.apiKey),
      ...(route.payload ? { payload: route.payload() } : {}),
    });

  beforeAll(async () => {
    t = await createTestApp();
    issuer = await createIssuer(t.app.services);
    achievementId = (await createAchievement(t.app, issuer)).id;
    const issue = async (identity: string) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: issuer.auth,
        payload: issueRequest(achievementId, { recipient: { identity } }),
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    credentialUrl = await issue('teacher.one@district.example');
    credentialId = credentialUrl.split('/').pop()!;
    await issue('erase.me@district.example');
    for (const scope of scopes) keys[scope] = await createKey(t, issuer, { name: `only ${scope}`, scopes: [scope] });
  });
  afterAll(() => t.close());

  it('creates keys holding exactly the requested scopes', async () => {
    for (const scope of scopes) expect(keys[scope]).toMatchObject({ name: `only ${scope}`, scopes: [scope], expiresAt: null });
    const listed = (await t.app.inject({ method: 'GET', url: '/api-keys', headers: issuer.auth })).json() as Json[];
    expect(listed.find((k) => k.name === 'initial')?.scopes).toEqual(scopes);
    for (const scope of scopes) expect(listed.find((k) => k.id === keys[scope].id)?.scopes).toEqual([scope]);
  });

  it.each(refusals)('refuses $name to a key with only $keyScope (403 naming the $scope scope) and writes nothing', async (route) => {
    const before = await writes(t);
    const res = await call(route, keys[route.keyScope]);
    const body = expectProblem(res, 403);
    expect(body.detail).toContain(`lacks the "${route.scope}" scope`);
    expect(await writes(t)).toBe(before);
    denials.push({ actor: `apikey:${keys[route.keyScope].id}`, scope: route.scope, method: route.method, url: route.url() });
  });

  it('records every refusal in the audit trail as access.denied with the missing scope', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/audit-events?action=access.denied&limit=500', headers: issuer.auth });
    expect(res.statusCode, res.body).toBe(200);
    const events = res.json().items as Json[];
    expect(denials).toHaveLength(refusals.length);
    expect(events).toHaveLength(denials.length);
    for (const event of events) {
      expect(event).toMatchObject({ action: 'access.denied', outcome: 'denied', detail: { missingScope: expect.any(String) } });
      expect(Date.parse(event.at)).not.toBeNaN();
    }
    const summary = (e: { actor: string; scope: string; method: string }) => `${e.actor} ${e.method} ${e.scope}`;
    expect(
      events.map((e) => summary({ actor: e.actor, method: String(e.target).split(' ')[0]!, scope: e.detail.missingScope })).sort(),
    ).toEqual(denials.map(summary).sort());
    // The target names the route (its pattern), never a credential or a recipient.
    for (const event of events) expect(event.target).toMatch(/^(GET|POST) \/(achievements|credentials|api-keys|audit-events|recipients)/);
  });

  it.each(routes)('lets a key with only $scope call $name', async (route) => {
    const res = await call(route, keys[route.scope]);
    expect(res.statusCode, res.body).toBe(route.status);
  });

  it('answers a missing or unknown key with 401, not 403, and audits nothing for it', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/audit-events?limit=500', headers: issuer.auth })).json().items.length;
    expectProblem(await t.app.inject({ method: 'POST', url: '/achievements', payload: definition() }), 401);
    const unknown = bearer(`mck_${'0'.repeat(32)}_${'A'.repeat(43)}`);
    expectProblem(await t.app.inject({ method: 'POST', url: '/achievements', headers: unknown, payload: definition() }), 401);
    const after = (await t.app.inject({ method: 'GET', url: '/audit-events?limit=500', headers: issuer.auth })).json().items.length;
    expect(after).toBe(before);
  });
});

describe(`API keys (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let now = Date.parse('2026-11-02T09:00:00Z');
  const advance = (seconds: number) => {
    now += seconds * 1000;
  };

  beforeAll(async () => {
    t = await createTestApp({ clock: () => new Date(now) });
    issuer = await createIssuer(t.app.services);
  });
  afterAll(() => t.close());

  const listKeys = async (auth = issuer.auth): Promise<Json[]> => {
    const res = await t.app.inject({ method: 'GET', url: '/api-keys', headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  /** Status of an authenticated call that any admin key may make. */
  const probe = async (key: { apiKey: string }) =>
    (await t.app.inject({ method: 'GET', url: '/audit-events?limit=1', headers: bearer(key.apiKey) })).statusCode;
  const rotate = (id: string, payload: Json = {}, auth = issuer.auth) =>
    t.app.inject({ method: 'POST', url: `/api-keys/${id}/rotate`, headers: auth, payload });
  const revoke = (id: string, auth = issuer.auth) => t.app.inject({ method: 'DELETE', url: `/api-keys/${id}`, headers: auth });

  it('shows the secret only in the 201 response and stores only its SHA-256', async () => {
    const key = await createKey(t, issuer, { name: 'Portfolio platform production', scopes: ['issue', 'revoke'] });
    expect(key.apiKey).toMatch(new RegExp(`^mck_${key.id}_[A-Za-z0-9_-]{43}$`));
    const secret = key.apiKey.split('_').slice(2).join('_');

    const listed = await t.app.inject({ method: 'GET', url: '/api-keys', headers: issuer.auth });
    expect(listed.body).not.toContain(secret);
    expect(listed.body).not.toContain(key.apiKey);
    const info = (listed.json() as Json[]).find((k) => k.id === key.id);
    expect(Object.keys(info!).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'revokedAt', 'scopes']);

    const row = await t.database.db.selectFrom('api_keys').selectAll().where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(row.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.secret_hash).toBe(crypto.createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret);
  });

  it('sets lastUsedAt when a key is used', async () => {
    const key = await createKey(t, issuer, { name: 'Nightly audit export', scopes: ['admin'] });
    expect((await listKeys()).find((k) => k.id === key.id)?.lastUsedAt).toBeNull();
    expect(await probe(key)).toBe(200);
    expect((await listKeys()).find((k) => k.id === key.id)?.lastUsedAt).toBe(new Date(now).toISOString());
  });

  it("confines keys to their issuer: another issuer's admin key cannot list, rotate or revoke them (404)", async () => {
    const key = await createKey(t, issuer, { name: 'District A platform', scopes: ['admin'] });
    const other = await createIssuer(t.app.services, { name: 'District B' });
    const othersView = await listKeys(other.auth);
    expect(othersView).toHaveLength(1);
    expect(othersView.map((k) => k.id)).not.toContain(key.id);
    expect(JSON.stringify(othersView)).not.toContain('District A platform');

    const before = await writes(t);
    expect(expectProblem(await rotate(key.id, {}, other.auth), 404).detail).toContain(key.id);
    expectProblem(await rotate(key.id, { graceSeconds: 60 }, other.auth), 404);
    expectProblem(await revoke(key.id, other.auth), 404);
    expect(await writes(t)).toBe(before);
    expect(await probe(key)).toBe(200);
  });

  it('refuses a key past its expiresAt (401) and an expiresAt in the past (400)', async () => {
    const expiresAt = new Date(now + 5_000).toISOString();
    const key = await createKey(t, issuer, { name: 'Pilot, five seconds', scopes: ['admin'], expiresAt });
    expect(key.expiresAt).toBe(expiresAt);
    expect(await probe(key)).toBe(200);
    advance(4);
    expect(await probe(key)).toBe(200);
    advance(2);
    const res = await t.app.inject({ method: 'GET', url: '/audit-events', headers: bearer(key.apiKey) });
    expect(expectProblem(res, 401).detail).toMatch(/expired/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);

    const past = await t.app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: issuer.auth,
      payload: { name: 'Already expired', scopes: ['admin'], expiresAt: new Date(now - 1000).toISOString() },
    });
    expectProblem(past, 400);
  });

  it('refuses an expired key inserted through the service', async () => {
    const key = await t.app.services.issuers.createApiKey(issuer.issuerId, {
      name: 'Short-lived',
      scopes: ['admin'],
      expiresAt: new Date(now + 1000),
    });
    advance(1);
    expect(await probe(key)).toBe(401);
  });

  it('rotates without grace: the old key stops at once, the new one has the same name and scopes', async () => {
    const old = await createKey(t, issuer, { name: 'Portfolio platform', scopes: ['catalogue', 'admin'] });
    const res = await rotate(old.id);
    expect(res.statusCode, res.body).toBe(201);
    const fresh = res.json() as CreatedKey;
    expect(fresh).toMatchObject({ name: 'Portfolio platform', scopes: ['catalogue', 'admin'], expiresAt: null });
    expect(fresh.id).not.toBe(old.id);
    expect(fresh.apiKey).not.toBe(old.apiKey);

    expect(await probe(old)).toBe(401);
    expect(await probe(fresh)).toBe(200);
    const created = await t.app.inject({ method: 'POST', url: '/achievements', headers: bearer(fresh.apiKey), payload: definition() });
    expect(created.statusCode, created.body).toBe(201);
    const refused = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: bearer(fresh.apiKey),
      payload: issueRequest(created.json().id),
    });
    expect(expectProblem(refused, 403).detail).toContain('lacks the "issue" scope');

    const listed = await listKeys();
    expect(listed.find((k) => k.id === fresh.id)).toMatchObject({
      name: 'Portfolio platform',
      scopes: ['catalogue', 'admin'],
      revokedAt: null,
    });
    expect(listed.find((k) => k.id === old.id)?.revokedAt).toBe(new Date(now).toISOString());
    expectProblem(await rotate(old.id), 409);
  });

  it('rotates with graceSeconds: the old key keeps working until the grace period ends', async () => {
    const old = await createKey(t, issuer, { name: 'LMS integration', scopes: ['admin'] });
    const res = await rotate(old.id, { graceSeconds: 60 });
    expect(res.statusCode, res.body).toBe(201);
    const fresh = res.json() as CreatedKey;
    expect(fresh).toMatchObject({ name: 'LMS integration', scopes: ['admin'] });

    expect(await probe(old)).toBe(200);
    advance(59);
    expect(await probe(old)).toBe(200);
    expect(await probe(fresh)).toBe(200);
    advance(2);
    expect(await probe(old)).toBe(401);
    expect(await probe(fresh)).toBe(200);
    expectProblem(await rotate(old.id, { graceSeconds: 60 }), 409);
  });

  it('does not let a grace period outlive the expiry the old key already had', async () => {
    const old = await createKey(t, issuer, { name: 'Expiring pilot', scopes: ['admin'], expiresAt: new Date(now + 30_000).toISOString() });
    const res = await rotate(old.id, { graceSeconds: 3600 });
    expect(res.statusCode, res.body).toBe(201);
    advance(31);
    expect(await probe(old)).toBe(401);
  });

  it('revokes a key (204): it then gets 401, and revoking it again is a 409', async () => {
    const key = await createKey(t, issuer, { name: 'Retired integration', scopes: ['admin'] });
    expect(await probe(key)).toBe(200);
    const res = await revoke(key.id);
    expect(res.statusCode, res.body).toBe(204);
    expect(res.body).toBe('');
    expect(await probe(key)).toBe(401);
    expect((await listKeys()).find((k) => k.id === key.id)?.revokedAt).toBe(new Date(now).toISOString());
    expectProblem(await revoke(key.id), 409);
    expectProblem(await rotate(key.id), 409);
  });

  it('answers 404 for an unknown key id and 400 for a malformed one', async () => {
    expectProblem(await revoke('f'.repeat(32)), 404);
    expectProblem(await rotate('f'.repeat(32)), 404);
    expectProblem(await revoke('not-a-key-id'), 400);
  });
});
