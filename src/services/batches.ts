/**
 * Batch issuance: a cohort of up to 10,000 issue requests accepted in one call and worked off by the job queue.
 *
 * Invariants:
 * 1. Accepting writes the batch, its items (each request sealed: it names an educator) and one job per chunk of
 *    items in one transaction: a batch exists with all its work queued, or not at all.
 * 2. Every item carries its own Idempotency-Key and is issued through the single-issue path with it. A chunk redone
 *    after a crash (its worker died; the job expired and was retried, on this or another instance) replays the
 *    credentials already issued instead of issuing them again: no duplicates, whatever dies when.
 * 3. An item is finished once (pending → issued | failed) and its sealed request is then dropped.
 * 4. The batch completes exactly once, when its last pending item finishes; the webhook job is queued in that
 *    same transaction, and is retried until the receiver answers 2xx (or the retries run out).
 * 5. A 4xx problem fails just that item (recorded with the problem); anything else (database down) fails the chunk
 *    job, which is retried later with the items it had not finished.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, BatchItemRow, BatchItemState, BatchRow } from '../db/database.js';
import * as batches from '../db/repositories/batches.js';
import type { JobQueue } from '../db/job-queue.js';
import type { SecretBox } from '../keys/master-key.js';
import { postJson, type SafeFetchOptions } from '../net/safe-fetch.js';
import { Problem, problemTypes, type ProblemFieldError } from '../errors.js';
import type { IssueRequest } from '../schemas/issue-request.js';
import { isUuid } from './ids.js';
import type { IssuanceService } from './issuance.js';
import { canonicalJson } from '../credentials/json.js';
import type { ApiKeyIdentity, IssuerService } from './issuers.js';
import { apiKeyActor, type AuditService } from './audit.js';

export const BATCH_MAX_ITEMS = 10_000;
/** Items per job: small enough that a lost job costs little, large enough that queue overhead is noise. */
const CHUNK_SIZE = 50;
/** Items of one chunk issued at once. */
const ITEMS_IN_FLIGHT = 8;
const CHUNK_QUEUE = 'batch-chunk';
const WEBHOOK_QUEUE = 'batch-webhook';

export interface BatchInput {
  readonly items: ReadonlyArray<{ readonly idempotencyKey: string; readonly request: IssueRequest }>;
  readonly webhookUrl?: string;
}

export interface BatchProgress {
  readonly id: string;
  readonly url: string;
  readonly state: BatchRow['state'];
  readonly total: number;
  readonly pending: number;
  readonly issued: number;
  readonly failed: number;
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly itemsUrl: string;
}

export interface BatchItemResult {
  readonly seq: number;
  readonly idempotencyKey: string;
  readonly state: BatchItemState;
  readonly credentialUrl?: string;
  /** True when the credential existed already under this item's Idempotency-Key (a retry). */
  readonly replayed?: boolean;
  readonly problem?: unknown;
}

interface ChunkJob {
  readonly batchId: string;
  readonly from: number;
  readonly to: number;
}

export function createBatchService(deps: {
  db: Kysely<Database>;
  queue: JobQueue;
  box: Pick<SecretBox, 'seal' | 'open' | 'mac'>;
  issuance: Pick<IssuanceService, 'issue' | 'issuableVersion'>;
  issuers: Pick<IssuerService, 'identityOf'>;
  audit: Pick<AuditService, 'record'>;
  webhookFetch: SafeFetchOptions;
  publicUrl: string;
  clock: () => Date;
  chunkTimeoutSeconds: number;
  onWebhookError?: (error: unknown, batchId: string) => void;
}) {
  const { db, queue, box, issuance, issuers, audit, publicUrl, clock } = deps;
  const batchUrl = (id: string) => `${publicUrl}/batches/${id}`;
  const sealContext = (batchId: string, seq: number) => `batch-item:${batchId}:${seq}`;
  /** The receiver checks Webhook-Signature with this; derived, so nothing secret is stored. */
  const webhookSecret = (batchId: string) => box.mac('batch-webhook', batchId);

  async function progress(batch: BatchRow): Promise<BatchProgress> {
    const counts = await batches.countItems(db, batch.id);
    return {
      id: batch.id,
      url: batchUrl(batch.id),
      state: batch.state,
      total: batch.total,
      ...counts,
      createdAt: batch.created_at.toISOString(),
      completedAt: batch.completed_at?.toISOString() ?? null,
      itemsUrl: `${batchUrl(batch.id)}/items`,
    };
  }

  async function owned(caller: ApiKeyIdentity, id: string): Promise<BatchRow> {
    const batch = isUuid(id) ? await batches.findBatch(db, id) : undefined;
    if (batch === undefined) throw new Problem('batch-not-found', `No batch ${id}`);
    if (batch.issuer_id !== caller.issuerId) throw new Problem('forbidden', 'This batch belongs to another issuer');
    return batch;
  }

  /** Refuses, before anything is written, what would fail every item: duplicate keys, achievements not issuable. */
  async function check(caller: ApiKeyIdentity, input: BatchInput): Promise<void> {
    const errors: ProblemFieldError[] = [];
    const seen = new Map<string, number>();
    input.items.forEach((item, i) => {
      const first = seen.get(item.idempotencyKey);
      if (first !== undefined) {
        errors.push({ pointer: `#/items/${i}/idempotencyKey`, detail: `Same Idempotency-Key as item ${first}; every item needs its own` });
      } else seen.set(item.idempotencyKey, i);
    });
    if (errors.length > 0) throw new Problem('validation-failed', 'Items repeat an Idempotency-Key', errors.slice(0, 100));
    const achievements = new Map<string, number>();
    input.items.forEach((item, i) => {
      const key = `${item.request.achievement.id}@${item.request.achievement.version ?? ''}`;
      if (!achievements.has(key)) achievements.set(key, i);
    });
    for (const [, i] of achievements) {
      try {
        await issuance.issuableVersion(caller.issuerId, input.items[i]!.request.achievement);
      } catch (error) {
        if (!(error instanceof Problem)) throw error;
        throw new Problem(error.slug, `Item ${i}: ${error.detail ?? error.message}`, [
          { pointer: `#/items/${i}/request/achievement/id`, detail: error.detail ?? error.message },
        ]);
      }
    }
  }

  async function runChunk(job: { data: ChunkJob }): Promise<void> {
    const { batchId, from, to } = job.data;
    const batch = await batches.findBatch(db, batchId);
    if (batch === undefined || batch.state === 'completed') return;
    const items = await batches.pendingItems(db, batchId, from, to);
    const caller = await issuers.identityOf(batch.api_key_id);
    // A few items at a time: issuing is mostly waiting on database round trips, which then overlap.
    let next = 0;
    const lane = async () => {
      while (next < items.length) await runItem(batch, items[next++]!, caller);
    };
    await Promise.all(Array.from({ length: ITEMS_IN_FLIGHT }, lane));
    await db.transaction().execute(async (trx) => {
      if (!(await batches.completeIfDone(trx, batchId, clock()))) return;
      const counts = await batches.countItems(trx, batchId);
      await audit.record(
        {
          issuerId: batch.issuer_id,
          actor: apiKeyActor(batch.api_key_id),
          action: 'batch.complete',
          target: batchUrl(batchId),
          detail: { total: batch.total, issued: counts.issued, failed: counts.failed },
        },
        trx,
      );
      if (batch.webhook_url !== null) await queue.within(trx, WEBHOOK_QUEUE, [{ batchId }], `webhook:${batchId}`);
    });
  }

  async function runItem(batch: BatchRow, item: BatchItemRow, caller: ApiKeyIdentity | null): Promise<void> {
    const key = { batchId: batch.id, seq: item.seq };
    const at = clock();
    if (caller === null) {
      const problem = new Problem('forbidden', 'The API key that submitted this batch was revoked or has expired');
      await batches.finishItem(db, key, { state: 'failed', problemJson: problemJson(publicUrl, problem), at });
      return;
    }
    const request = JSON.parse(box.open(item.request_envelope!, sealContext(batch.id, item.seq))) as IssueRequest;
    try {
      const issued = await issuance.issue(caller, request, item.idempotency_key);
      await batches.finishItem(db, key, {
        state: 'issued',
        credentialId: issued.id,
        credentialUrl: issued.url,
        replayed: issued.replayed,
        at,
      });
    } catch (error) {
      // Only a refusal of this item's request fails the item; anything else fails the job, to be retried.
      if (!(error instanceof Problem) || error.status >= 500) throw error;
      await batches.finishItem(db, key, { state: 'failed', problemJson: problemJson(publicUrl, error), at });
    }
  }

  async function sendWebhook(job: { data: { batchId: string } }): Promise<void> {
    const batch = await batches.findBatch(db, job.data.batchId);
    if (batch?.webhook_url == null) return;
    const body = JSON.stringify({ type: 'batch.completed', batch: await progress(batch) });
    const timestamp = Math.floor(clock().getTime() / 1000);
    const signature = crypto.createHmac('sha256', webhookSecret(batch.id)).update(`${timestamp}.${body}`).digest('hex');
    try {
      await postJson(batch.webhook_url, body, {
        ...deps.webhookFetch,
        headers: { 'webhook-id': batch.id, 'webhook-signature': `t=${timestamp},v1=${signature}` },
      });
    } catch (error) {
      deps.onWebhookError?.(error, batch.id);
      throw error; // retried by the queue with backoff
    }
  }

  return {
    /**
     * Registers the queues and, with `workers` > 0, works chunks here (`workers` at a time). Every instance may
     * call this: chunks are shared out through the database.
     */
    async start(workers: number): Promise<void> {
      await queue.define({ name: CHUNK_QUEUE, expireInSeconds: deps.chunkTimeoutSeconds, retryLimit: 20, retryDelaySeconds: 5 });
      await queue.define({ name: WEBHOOK_QUEUE, expireInSeconds: 60, retryLimit: 8, retryDelaySeconds: 30 });
      if (workers > 0) {
        await queue.work<ChunkJob>(CHUNK_QUEUE, workers, runChunk);
        await queue.work<{ batchId: string }>(WEBHOOK_QUEUE, 1, sendWebhook);
      }
    },

    /**
     * Accepts a batch: checks it, then stores it and queues its chunks (invariant 1).
     * @returns its progress, the webhook secret when a webhook was given, and whether it was accepted before.
     */
    async create(
      caller: ApiKeyIdentity,
      input: BatchInput,
      idempotencyKey?: string,
    ): Promise<{ progress: BatchProgress; replayed: boolean; webhookSecret?: string }> {
      const requestHash = box.mac('batch', canonicalJson(input));
      const answer = async (batch: BatchRow, replayed: boolean) => {
        if (replayed && batch.request_hash !== requestHash) {
          throw new Problem('idempotency-conflict', 'This Idempotency-Key was used for a different batch; use a new key for a new batch');
        }
        return {
          progress: await progress(batch),
          replayed,
          ...(batch.webhook_url !== null ? { webhookSecret: webhookSecret(batch.id) } : {}),
        };
      };
      if (idempotencyKey !== undefined) {
        const existing = await batches.findBatchByIdempotencyKey(db, caller.issuerId, idempotencyKey);
        if (existing !== undefined) return answer(existing, true);
      }
      if (input.items.length === 0 || input.items.length > BATCH_MAX_ITEMS) {
        throw new Problem('validation-failed', `A batch has 1 to ${BATCH_MAX_ITEMS} items`);
      }
      await check(caller, input);
      const id = crypto.randomUUID();
      const now = clock();
      const row = {
        id,
        issuer_id: caller.issuerId,
        api_key_id: caller.apiKeyId,
        idempotency_key: idempotencyKey ?? null,
        request_hash: requestHash,
        total: input.items.length,
        webhook_url: input.webhookUrl ?? null,
        created_at: now,
      };
      const items = input.items.map((item, seq) => ({
        seq,
        idempotency_key: item.idempotencyKey,
        request_envelope: box.seal(JSON.stringify(item.request), sealContext(id, seq)),
      }));
      const chunks: ChunkJob[] = [];
      for (let from = 0; from < items.length; from += CHUNK_SIZE) chunks.push({ batchId: id, from, to: from + CHUNK_SIZE });
      try {
        await db.transaction().execute(async (trx) => {
          await batches.insertBatch(trx, row, items);
          await queue.within(trx, CHUNK_QUEUE, chunks);
          await audit.record(
            {
              issuerId: caller.issuerId,
              actor: apiKeyActor(caller.apiKeyId),
              action: 'batch.accept',
              target: batchUrl(id),
              detail: { total: items.length, webhook: input.webhookUrl !== undefined },
            },
            trx,
          );
        });
      } catch (error) {
        // Two concurrent requests with one key: the loser answers with the winner's batch.
        if (idempotencyKey !== undefined && (error as { code?: string }).code === '23505') {
          const winner = await batches.findBatchByIdempotencyKey(db, caller.issuerId, idempotencyKey);
          if (winner !== undefined) return answer(winner, true);
        }
        throw error;
      }
      return answer({ ...row, state: 'running', completed_at: null }, false);
    },

    async get(caller: ApiKeyIdentity, id: string): Promise<BatchProgress> {
      return progress(await owned(caller, id));
    },

    /** Per-item results in order, `limit` after item `after` (a cursor), optionally only one state. */
    async items(
      caller: ApiKeyIdentity,
      id: string,
      options: { after?: number; limit?: number; state?: BatchItemState },
    ): Promise<{ items: BatchItemResult[]; next: string | null }> {
      const batch = await owned(caller, id);
      const limit = options.limit ?? 1000;
      const rows = await batches.listItems(db, batch.id, { after: options.after ?? -1, limit, state: options.state });
      const last = rows.at(-1);
      const next =
        rows.length === limit && last !== undefined
          ? `${batchUrl(batch.id)}/items?after=${last.seq}&limit=${limit}${options.state ? `&state=${options.state}` : ''}`
          : null;
      return { items: rows.map(itemResult), next };
    },
  };
}

function itemResult(row: BatchItemRow): BatchItemResult {
  return {
    seq: row.seq,
    idempotencyKey: row.idempotency_key,
    state: row.state,
    ...(row.credential_url !== null ? { credentialUrl: row.credential_url, replayed: row.replayed === true } : {}),
    ...(row.problem_json !== null ? { problem: JSON.parse(row.problem_json) as unknown } : {}),
  };
}

/** The problem as the single-issue call would have answered it (without an instance: there was no request). */
function problemJson(publicUrl: string, problem: Problem): string {
  return JSON.stringify({
    type: `${publicUrl}/problems/${problem.slug}`,
    title: problemTypes[problem.slug].title,
    status: problem.status,
    detail: problem.detail ?? problem.message,
    ...(problem.errors !== undefined ? { errors: problem.errors } : {}),
  });
}

export type BatchService = ReturnType<typeof createBatchService>;
