/**
 * Opens the database: PostgreSQL through pg when a connection string is given, otherwise an embedded PGlite
 * database persisted in a directory (or held in memory for `memory://`). Nothing else knows which engine runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';
import { PGliteDialect } from './pglite-dialect.js';

export type Engine = 'postgres' | 'pglite';

const DATE_OID = 1082;

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** Closes the pool or the embedded database and releases its lock. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** postgres:// URL; unset selects the embedded database. */
  readonly databaseUrl?: string | undefined;
  /** Embedded data directory, or `memory://` for a throwaway database. */
  readonly dataDir: string;
  readonly poolSize?: number;
  /** Called when an idle pooled connection fails (server restart, admin termination); the pool replaces it. */
  readonly onIdleError?: (error: Error) => void;
}

export class EmbeddedDatabaseLockedError extends Error {
  constructor(dir: string, pid: number) {
    super(
      `The embedded database in ${dir} is open in another process (pid ${pid}); PGlite allows one process at a time. ` +
        'Stop that process (for example the server) or set DATABASE_URL to use PostgreSQL.',
    );
    this.name = 'EmbeddedDatabaseLockedError';
  }
}

/** Opens the database described by `options`; the caller owns the handle and closes it. */
export async function connect(options: ConnectOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl !== undefined) {
    // A bounded wait for a connection: during an outage requests fail fast (503) instead of queueing forever.
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
      // A DATE is a calendar day: keep it as its 'YYYY-MM-DD' text, never a Date at the process's local midnight.
      types: {
        getTypeParser: (oid: number, format?: 'text' | 'binary') =>
          oid === DATE_OID ? (value: string) => value : pg.types.getTypeParser(oid, format as 'text'),
      },
    });
    // pg emits 'error' on a pooled client whose connection the server drops (restart, failover, termination),
    // idle or checked out; without listeners that is an uncaught exception. The query in flight still fails
    // (the request answers 503) and the pool replaces the client.
    pool.on('error', (error) => options.onIdleError?.(error));
    pool.on('connect', (client) => client.on('error', (error) => options.onIdleError?.(error)));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, engine: 'postgres', close: () => db.destroy() };
  }
  if (options.dataDir === 'memory://') {
    const pglite = await PGlite.create();
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    return { db, engine: 'pglite', close: () => db.destroy() };
  }
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const releaseLock = lockDirectory(options.dataDir);
  try {
    const pglite = await PGlite.create(path.join(options.dataDir, 'pgdata'));
    const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
    return {
      db,
      engine: 'pglite',
      close: async () => {
        await db.destroy();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/** A pid lock file: two processes writing one PGlite directory would corrupt it. */
function lockDirectory(dir: string): () => void {
  const lockPath = path.join(dir, 'embedded.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(fs.readFileSync(lockPath, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new EmbeddedDatabaseLockedError(dir, pid);
      }
      fs.rmSync(lockPath, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
