/**
 * Applies every migration in `migrations/index.ts`, under a Postgres advisory lock so that instances starting
 * together run them once. Kysely reports failure in its result instead of throwing; we throw.
 */
import { Migrator, sql, type Kysely, type MigrationResult } from 'kysely';
import { migrations } from '../../migrations/index.js';

const MIGRATION_LOCK = 7_345_001; // arbitrary, fixed: one advisory lock id for this service's migrations

export interface MigrationLog {
  info(details: object, message: string): void;
}

/** @throws the migration error after logging each result. */
export async function migrateToLatest(db: Kysely<any>, log: MigrationLog): Promise<readonly MigrationResult[]> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      const migrator = new Migrator({
        db: conn,
        provider: { getMigrations: async () => migrations },
      });
      const { error, results } = await migrator.migrateToLatest();
      for (const r of results ?? []) log.info({ migration: r.migrationName, status: r.status }, 'migration');
      if (error) throw error;
      return results ?? [];
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
}
