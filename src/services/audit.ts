/**
 * The audit trail: issuance, status changes, catalogue, key and API-key operations, admin actions and denied
 * attempts, each with actor, time, target and outcome. Append-only (the database refuses UPDATE, DELETE and
 * TRUNCATE). Details never hold personal data: recipients appear nowhere here.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import * as audit from '../db/repositories/audit.js';
import { Problem } from '../errors.js';

export interface AuditEntry {
  readonly issuerId: string | null;
  readonly actor: string;
  readonly action: string;
  readonly target?: string | null;
  readonly outcome?: 'success' | 'denied' | 'failed';
  readonly detail?: Record<string, unknown>;
}

/** `apikey:<id>` for an API key, as recorded. */
export const apiKeyActor = (apiKeyId: string) => `apikey:${apiKeyId}`;

/** Who acts: an API key's caller, or the operator's CLI. */
export type Actor = { readonly apiKeyId: string } | 'cli';
export const actorName = (actor: Actor) => (actor === 'cli' ? 'cli' : apiKeyActor(actor.apiKeyId));

export function createAuditService(deps: { db: Kysely<Database>; clock: () => Date }) {
  const { db, clock } = deps;
  return {
    /** Records an event; pass the transaction of the change so both commit or neither does. */
    record: (entry: AuditEntry, executor: Kysely<Database> | Transaction<Database> = db) =>
      audit.insertAuditEvent(executor, {
        issuerId: entry.issuerId,
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? null,
        outcome: entry.outcome ?? 'success',
        detail: entry.detail,
        at: clock(),
      }),

    async list(issuerId: string, args: { limit: number; cursor?: string; action?: string }) {
      if (args.cursor !== undefined && !/^\d{1,19}$/.test(args.cursor))
        throw new Problem('validation-failed', 'cursor is not one this service returned');
      const rows = await audit.listAuditEvents(db, { issuerId, limit: args.limit + 1, beforeId: args.cursor, action: args.action });
      const page = rows.slice(0, args.limit);
      return {
        items: page.map((r) => ({
          id: String(r.id),
          actor: r.actor,
          action: r.action,
          target: r.target,
          outcome: r.outcome,
          detail: r.detail === null ? null : (JSON.parse(r.detail) as Record<string, unknown>),
          at: r.at.toISOString(),
        })),
        nextCursor: rows.length > args.limit ? String(page.at(-1)!.id) : null,
      };
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
