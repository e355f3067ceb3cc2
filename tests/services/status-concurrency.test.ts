/**
 * Status index allocation under contention: 16 parallel clients, two app instances, one database. Every
 * credential must get its own (list, index), every claimed index must belong to a committed credential, lists
 * must be numbered without gaps or duplicates, and new lists must start as old ones fill.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backends, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';

const TOTAL = 2000;
const CLIENTS = 16;
const CAPACITY = 700; // small, so lists fill and new ones start during the burst
// Each instance counts a list on every ceil(capacity/64)-th claim it makes there. Past capacity, a list takes at most
// one such interval per instance, plus the claims in flight (uncommitted, so not yet counted) when it is counted and
// when it is marked full: one per client each time.
const OVERSHOOT = 2 * Math.ceil(CAPACITY / 64) + 2 * CLIENTS;

describe.each(backends)('status index allocation across two instances (%s)', (backend) => {
  let database: TestDatabase;
  let second: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  let issuers: Issuer[];
  let achievements: string[];

  beforeAll(async () => {
    database = await createTestDatabase(backend);
    // PostgreSQL: a second pool, as a second process would have. PGlite: one process, so the handle is shared.
    second =
      backend === 'postgres'
        ? { ...(await connect({ databaseUrl: database.url, dataDir: 'unused', poolSize: 20 })), url: database.url }
        : database;
    a = await createTestApp({ database, statusListCapacity: CAPACITY });
    b = await createTestApp({ database: second, statusListCapacity: CAPACITY });
    issuers = [await createIssuer(a.app.services, { name: 'District A' }), await createIssuer(b.app.services, { name: 'District B' })];
    achievements = [(await createAchievement(a.app, issuers[0]!)).id, (await createAchievement(b.app, issuers[1]!)).id];
  }, 120_000);

  afterAll(async () => {
    await a?.close();
    await b?.close();
    if (second !== database) await second?.close();
    await database?.close();
  });

  it(`gives ${TOTAL} concurrently issued credentials distinct indexes and loses none`, async () => {
    let next = 0;
    const statuses: number[] = [];
    const entries: Array<{ issuer: number; list: string; index: string }> = [];
    const client = async (c: number) => {
      for (;;) {
        const n = next++;
        if (n >= TOTAL) return;
        const app = (n + c) % 2 === 0 ? a.app : b.app; // both instances, both issuers, interleaved
        const who = n % 4 === 0 ? 1 : 0; // mostly one issuer, so its lists fill; the other keeps issuing alongside
        const res = await app.inject({
          method: 'POST',
          url: '/credentials',
          headers: issuers[who]!.auth,
          payload: issueRequest(achievements[who]!),
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 201) {
          const status = res.json().credentialStatus;
          entries.push({ issuer: who, list: status.statusListCredential, index: status.statusListIndex });
        }
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));

    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    expect(entries).toHaveLength(TOTAL);
    expect(new Set(entries.map((e) => `${e.list}#${e.index}`)).size).toBe(TOTAL);

    const db = database.db;
    const rows = await sql<{ n: number; distinct_slots: number; credentials: number }>`
      select count(*)::int as n, count(distinct (list_id, idx))::int as distinct_slots, count(distinct credential_id)::int as credentials
      from status_entries`.execute(db);
    expect(rows.rows[0]).toEqual({ n: TOTAL, distinct_slots: TOTAL, credentials: TOTAL });
    const orphans = await sql<{ n: number }>`
      select count(*)::int as n from status_entries e left join credentials c on c.id = e.credential_id where c.id is null`.execute(db);
    expect(orphans.rows[0]!.n).toBe(0);

    // Every credential's embedded entry is the row it claimed.
    const mismatches = await sql<{ n: number }>`
      select count(*)::int as n from credentials c join status_entries e on e.credential_id = c.id
      where (c.signed_json::json -> 'credentialStatus' ->> 'statusListIndex')::int <> e.idx
         or c.signed_json::json -> 'credentialStatus' ->> 'statusListCredential' not like '%' || e.list_id`.execute(db);
    expect(mismatches.rows[0]!.n).toBe(0);

    // Lists: numbered 1..k per issuer without gaps, never shared between issuers, filled to about their capacity.
    const lists = await db
      .selectFrom('status_lists as l')
      .leftJoin('status_entries as e', 'e.list_id', 'l.id')
      .select(['l.issuer_id', 'l.seq', 'l.id', (eb) => eb.fn.count<string>('e.idx').as('entries')])
      .groupBy(['l.issuer_id', 'l.seq', 'l.id'])
      .orderBy('l.issuer_id')
      .orderBy('l.seq')
      .execute();
    for (const issuer of issuers) {
      const own = lists.filter((l) => l.issuer_id === issuer.issuerId);
      expect(own.map((l) => l.seq)).toEqual(own.map((_, i) => i + 1));
      for (const list of own) expect(Number(list.entries)).toBeLessThanOrEqual(CAPACITY + OVERSHOOT);
    }
    const busiest = lists.filter((l) => l.issuer_id === issuers[0]!.issuerId);
    expect(busiest.length).toBeGreaterThanOrEqual(2);
    const perIssuerEntries = entries.reduce<Record<number, Set<string>>>((acc, e) => ((acc[e.issuer] ??= new Set()).add(e.list), acc), {});
    const shared = [...perIssuerEntries[0]!].filter((list) => perIssuerEntries[1]!.has(list));
    expect(shared).toEqual([]);
  }, 600_000);
});
