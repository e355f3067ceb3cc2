/**
 * WEB_CONCURRENCY: one supervisor, several server processes on one port and one PostgreSQL database. Defined
 * where there is a PostgreSQL to run it on (the DATABASE_URL pass), like describe.each(backends).
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { backends, createTestDatabase } from '../helpers/database.js';
import {
  demoAuth,
  exampleIssueRequests,
  freePort,
  request,
  startServer,
  stopServer,
  tempDir,
  waitReady,
} from '../helpers/server-process.js';

describe('WEB_CONCURRENCY configuration', () => {
  it('refuses more than one process on the embedded database', () => {
    expect(() => loadConfig({ WEB_CONCURRENCY: '2' })).toThrow(/WEB_CONCURRENCY above 1 needs DATABASE_URL/);
    expect(
      loadConfig({ WEB_CONCURRENCY: '2', DATABASE_URL: 'postgres://x/y', MASTER_KEY: Buffer.alloc(32, 1).toString('base64') })
        .webConcurrency,
    ).toBe(2);
  });
});

describe.each(backends.filter((b) => b === 'postgres'))('several server processes on one database (%s)', () => {
  it('runs two server processes, seeds once, issues without duplicate status indexes, and stops cleanly on SIGTERM', async () => {
    const database = await createTestDatabase('postgres');
    const dataDir = tempDir('cluster-');
    const server = startServer(await freePort(), {
      DATABASE_URL: database.url!,
      MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      DATA_DIR: dataDir,
      WEB_CONCURRENCY: '2',
    });
    try {
      await waitReady(server, 60_000);
      const children = execFileSync('pgrep', ['-P', String(server.child.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n');
      expect(children).toHaveLength(2); // two server processes under the supervisor
      const issuers = await database.db.selectFrom('issuers').select('id').execute();
      expect(issuers).toHaveLength(1); // the supervisor seeded once
      const auth = demoAuth(dataDir);
      const body = await exampleIssueRequests(server.baseUrl, auth);
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, n) => request(server.baseUrl, 'POST', '/credentials', body(n), auth)),
      );
      expect(outcomes.map((o) => (o.kind === 'response' ? o.status : o.code))).toEqual(Array(40).fill(201));
      const rows = await database.db.selectFrom('status_entries').select(['list_id', 'idx']).execute();
      expect(rows).toHaveLength(40);
      expect(new Set(rows.map((r) => `${r.list_id}#${r.idx}`)).size).toBe(40);
      const exit = await stopServer(server, 'SIGTERM');
      expect(exit, server.output()).toEqual({ code: 0, signal: null });
    } finally {
      await stopServer(server);
      fs.rmSync(dataDir, { recursive: true, force: true });
      await database.close();
    }
  }, 120_000);
});
