/** A server (and its database) for one backend: PGlite in a fresh DATA_DIR, or a fresh PostgreSQL database. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { connect, type DatabaseHandle } from '../../src/db/connect.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { freePort, startServer, tempDir } from './server-process.js';

export async function deployment(backend: 'pglite' | 'postgres', options: { prefix: string; env?: Record<string, string> }) {
  const dataDir = tempDir(options.prefix);
  const database: TestDatabase | undefined = backend === 'postgres' ? await createTestDatabase('postgres') : undefined;
  const env: Record<string, string> = { DATA_DIR: dataDir, ...options.env };
  if (database !== undefined) Object.assign(env, { DATABASE_URL: database.url!, MASTER_KEY: crypto.randomBytes(32).toString('base64') });
  const port = await freePort();
  return {
    dataDir,
    start: (extra: Record<string, string> = {}) => startServer(port, { ...env, ...extra }),
    /** The database as the server sees it; for PGlite only while no server runs (one process at a time). */
    open: async (): Promise<DatabaseHandle> => database ?? (await connect({ dataDir })),
    release: async (handle: DatabaseHandle) => {
      if (database === undefined) await handle.close();
    },
    cleanup: async () => {
      await database?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
