/**
 * Makes a table append-only in the database itself: UPDATE, DELETE and TRUNCATE raise. Used by released
 * migrations, so its SQL must never change; write a new helper instead.
 */
import { sql, type Kysely } from 'kysely';

export async function makeAppendOnly(db: Kysely<any>, table: string): Promise<void> {
  const fn = sql.id(`${table}_append_only`);
  const t = sql.id(table);
  await sql`create function ${fn}() returns trigger language plpgsql as $$
    begin raise exception '% is append-only', TG_TABLE_NAME; end $$`.execute(db);
  await sql`create trigger ${sql.id(`${table}_no_change`)} before update or delete on ${t}
    for each row execute function ${fn}()`.execute(db);
  await sql`create trigger ${sql.id(`${table}_no_truncate`)} before truncate on ${t}
    for each statement execute function ${fn}()`.execute(db);
}

export async function dropAppendOnly(db: Kysely<any>, table: string): Promise<void> {
  const t = sql.id(table);
  await sql`drop trigger ${sql.id(`${table}_no_truncate`)} on ${t}`.execute(db);
  await sql`drop trigger ${sql.id(`${table}_no_change`)} on ${t}`.execute(db);
  await sql`drop function ${sql.id(`${table}_append_only`)}()`.execute(db);
}
