/**
 * A batch survives its process: the real server (tests/helpers/server-process.ts) is killed with SIGKILL while it
 * issues a batch of 400, and a new process on the same database (DATA_DIR or PostgreSQL) finishes it. The chunks
 * the dead process held stay `active` until they expire (BATCH_JOB_TIMEOUT_SECONDS=3) and are then redone; items
 * already issued are replayed under their Idempotency-Keys, not issued again. Afterwards: every item issued, exactly
 * 400 credentials for the batch's achievement, one per item and educator, each with its own status list index.
 */
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { backends } from '../helpers/database.js';
import {
  demoAuth,
  exampleIssueRequests,
  request,
  sleep,
  stopServer,
  waitReady,
  type Outcome,
  type ServerProcess,
} from '../helpers/server-process.js';
import { deployment } from '../helpers/deployment.js';

const ITEMS = 400;
const TIMEOUT_SECONDS = 3;

type Json = Record<string, any>;

const running = new Set<ServerProcess>();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const server of running) await stopServer(server, 'SIGKILL');
  running.clear();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const describeOutcome = (o: Outcome) => (o.kind === 'response' ? `${o.status} ${o.body.slice(0, 300)}` : `${o.code} after ${o.ms} ms`);

async function getJson(server: ServerProcess, url: string, auth: Record<string, string>): Promise<Json> {
  const res = await request(server.baseUrl, 'GET', url, undefined, auth, 120_000);
  if (res.kind !== 'response' || res.status !== 200) throw new Error(`GET ${url}: ${describeOutcome(res)}\n${server.output()}`);
  return JSON.parse(res.body) as Json;
}

async function chunkStates(db: Kysely<Database>, batchId: string): Promise<Record<string, number>> {
  const rows = (
    await sql<{ state: string; n: string }>`
      select state, count(*) as n from pgboss.job where name = 'batch-chunk' and data->>'batchId' = ${batchId} group by state`.execute(db)
  ).rows;
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

describe.each(backends)('a batch across kill -9 (%s)', (backend) => {
  it(
    'finishes after a new process takes over: every item issued once, 400 credentials, unique status indexes',
    { timeout: 180_000 },
    async ({ annotate }) => {
      const started = Date.now();
      const env = await deployment(backend, {
        prefix: 'mc-batch-crash-',
        env: { BATCH_JOB_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS), BATCH_WORKERS: '2' },
      });
      cleanups.push(env.cleanup);
      let server = env.start();
      running.add(server);
      await waitReady(server, 60_000);
      const auth = demoAuth(env.dataDir);
      const bodyFor = await exampleIssueRequests(server.baseUrl, auth);
      const keys = Array.from({ length: ITEMS }, (_, i) => `crash-${i}-${crypto.randomBytes(4).toString('hex')}`);
      const items = keys.map((idempotencyKey, i) => ({ idempotencyKey, request: bodyFor(i) }));
      const achievementId = (items[0]!.request as { achievement: { id: string } }).achievement.id;

      const accepted = await request(server.baseUrl, 'POST', '/batches', { items }, auth, 60_000);
      expect(accepted.kind === 'response' && accepted.status, describeOutcome(accepted)).toBe(202);
      const batch = JSON.parse((accepted as { body: string }).body) as Json;
      const progressPath = new URL(batch.url as string).pathname;

      // Kill once some, not all, are issued: the workers are mid-chunk (8 items in flight per chunk); the progress
      // shows when. (A progress read that times out on a very busy machine also means the work has started: kill 3 s
      // into it.) A kill that lands before anything was issued is followed by another round.
      let atKill: { issued: number; pending: number; chunks: Record<string, number> } | undefined;
      const rounds: string[] = [];
      while (atKill === undefined || atKill.issued === 0) {
        if (rounds.length === 3) throw new Error(`no kill landed mid-batch: ${rounds.join('; ')}`);
        const since = Date.now();
        let busySince: number | undefined;
        for (;;) {
          if (Date.now() - since > 90_000) throw new Error(`no progress within 90 s\n${server.output()}`);
          const res = await request(server.baseUrl, 'GET', progressPath, undefined, auth, 1000);
          if (res.kind === 'response') {
            expect(res.status, describeOutcome(res)).toBe(200);
            busySince = undefined;
            if ((JSON.parse(res.body) as Json).issued >= 40) break;
          } else {
            busySince ??= Date.now() - res.ms;
            if (Date.now() - busySince >= 3000) break;
          }
          await sleep(50);
        }
        const exit = await stopServer(server, 'SIGKILL');
        running.delete(server);
        expect(exit.signal, server.output()).toBe('SIGKILL');
        // What the dead process left: some items issued, the rest pending, chunks it held still active.
        const handle = await env.open();
        try {
          const counts = await handle.db
            .selectFrom('batch_items')
            .select(['state', (eb) => eb.fn.countAll<string>().as('n')])
            .where('batch_id', '=', batch.id)
            .groupBy('state')
            .execute();
          const count = (state: string) => Number(counts.find((c) => c.state === state)?.n ?? 0);
          atKill = { issued: count('issued'), pending: count('pending'), chunks: await chunkStates(handle.db, batch.id) };
        } finally {
          await env.release(handle);
        }
        rounds.push(`killed at ${atKill.issued}/${ITEMS} issued, chunks ${JSON.stringify(atKill.chunks)}`);
        if (atKill.issued === 0) {
          server = env.start();
          running.add(server);
          await waitReady(server, 60_000);
        }
      }
      // Work left unfinished: usually a chunk the dead process held (`active` until it expires), or one already up
      // for a retry, besides chunks not started yet.
      expect(atKill!.pending, rounds.join('; ')).toBeGreaterThan(0);
      expect(
        Object.keys(atKill!.chunks).some((state) => state !== 'completed'),
        rounds.join('; '),
      ).toBe(true);

      // A new process on the same database takes over once the dead process's chunks expire.
      const restarted = Date.now();
      server = env.start();
      running.add(server);
      await waitReady(server, 60_000);
      const finishBy = Date.now() + 90_000;
      // Reads may wait while the embedded database works the batch (they are answered when it is done).
      let done = await getJson(server, progressPath, auth);
      while (done.state !== 'completed') {
        if (Date.now() > finishBy) throw new Error(`the batch did not complete within 90 s of the restart: ${JSON.stringify(done)}`);
        await sleep(250);
        done = await getJson(server, progressPath, auth);
      }
      const recoveredMs = Date.now() - restarted;
      expect(done).toMatchObject({ id: batch.id, state: 'completed', total: ITEMS, issued: ITEMS, failed: 0, pending: 0 });

      // Every item issued, each with its own credential, which the new process serves.
      const page = await getJson(server, `${new URL(batch.itemsUrl as string).pathname}?limit=1000`, auth);
      const results = page.items as Json[];
      expect(page.next).toBeNull();
      expect(results.map((r) => r.seq)).toEqual(keys.map((_, i) => i));
      expect(results.filter((r) => r.state !== 'issued')).toEqual([]);
      const urls = results.map((r) => r.credentialUrl as string);
      expect(new Set(urls).size).toBe(ITEMS);
      for (const url of [urls[0]!, urls[ITEMS - 1]!, urls[crypto.randomInt(ITEMS)]!]) {
        const res = await request(server.baseUrl, 'GET', new URL(url).pathname, undefined, { accept: 'application/json' });
        expect(res.kind === 'response' && res.status, describeOutcome(res)).toBe(200);
        expect(JSON.parse((res as { body: string }).body).id).toBe(url);
      }
      const replayed = results.filter((r) => r.replayed === true).length;

      expect((await stopServer(server, 'SIGTERM')).code, server.output()).toBe(0);
      running.delete(server);
      const handle = await env.open();
      try {
        const rows = await handle.db
          .selectFrom('credentials')
          .select(['id', 'credential_url', 'idempotency_key', 'recipient_lookup_hash'])
          .where('achievement_id', '=', achievementId)
          .execute();
        expect(rows).toHaveLength(ITEMS);
        expect(new Set(rows.map((r) => r.recipient_lookup_hash)).size).toBe(ITEMS); // no educator twice
        expect(new Set(rows.map((r) => r.idempotency_key))).toEqual(new Set(keys));
        const urlOfKey = new Map(rows.map((r) => [r.idempotency_key, r.credential_url]));
        results.forEach((r, i) => expect(r.credentialUrl, keys[i]).toBe(urlOfKey.get(keys[i]!)));

        const itemRows = await handle.db
          .selectFrom('batch_items')
          .select(['seq', 'credential_id'])
          .where('batch_id', '=', batch.id)
          .execute();
        expect(new Set(itemRows.map((r) => r.credential_id)).size).toBe(ITEMS);
        expect(new Set(itemRows.map((r) => r.credential_id))).toEqual(new Set(rows.map((r) => r.id)));

        const entries = await handle.db
          .selectFrom('status_entries')
          .select(['list_id', 'idx', 'credential_id'])
          .where(
            'credential_id',
            'in',
            rows.map((r) => r.id),
          )
          .execute();
        expect(entries).toHaveLength(ITEMS);
        expect(new Set(entries.map((e) => e.credential_id)).size).toBe(ITEMS);
        const all = await handle.db.selectFrom('status_entries').select(['list_id', 'idx']).execute();
        expect(new Set(all.map((e) => `${e.list_id}#${e.idx}`)).size).toBe(all.length);

        // The batch completed once, and no chunk ran out of retries. (A chunk that outlived its 3 s timeout while its
        // worker still ran may have a redundant retry still to come: it will find nothing pending.)
        const completions = await handle.db
          .selectFrom('audit_events')
          .select('id')
          .where('action', '=', 'batch.complete')
          .where('target', '=', batch.url as string)
          .execute();
        expect(completions).toHaveLength(1);
        const chunks = await chunkStates(handle.db, batch.id);
        expect(chunks.failed ?? 0, JSON.stringify(chunks)).toBe(0);
      } finally {
        await env.release(handle);
      }
      await annotate(
        `batch kill -9 (${backend}): ${rounds.join('; ')}; ` +
          `completed ${Math.round(recoveredMs / 1000)} s after the restart, ${replayed} items replayed; ` +
          `${Math.round((Date.now() - started) / 1000)} s in all`,
      );
    },
  );
});
