/**
 * A fresh, migrated database per test file: PGlite in memory, or, when DATABASE_URL is set (as .ci/run does
 * for its second pass), a new database on that PostgreSQL server, dropped when the file is done.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { connect, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';

export const postgresUrl = process.env.DATABASE_URL;
export const backendName = postgresUrl === undefined ? 'pglite' : 'postgres';

export interface TestDatabase extends DatabaseHandle {
  /** Connection string of this database (PostgreSQL only). */
  readonly url: string | undefined;
}

/** A throwaway database on the backend under test. */
export async function createTestDatabase(backend: 'pglite' | 'postgres' = backendName): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const handle = await connect({ dataDir: 'memory://' });
    await migrateToLatest(handle.db, { info: () => {} });
    return { ...handle, url: undefined };
  }
  if (postgresUrl === undefined) throw new Error('DATABASE_URL is not set');
  const name = `test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  const handle = await connect({ databaseUrl: url.href, dataDir: 'unused', poolSize: 20 });
  await migrateToLatest(handle.db, { info: () => {} });
  return {
    ...handle,
    engine: 'postgres',
    url: url.href,
    close: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: postgresUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/** Backends every db/ test runs on: PGlite always, PostgreSQL too when DATABASE_URL is set. */
export const backends: Array<'pglite' | 'postgres'> = postgresUrl === undefined ? ['pglite'] : ['pglite', 'postgres'];
