/**
 * Faults a deployment meets: the process killed mid-issuance (kill -9), the database going away and coming back,
 * and SIGTERM with requests in flight. Each runs the real server as a child process (tests/helpers/server-process.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { backends, postgresUrl } from '../helpers/database.js';
import { verifyIndependently } from '../helpers/independent-verifier.js';
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

/** Started servers, killed after each test whatever happened. */
const running = new Set<ServerProcess>();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const server of running) await stopServer(server, 'SIGKILL');
  running.clear();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function ready(server: ServerProcess): Promise<void> {
  running.add(server);
  return waitReady(server, 60_000);
}

const describeOutcome = (o: Outcome) => (o.kind === 'response' ? `${o.status} ${o.body.slice(0, 300)}` : `${o.code} after ${o.ms} ms`);

describe.each(backends)('kill -9 during issuance (%s)', (backend) => {
  const KEYS = Array.from({ length: 120 }, (_, i) => `fault-${i}-${crypto.randomBytes(4).toString('hex')}`);
  const ROUNDS = 5;
  const BURST = 40;

  it(
    'keeps one credential per Idempotency-Key, byte for byte, with one status entry each, across five kills mid-burst',
    { timeout: 180_000 },
    async ({ annotate }) => {
      const started = Date.now();
      const env = await deployment(backend, { prefix: 'mc-faults-', env: { ALLOW_PRIVATE_FETCH: 'true' } });
      cleanups.push(env.cleanup);
      let server = env.start();
      await ready(server);
      const auth = demoAuth(env.dataDir);
      const bodyFor = await exampleIssueRequests(server.baseUrl, auth);
      const keyIndex = new Map(KEYS.map((key, i) => [key, i]));
      const issue = (base: string, key: string) =>
        request(base, 'POST', '/credentials', bodyFor(keyIndex.get(key)!), { ...auth, 'idempotency-key': key }, 60_000);

      /** Every 201 body seen per key, and every answer that was neither a 201 nor a dropped connection. */
      const seen = new Map<string, Set<string>>();
      const unexpected: string[] = [];
      /** Overloaded (a pool wait past its timeout on a busy CI machine): the documented answer is 503 with Retry-After. */
      const busy = (outcome: Outcome) =>
        outcome.kind === 'response' && outcome.status === 503 && outcome.headers['retry-after'] !== undefined;
      const record = (key: string, outcome: Outcome): boolean => {
        if (outcome.kind === 'error') return false; // the kill: no answer is allowed, a wrong one is not
        if (outcome.status === 201) seen.set(key, (seen.get(key) ?? new Set()).add(outcome.body));
        else if (!busy(outcome)) unexpected.push(`${key}: ${describeOutcome(outcome)}`);
        return true;
      };
      /** As a client does: retry a 503 with Retry-After (here without waiting the full delay). */
      const issueUntilServed = async (base: string, key: string): Promise<Outcome> => {
        let outcome = await issue(base, key);
        for (let attempt = 0; attempt < 5 && busy(outcome); attempt++) {
          await sleep(500);
          outcome = await issue(base, key);
        }
        return outcome;
      };

      const rounds: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // With replacement: some keys go twice in one burst, racing each other as well as the kill.
        const burst = Array.from({ length: BURST }, () => KEYS[crypto.randomInt(KEYS.length)]!);
        const base = server.baseUrl;
        // One request first, so the kill lands on a warm server with commits under way, not on a cold start.
        const warm = KEYS[crypto.randomInt(KEYS.length)]!;
        expect(record(warm, await issue(base, warm)), warm).toBe(true);
        const outcomes = Promise.all(burst.map(async (key) => record(key, await issue(base, key))));
        const killAfter = 50 + crypto.randomInt(351);
        await sleep(killAfter);
        const exit = await stopServer(server, 'SIGKILL');
        running.delete(server);
        expect(exit.signal, server.output()).toBe('SIGKILL'); // it was still running: nothing crashed it first
        const answered = (await outcomes).filter(Boolean).length;
        rounds.push(`kill after ${killAfter} ms: ${answered}/${BURST} answered`);
        server = env.start(); // same DATA_DIR or DATABASE_URL, same port
        await ready(server);
      }

      // Every key once more, with the server up: each must now be a 201 (a replay, or a first issue).
      const final = new Map<string, string>();
      const finalOutcomes = await Promise.all(KEYS.map(async (key) => [key, await issueUntilServed(server.baseUrl, key)] as const));
      for (const [key, outcome] of finalOutcomes) {
        expect(outcome.kind === 'response' && outcome.status, `${key}: ${describeOutcome(outcome)}`).toBe(201);
        if (outcome.kind === 'response') final.set(key, outcome.body);
      }
      expect(unexpected).toEqual([]);
      const changed = KEYS.filter((key) => [...(seen.get(key) ?? [])].some((body) => body !== final.get(key)));
      expect(changed, 'keys that yielded two different credentials').toEqual([]);

      // Every credential verifies, here and with an independent verifier (both need the server up).
      for (const [key, text] of final) {
        const res = await request(server.baseUrl, 'POST', '/credentials/verify', { verifiableCredential: JSON.parse(text) }, {});
        expect(res.kind === 'response' && res.status, `${key}: ${describeOutcome(res)}`).toBe(200);
        expect((await verifyIndependently(JSON.parse(text))).verified, key).toBe(true);
      }

      // The records: exactly one row per key holding the returned text, one status entry per credential.
      expect((await stopServer(server, 'SIGTERM')).code, server.output()).toBe(0);
      running.delete(server);
      const handle = await env.open();
      try {
        const rows = await handle.db.selectFrom('credentials').select(['id', 'idempotency_key', 'signed_json']).execute();
        expect(rows).toHaveLength(KEYS.length);
        expect(new Set(rows.map((r) => r.idempotency_key))).toEqual(new Set(KEYS));
        for (const row of rows) expect(row.signed_json, row.idempotency_key!).toBe(final.get(row.idempotency_key!));

        const entries = await handle.db.selectFrom('status_entries').select(['list_id', 'idx', 'credential_id']).execute();
        expect(entries).toHaveLength(rows.length);
        expect(new Set(entries.map((e) => `${e.list_id}#${e.idx}`)).size).toBe(entries.length);
        const entryOf = new Map(entries.map((e) => [e.credential_id, e]));
        for (const row of rows) {
          const entry = entryOf.get(row.id);
          const status = (JSON.parse(row.signed_json) as { credentialStatus: { id: string } }).credentialStatus;
          expect(entry && status.id.endsWith(`/status-lists/${entry.list_id}#${entry.idx}`), row.id).toBe(true);
        }
      } finally {
        await env.release(handle);
      }
      await annotate(`kill -9 (${backend}): ${rounds.join('; ')}; ${Math.round((Date.now() - started) / 1000)} s in all`);
    },
  );
});

// Defined only where there is a PostgreSQL to take away (the DATABASE_URL pass), like describe.each(backends).
describe.each(backends.filter((b) => b === 'postgres'))('database outage (%s)', (backend) => {
  it(
    'answers 503 problem+json with Retry-After while the database refuses connections, and recovers without a restart',
    { timeout: 120_000 },
    async ({ annotate }) => {
      const env = await deployment(backend, { prefix: 'mc-faults-', env: { ALLOW_PRIVATE_FETCH: 'true' } });
      cleanups.push(env.cleanup);
      const server = env.start();
      await ready(server);
      const auth = demoAuth(env.dataDir);
      const bodyFor = await exampleIssueRequests(server.baseUrl, auth);
      const handle = await env.open();
      const name = (await sql<{ name: string }>`select current_database() as name`.execute(handle.db)).rows[0]!.name;
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      cleanups.push(async () => {
        await admin.query(`alter database ${name} allow_connections true`);
        await admin.end();
      });
      let n = 0;
      const issue = () =>
        request(server.baseUrl, 'POST', '/credentials', bodyFor(n), { ...auth, 'idempotency-key': `outage-${n++}` }, 20_000);
      const readyz = () => request(server.baseUrl, 'GET', '/readyz', undefined, {}, 20_000);
      const unavailable = (res: Outcome) =>
        res.kind === 'response' &&
        res.status === 503 &&
        /^application\/problem\+json/.test(String(res.headers['content-type'])) &&
        res.headers['retry-after'] !== undefined &&
        res.ms < 10_000;
      const explain = (what: string, res: Outcome) =>
        `${what}: ${describeOutcome(res)}${res.kind === 'response' ? ` (retry-after ${res.headers['retry-after']}, ${res.ms} ms)` : ''}`;

      // Cut every connection while issue requests are in flight: some hold one inside their transaction (signing).
      const inFlight = Promise.all(Array.from({ length: 10 }, () => issue()));
      await sleep(150);
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [name]);
      const down: string[] = [];
      for (const res of await inFlight) {
        if (!(res.kind === 'response' && res.status === 201) && !unavailable(res)) down.push(explain('in-flight POST /credentials', res));
      }
      for (let i = 0; i < 3; i++) {
        for (const [what, send] of [
          ['POST /credentials', issue],
          ['GET /readyz', readyz],
        ] as const) {
          const res = await send();
          if (!unavailable(res)) down.push(explain(what, res));
        }
      }
      const alive = await request(server.baseUrl, 'GET', '/healthz', undefined, {}, 5000);
      const errors = server
        .output()
        .split('\n')
        .filter((line) => line.includes('"err"'))
        .map((line) => {
          const { msg, err } = JSON.parse(line) as { msg: string; err: { type?: string; code?: string; message?: string } };
          return `${msg}: ${err.type} ${err.code ?? ''} ${err.message}`;
        });
      const logged = `the server logged: ${[...new Set(errors)].join(' | ')}`;
      expect(server.child.exitCode, logged).toBeNull();
      expect(alive.kind === 'response' && alive.status, `GET /healthz: ${describeOutcome(alive)}; ${logged}`).toBe(200);
      expect(down, `answers while the database was down; ${logged}`).toEqual([]);

      await admin.query(`alter database ${name} allow_connections true`);
      const back = Date.now();
      let issued: Outcome | undefined;
      let readiness: Outcome | undefined;
      while (Date.now() - back < 5000) {
        readiness = await readyz();
        issued = await issue();
        if (readiness.kind === 'response' && readiness.status === 200 && issued.kind === 'response' && issued.status === 201) break;
        await sleep(250);
      }
      expect(readiness && describeOutcome(readiness)).toMatch(/^200 /);
      expect(issued && describeOutcome(issued)).toMatch(/^201 /);
      expect(server.child.exitCode, server.output()).toBeNull();
      await annotate(`outage (${backend}): recovered ${Date.now() - back} ms after connections were allowed again`);
    },
  );
});

describe.each(backends)('graceful shutdown (%s)', (backend) => {
  it(
    'finishes every accepted issue request after SIGTERM, exits 0 within 15 s and releases the embedded lock',
    { timeout: 90_000 },
    async ({ annotate }) => {
      const env = await deployment(backend, { prefix: 'mc-faults-', env: { ALLOW_PRIVATE_FETCH: 'true' } });
      cleanups.push(env.cleanup);
      // NODE_DEBUG=net logs "NET <pid>: onconnection" for each connection the server accepts: what "accepted" means here.
      const server = env.start({ NODE_DEBUG: 'net' });
      await ready(server);
      const auth = demoAuth(env.dataDir);
      const bodyFor = await exampleIssueRequests(server.baseUrl, auth);
      const keys = Array.from({ length: 10 }, (_, i) => `shutdown-${i}`);
      const mark = server.output().length;

      let flushed = 0;
      let allFlushed!: () => void;
      const sent = new Promise<void>((resolve) => (allFlushed = resolve));
      const outcomes = Promise.all(
        keys.map((key, i) =>
          request(server.baseUrl, 'POST', '/credentials', bodyFor(i), { ...auth, 'idempotency-key': key }, 30_000, () => {
            if (++flushed === keys.length) allFlushed();
          }),
        ),
      );
      await sent;
      // Right after they are sent, once the server has taken the first one: at least one request is in flight.
      for (const since = Date.now(); !/^NET \d+: onconnection$/m.test(server.output().slice(mark)); await sleep(1)) {
        if (Date.now() - since > 10_000) throw new Error('the server accepted no connection within 10 s');
      }
      const signalled = Date.now();
      server.child.kill('SIGTERM');
      const exit = await Promise.race([server.exited, sleep(15_000).then(() => 'still running' as const)]);
      const exitMs = Date.now() - signalled;
      expect(
        exit,
        server
          .output()
          .slice(mark)
          .replace(/^NET .*\n/gm, ''),
      ).toEqual({ code: 0, signal: null });
      running.delete(server);
      const results = await outcomes;
      const accepted = (
        server
          .output()
          .slice(mark)
          .match(/^NET \d+: onconnection$/gm) ?? []
      ).length;
      expect(fs.existsSync(path.join(env.dataDir, 'embedded.lock'))).toBe(false);

      const handle = await env.open();
      try {
        const rows = await handle.db
          .selectFrom('credentials')
          .select(['idempotency_key', 'signed_json'])
          .where('idempotency_key', 'in', keys)
          .execute();
        const stored = new Map(rows.map((r) => [r.idempotency_key, r.signed_json]));
        const wrong: string[] = [];
        results.forEach((res, i) => {
          const key = keys[i]!;
          if (res.kind === 'response') {
            if (res.status !== 201) wrong.push(`${key}: accepted, then answered ${describeOutcome(res)}`);
            else if (stored.get(key) !== res.body) wrong.push(`${key}: the 201 body is not the stored row`);
          } else if (stored.has(key)) {
            wrong.push(`${key}: ${res.code} after ${res.ms} ms, yet its credential was issued and recorded`);
          }
        });
        const answered = results.filter((res) => res.kind === 'response').length;
        if (answered !== accepted)
          wrong.push(`${accepted} connections accepted, ${answered} answered: the others were dropped without a reply`);
        const summary = `${accepted}/${keys.length} accepted, ${rows.length} issued, the rest reset before acceptance; exited ${exitMs} ms after SIGTERM`;
        expect(wrong, summary).toEqual([]);
        await annotate(`shutdown (${backend}): ${summary}`);
      } finally {
        await env.release(handle);
      }
    },
  );
});
