import type { Kysely, Transaction } from 'kysely';
import type { AuditEventRow, Database } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface NewAuditEvent {
  readonly issuerId: string | null;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: 'success' | 'denied' | 'failed';
  readonly detail?: Record<string, unknown>;
  readonly at: Date;
}

export async function insertAuditEvent(db: Db, event: NewAuditEvent): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      issuer_id: event.issuerId,
      actor: event.actor,
      action: event.action,
      target: event.target,
      outcome: event.outcome,
      detail: event.detail === undefined ? null : JSON.stringify(event.detail),
      at: event.at,
    })
    .execute();
}

/** Newest first, keyset-paginated on id. */
export async function listAuditEvents(
  db: Db,
  args: { issuerId: string; limit: number; beforeId?: string; action?: string },
): Promise<AuditEventRow[]> {
  let query = db.selectFrom('audit_events').selectAll().where('issuer_id', '=', args.issuerId);
  if (args.beforeId !== undefined) query = query.where('id', '<', args.beforeId as never);
  if (args.action !== undefined) query = query.where('action', '=', args.action);
  return query.orderBy('id', 'desc').limit(args.limit).execute();
}
