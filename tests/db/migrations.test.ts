import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { backends, createTestDatabase } from '../helpers/database.js';

describe.each(backends)('migrations on %s', (backend) => {
  it('creates every table, and a second run applies nothing', async () => {
    const database = await createTestDatabase(backend);
    try {
      const tables = await sql<{
        table_name: string;
      }>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(database.db);
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['achievement_versions', 'achievements', 'api_keys', 'credentials', 'issuer_keys', 'issuers', 'settings']),
      );
      expect(await migrateToLatest(database.db, { info: () => {} })).toEqual([]);
    } finally {
      await database.close();
    }
  });

  it('rolls back a failed transaction completely', async () => {
    const database = await createTestDatabase(backend);
    try {
      await expect(
        database.db.transaction().execute(async (trx) => {
          await trx.insertInto('settings').values({ key: 'a', value: '1' }).execute();
          await trx.insertInto('settings').values({ key: 'a', value: '2' }).execute();
        }),
      ).rejects.toMatchObject({ code: '23505' });
      expect(await database.db.selectFrom('settings').selectAll().where('key', '=', 'a').execute()).toEqual([]);
      // the connection is usable afterwards
      await database.db.insertInto('settings').values({ key: 'a', value: '3' }).execute();
    } finally {
      await database.close();
    }
  });
});
