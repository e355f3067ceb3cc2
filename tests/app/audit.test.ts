/**
 * The audit trail (src/services/audit.ts, GET /audit-events, migrations/0003_security.ts) and erasure on request
 * (src/services/privacy.ts, POST /recipients/erase): one event per change with actor, action, target, outcome and
 * time; issuer-scoped, paginated, append-only, free of personal data; erased recipients' credentials still verify.
 */
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';

type Json = Record<string, any>;

const keyIdOf = (issuer: Issuer) => issuer.apiKey.split('_')[1]!;
const PERSONAL = ['teacher.one@district.example', 'teacher.two@district.example', 'someone.else@district.example', 'jordan rivera'];

async function auditEvents(t: TestApp, issuer: Issuer, query = 'limit=500'): Promise<Json[]> {
  const res = await t.app.inject({ method: 'GET', url: `/audit-events?${query}`, headers: issuer.auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items;
}

function expectNoPersonalData(text: string) {
  for (const value of PERSONAL) expect(text.toLowerCase()).not.toContain(value);
}

describe(`GET /audit-events (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let other: Issuer;
  let achievementId: string;
  let actor: string;
  let issued = 0;

  beforeAll(async () => {
    t = await createTestApp();
    issuer = await createIssuer(t.app.services);
    other = await createIssuer(t.app.services, { name: 'District B' });
    actor = `apikey:${keyIdOf(issuer)}`;
    achievementId = (await createAchievement(t.app, issuer)).id;
  });
  afterAll(() => t.close());

  const issue = async (identity = 'Teacher.One@District.example'): Promise<Json> => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: issuer.auth,
      payload: issueRequest(achievementId, { recipient: { identity, name: 'Jordan Rivera' } }),
    });
    expect(res.statusCode, res.body).toBe(201);
    issued++;
    return res.json();
  };
  const inject = async (method: 'POST' | 'DELETE', url: string, payload?: Json): Promise<LightMyRequestResponse> => {
    const res = await t.app.inject({ method, url, headers: issuer.auth, ...(payload ? { payload } : {}) });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res;
  };
  /** Runs `change` and returns the events it added (newest first). */
  const eventsAddedBy = async (change: () => Promise<unknown>): Promise<Json[]> => {
    const before = new Set((await auditEvents(t, issuer)).map((e) => e.id));
    await change();
    return (await auditEvents(t, issuer)).filter((e) => !before.has(e.id));
  };
  const expectOneEvent = (events: Json[], action: string, target: string, detail: Json | null) => {
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      actor,
      action,
      target,
      outcome: 'success',
      detail,
      at: expect.any(String),
    });
    expect(Math.abs(Date.parse(events[0]!.at) - Date.now())).toBeLessThan(60_000);
  };

  it('records creating an achievement', async () => {
    let url = '';
    const events = await eventsAddedBy(async () => (url = (await createAchievement(t.app, issuer)).url));
    expectOneEvent(events, 'achievement.create', url, { version: 1 });
  });

  it('records issuing a credential, naming the credential but not the recipient', async () => {
    let credential: Json = {};
    const events = await eventsAddedBy(async () => (credential = await issue()));
    expectOneEvent(events, 'credential.issue', credential.id, { achievementId, achievementVersion: 1, proofType: 'eddsa-rdfc-2022' });
    expectNoPersonalData(JSON.stringify(events));
  });

  it.each([
    ['revoking', 'revoke', { from: 'active', to: 'revoked' }],
    ['suspending', 'suspend', { from: 'active', to: 'suspended' }],
  ])('records %s a credential', async (_name, action, detail) => {
    const credential = await issue();
    const events = await eventsAddedBy(() =>
      inject('POST', `/credentials/${credential.id.split('/').pop()}/status`, { action, reason: 'Assessor withdrew the approval' }),
    );
    expectOneEvent(events, `credential.${action}`, credential.id, detail);
  });

  it('records creating, rotating and revoking an API key', async () => {
    let created: Json = {};
    const creation = await eventsAddedBy(
      async () => (created = (await inject('POST', '/api-keys', { name: 'Portfolio platform', scopes: ['issue'] })).json()),
    );
    expectOneEvent(creation, 'apikey.create', created.id, { scopes: ['issue'] });

    let rotated: Json = {};
    const rotation = await eventsAddedBy(
      async () => (rotated = (await inject('POST', `/api-keys/${created.id}/rotate`, { graceSeconds: 300 })).json()),
    );
    expectOneEvent(rotation, 'apikey.rotate', created.id, { replacedBy: rotated.id, graceSeconds: 300 });

    const revocation = await eventsAddedBy(() => inject('DELETE', `/api-keys/${rotated.id}`));
    expectOneEvent(revocation, 'apikey.revoke', rotated.id, null);
  });

  it("lists only the caller's issuer's events", async () => {
    const othersAchievement = await createAchievement(t.app, other);
    const mine = await auditEvents(t, issuer);
    const theirs = await auditEvents(t, other);
    expect(mine.length).toBeGreaterThan(5);
    expect(theirs.map((e) => [e.actor, e.action, e.target])).toEqual([
      [`apikey:${keyIdOf(other)}`, 'achievement.create', othersAchievement.url],
    ]);
    expect(mine.map((e) => e.target)).not.toContain(othersAchievement.url);
    expect(new Set(mine.map((e) => e.actor)).has(`apikey:${keyIdOf(other)}`)).toBe(false);
    expect(theirs.filter((e) => mine.some((m) => m.id === e.id))).toEqual([]);
  });

  it('walks every event, newest first, with limit and nextCursor', async () => {
    const all = await auditEvents(t, issuer);
    const walked: Json[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: LightMyRequestResponse = await t.app.inject({
        method: 'GET',
        url: `/audit-events?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
        headers: issuer.auth,
      });
      expect(res.statusCode, res.body).toBe(200);
      const page: { items: Json[]; nextCursor: string | null } = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      walked.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(walked).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 2));
    const ids = walked.map((e) => BigInt(e.id));
    expect(ids.every((id, i) => i === 0 || id < ids[i - 1]!)).toBe(true);
  });

  it('filters by action', async () => {
    const events = await auditEvents(t, issuer, 'action=credential.issue');
    expect(events).toHaveLength(issued);
    expect(events.every((e) => e.action === 'credential.issue' && e.actor === actor)).toBe(true);
    expect(await auditEvents(t, issuer, 'action=no.such.action')).toEqual([]);
  });

  it('refuses a cursor it did not issue (400)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/audit-events?cursor=abc', headers: issuer.auth });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it.each([
    ['update', sql`update audit_events set outcome = 'failed'`],
    ['delete', sql`delete from audit_events`],
    ['truncate', sql`truncate audit_events`],
  ])('refuses %s on audit_events at the database', async (_name, statement) => {
    const count = async () => (await sql<{ n: number }>`select count(*)::int as n from audit_events`.execute(t.database.db)).rows[0]!.n;
    const before = await count();
    expect(before).toBeGreaterThan(0);
    await expect(statement.execute(t.database.db)).rejects.toThrow(/append-only/);
    expect(await count()).toBe(before);
    expect(await auditEvents(t, issuer, 'action=credential.issue')).toHaveLength(issued);
  });

  it("never stores a recipient's email or name in an event", async () => {
    await issue('Someone.Else@District.example');
    const { rows } = await sql<Json>`select actor, action, target, detail from audit_events`.execute(t.database.db);
    expect(rows.length).toBeGreaterThan(10);
    expectNoPersonalData(JSON.stringify(rows));
    expectNoPersonalData(JSON.stringify(await auditEvents(t, issuer)));
  });
});

describe(`POST /recipients/erase (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let other: Issuer;
  let achievementId: string;
  const credentials: Record<'first' | 'second' | 'someoneElse' | 'othersIssuer', Json> = {} as never;

  beforeAll(async () => {
    t = await createTestApp();
    issuer = await createIssuer(t.app.services);
    other = await createIssuer(t.app.services, { name: 'District B' });
    achievementId = (await createAchievement(t.app, issuer)).id;
    const othersAchievementId = (await createAchievement(t.app, other)).id;
    const issue = async (by: Issuer, achievement: string, identity: string) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: by.auth,
        payload: issueRequest(achievement, { recipient: { identity, name: 'Jordan Rivera' } }),
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json();
    };
    credentials.first = await issue(issuer, achievementId, 'Teacher.Two@District.example');
    credentials.second = await issue(issuer, achievementId, 'teacher.two@district.example');
    credentials.someoneElse = await issue(issuer, achievementId, 'someone.else@district.example');
    credentials.othersIssuer = await issue(other, othersAchievementId, 'teacher.two@district.example');
  });
  afterAll(() => t.close());

  const rowOf = (credential: Json) =>
    t.database.db
      .selectFrom('credentials')
      .select(['recipient_lookup_hash', 'recipient_erased_at', 'signed_json'])
      .where('credential_url', '=', credential.id)
      .executeTakeFirstOrThrow();
  const verify = (credential: Json) =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: credential } });

  it("erases the lookup hash of this issuer's credentials for that email, whatever its case", async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/recipients/erase',
      headers: issuer.auth,
      payload: { identity: '  TEACHER.two@District.EXAMPLE' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ erased: 2 });

    for (const credential of [credentials.first, credentials.second]) {
      const row = await rowOf(credential);
      expect(row.recipient_lookup_hash).toBeNull();
      expect(row.recipient_erased_at).toBeInstanceOf(Date);
      expect(row.signed_json).toBe(JSON.stringify(credential));
    }
    for (const credential of [credentials.someoneElse, credentials.othersIssuer]) {
      const row = await rowOf(credential);
      expect(row.recipient_lookup_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.recipient_erased_at).toBeNull();
    }
  });

  it('finds nothing left to erase the second time', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/recipients/erase',
      headers: issuer.auth,
      payload: { identity: 'teacher.two@district.example' },
    });
    expect(res.json()).toEqual({ erased: 0 });
  });

  it('leaves erased credentials verifying and revocable', async () => {
    for (const credential of [credentials.first, credentials.second]) {
      const res = await verify(credential);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().verified).toBe(true);
    }
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/credentials/${credentials.first!.id.split('/').pop()}/status`,
      headers: issuer.auth,
      payload: { action: 'revoke', reason: 'Approval withdrawn after erasure' },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const res = await verify(credentials.first!);
    expect(res.statusCode).toBe(422);
    expect(res.json().verified).toBe(false);
    expect(res.json().checks.find((c: Json) => c.check === 'status')).toMatchObject({
      outcome: 'fail',
      message: expect.stringMatching(/^Revoked/),
    });
    expect((await verify(credentials.second!)).statusCode).toBe(200);
  });

  it('records how many credentials were erased, but not whose', async () => {
    const events = await auditEvents(t, issuer, 'action=recipient.erase');
    expect(events.map((e) => [e.actor, e.outcome, e.detail])).toEqual([
      [`apikey:${keyIdOf(issuer)}`, 'success', { credentials: 0 }],
      [`apikey:${keyIdOf(issuer)}`, 'success', { credentials: 2 }],
    ]);
    expectNoPersonalData(JSON.stringify(events));
    const { rows } = await sql<Json>`select target, detail from audit_events where action = 'recipient.erase'`.execute(t.database.db);
    expectNoPersonalData(JSON.stringify(rows));
  });
});
