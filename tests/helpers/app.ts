/** Builds the real app over a fresh database for one test file; close() releases both. */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createKeyring } from '../../src/keys/keyring.js';
import { createSecretBox } from '../../src/keys/master-key.js';
import type { Services } from '../../src/services/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestApp {
  readonly app: FastifyInstance & { services: Services };
  readonly database: TestDatabase;
  /** Base URL when listening, else the configured public URL. */
  readonly baseUrl: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly listen?: boolean;
  readonly clock?: () => Date;
  readonly backend?: 'pglite' | 'postgres';
  /** Issue without credentialStatus (CREDENTIAL_STATUS=false). */
  readonly credentialStatus?: boolean;
  readonly statusListCapacity?: number;
  /** Rate limits (default: high enough never to interfere with tests that are not about them). */
  readonly rateLimitPerMinute?: number;
  readonly rateLimitKeyPerMinute?: number;
  /** Earner links and uploads (defaults as in production: 180 and 7 days, 5 MiB). */
  readonly claimLinkTtlDays?: number;
  readonly walletLinkTtlDays?: number;
  readonly uploadLimitBytes?: number;
  /** Batch chunks this instance works at once (default 2; 0: accept batches, leave the work to other instances). */
  readonly batchWorkers?: number;
  /** A batch chunk running longer is presumed lost and retried (default 300 s). */
  readonly batchJobTimeoutSeconds?: number;
  /** Share an existing database (a second instance); the caller closes it. */
  readonly database?: TestDatabase;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase(options.backend));
  const box = createSecretBox(Buffer.alloc(32, 7));
  const build = (publicUrl: string) =>
    buildApp({
      config: {
        publicUrl,
        allowPrivateFetch: true,
        fetchTimeoutMs: 2000,
        fetchMaxBytes: 1_048_576,
        bodyLimitBytes: 262_144,
        credentialStatus: options.credentialStatus,
        statusListCapacity: options.statusListCapacity,
        rateLimitPerMinute: options.rateLimitPerMinute ?? 1_000_000,
        rateLimitKeyPerMinute: options.rateLimitKeyPerMinute ?? 1_000_000,
        claimLinkTtlDays: options.claimLinkTtlDays,
        walletLinkTtlDays: options.walletLinkTtlDays,
        uploadLimitBytes: options.uploadLimitBytes,
        batchWorkers: options.batchWorkers,
        batchJobTimeoutSeconds: options.batchJobTimeoutSeconds,
      },
      db: database.db,
      keyring: createKeyring(box),
      box,
      logger: false,
      clock: options.clock,
    });
  let app: TestApp['app'];
  let baseUrl = 'http://localhost:3999';
  if (options.listen) {
    // The public URL must be known before building (it is in every credential), so reserve a port first.
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    app = await build(baseUrl);
    await app.listen({ port, host: '127.0.0.1' });
  } else {
    app = await build(baseUrl);
    await app.ready();
  }
  return {
    app,
    database,
    baseUrl,
    close: async () => {
      await app.close();
      if (options.database === undefined) await database.close();
    },
  };
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
