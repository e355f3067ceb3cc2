/**
 * The durable job queue: pg-boss (its own schema `pgboss`) over the service's database, on both engines.
 *
 * pg-boss runs every statement through `executeSql`; here that is kysely's executor, so on PostgreSQL it shares
 * the pool and on the embedded database it takes its turn on PGlite's one session like any other query. Jobs
 * can be enqueued inside a caller's transaction (`within`): a batch and its jobs commit together or not at all.
 *
 * Delivery is at least once: a job whose worker dies stays `active` until it expires, then is retried. Handlers
 * must therefore be idempotent (batch items are: each carries its own Idempotency-Key).
 */
import PgBoss from 'pg-boss';
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';

export interface JobQueueOptions {
  /** How often an idle worker polls (seconds). */
  readonly pollingSeconds?: number;
  /** How often expired jobs are found and retried (seconds). */
  readonly maintenanceSeconds?: number;
}

export interface QueueDefinition {
  readonly name: string;
  /** A job active longer than this is presumed lost (its worker died) and retried. */
  readonly expireInSeconds: number;
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
}

export interface Job<T> {
  readonly id: string;
  readonly data: T;
}

type Executor = Kysely<Database> | Transaction<Database>;

const adapter = (db: Executor) => ({
  executeSql: async (text: string, values?: unknown[]) => db.executeQuery(CompiledQuery.raw(text, values ?? [])),
});

/**
 * pg-boss's own statements, each on one connection. Its schema scripts are several statements with their own BEGIN;
 * when two instances start at once the loser's script fails inside that transaction (pg-boss expects and ignores
 * this), which would leave the connection in an aborted transaction back in the pool, failing whatever runs on it next.
 * So a failed statement is rolled back on its own connection before the connection is returned.
 */
const ownAdapter = (db: Kysely<Database>) => ({
  executeSql: async (text: string, values?: unknown[]) =>
    db.connection().execute(async (connection) => {
      try {
        return await connection.executeQuery(CompiledQuery.raw(text, values ?? []));
      } catch (error) {
        await connection.executeQuery(CompiledQuery.raw('ROLLBACK')).catch(() => undefined);
        throw error;
      }
    }),
});

export function createJobQueue(db: Kysely<Database>, options: JobQueueOptions = {}) {
  // pg-boss's own statements (polling, maintenance) go through here. Once stopped, none reaches the database: pg-boss
  // does not wait for a worker's poll in flight, and a poll after the pool closed would fail during shutdown.
  let stopped = false;
  let inFlight = 0;
  const own = {
    executeSql: async (text: string, values?: unknown[]) => {
      if (stopped) return { rows: [] };
      inFlight++;
      try {
        return await ownAdapter(db).executeSql(text, values);
      } finally {
        inFlight--;
      }
    },
  };
  const boss = new PgBoss({
    db: own,
    schedule: false,
    supervise: true,
    maintenanceIntervalSeconds: options.maintenanceSeconds ?? 30,
  } as PgBoss.ConstructorOptions);
  const pollingIntervalSeconds = options.pollingSeconds ?? 1;
  let started: Promise<unknown> | undefined;

  return {
    /** Creates or upgrades the queue's schema (idempotent; concurrent starters agree under pg-boss's advisory lock). */
    async start(onError: (error: Error) => void): Promise<void> {
      boss.on('error', onError);
      started ??= boss.start();
      await started;
    },

    /** Creates the queue, or brings its settings up to date (createQueue keeps the first settings ever given). */
    async define(queue: QueueDefinition): Promise<void> {
      const settings = {
        name: queue.name,
        expireInSeconds: queue.expireInSeconds,
        retryLimit: queue.retryLimit,
        retryDelay: queue.retryDelaySeconds,
        retryBackoff: true,
      };
      // Instances starting together create the same queues at once; PostgreSQL may pick one of them as a deadlock
      // victim. Creating a queue is idempotent, so the victim tries again.
      for (let attempt = 1; ; attempt++) {
        try {
          await boss.createQueue(queue.name, settings);
          await boss.updateQueue(queue.name, settings);
          return;
        } catch (error) {
          if ((error as { code?: unknown }).code !== '40P01' || attempt >= 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 200 * attempt)));
        }
      }
    },

    /** Enqueues jobs inside `trx` (they exist only if it commits). */
    async within<T extends object>(trx: Transaction<Database>, queue: string, jobs: readonly T[], singletonKey?: string): Promise<void> {
      if (jobs.length === 0) return;
      if (singletonKey !== undefined) {
        await boss.send(queue, jobs[0]!, { singletonKey, db: adapter(trx) } as PgBoss.SendOptions);
        return;
      }
      await boss.insert(
        jobs.map((data) => ({ name: queue, data })),
        { db: adapter(trx) } as PgBoss.InsertOptions,
      );
    },

    /** Runs `handler` for jobs of `queue`, `concurrency` at a time in this process. A throw fails the job (retried). */
    async work<T>(queue: string, concurrency: number, handler: (job: Job<T>) => Promise<unknown>): Promise<void> {
      for (let i = 0; i < concurrency; i++) {
        const worker: { id?: string } = {};
        worker.id = await boss.work<T>(queue, { pollingIntervalSeconds, batchSize: 1 }, async ([job]) => {
          try {
            return await handler(job as Job<T>);
          } finally {
            // A worker that found a job asks for the next one at once (pg-boss would otherwise wait out its polling
            // interval after every job, idling between the chunks of a batch).
            if (worker.id !== undefined) boss.notifyWorker(worker.id);
          }
        });
      }
    },

    /** Stops fetching; waits for jobs in progress (up to `timeoutMs`) so none is left half done. */
    async stop(timeoutMs = 8_000): Promise<void> {
      if (started === undefined) return;
      await boss.stop({ graceful: true, wait: true, close: false, timeout: timeoutMs });
      stopped = true;
      // Let statements already sent finish before the caller closes the pool (briefly: each is one short query).
      for (let waited = 0; inFlight > 0 && waited < 2000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

export type JobQueue = ReturnType<typeof createJobQueue>;
