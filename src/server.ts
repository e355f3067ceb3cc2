/**
 * The process: config → connect → migrate → buildApp → listen; graceful close on SIGINT/SIGTERM.
 * With WEB_CONCURRENCY > 1 (PostgreSQL only) this process is a supervisor: it migrates and seeds once, then runs
 * that many server processes sharing the port (node:cluster), so issuance and verification use every core. The
 * server processes are ordinary stateless instances: everything they share is in PostgreSQL.
 */
import cluster from 'node:cluster';
import closeWithGrace from 'close-with-grace';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import type { Database } from './db/database.js';
import { openRuntime } from './runtime.js';
import { createAuditService } from './services/audit.js';
import { issuersOutsidePublicUrl, seedDemoIssuer } from './services/bootstrap.js';
import { createIssuerService } from './services/issuers.js';

/** Warns, once per start, of did:web issuers whose DIDs point at another host than PUBLIC_URL. */
async function warnOfIssuersElsewhere(db: Kysely<Database>, publicUrl: string, logger: Logger): Promise<void> {
  const elsewhere = await issuersOutsidePublicUrl(db, publicUrl);
  if (elsewhere.length === 0) return;
  logger.warn(
    { publicUrl, issuers: elsewhere.map((issuer) => issuer.did) },
    'did:web issuers made under another PUBLIC_URL: verifiers look up their DIDs at that host, not here, so what they sign ' +
      'verifies only where that host serves their DID documents; restore that PUBLIC_URL, or issue as a new issuer',
  );
}

async function serve(config: Config, logger: Logger, seed: boolean): Promise<void> {
  const runtime = await openRuntime(config, logger);
  // Imported here, not at the top: a supervisor (WEB_CONCURRENCY > 1) never serves, so it never loads the app.
  const { buildApp } = await import('./app.js');
  const app = await buildApp({ config, db: runtime.database.db, keyring: runtime.keyring, box: runtime.box, logger });
  if (seed) {
    const file = await seedDemoIssuer(runtime.database.db, app.services.issuers, config.dataDir);
    if (file !== null) logger.info({ file }, 'demo issuer created; its API key is in this file');
  }
  if (cluster.isPrimary) await warnOfIssuersElsewhere(runtime.database.db, config.publicUrl, logger);
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    await app.close();
    await runtime.database.close();
  });
  await app.listen({ port: config.port, host: config.host });
  logger.info({ publicUrl: config.publicUrl, database: runtime.database.engine, docs: `${config.publicUrl}/docs` }, 'ready');
}

async function supervise(config: Config, logger: Logger): Promise<void> {
  // Migrate and seed once, before any server process starts.
  const runtime = await openRuntime(config, logger);
  try {
    if (config.seedDemo) {
      const clock = () => new Date();
      const audit = createAuditService({ db: runtime.database.db, clock });
      const issuers = createIssuerService({ db: runtime.database.db, keyring: runtime.keyring, audit, publicUrl: config.publicUrl, clock });
      const file = await seedDemoIssuer(runtime.database.db, issuers, config.dataDir);
      if (file !== null) logger.info({ file }, 'demo issuer created; its API key is in this file');
    }
    await warnOfIssuersElsewhere(runtime.database.db, config.publicUrl, logger);
  } finally {
    await runtime.database.close();
  }

  let stopping = false;
  const start = () => cluster.fork({ SEED_DEMO: 'false' });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal }, 'server process exited; starting another');
    start();
  });
  for (let i = 0; i < config.webConcurrency; i++) start();
  logger.info({ processes: config.webConcurrency }, 'supervising server processes');

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping server processes');
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    let failed = false;
    let running = workers.length;
    if (running === 0) process.exit(0);
    for (const worker of workers) {
      worker.on('exit', (code) => {
        failed ||= code !== 0;
        if (--running === 0) process.exit(failed ? 1 : 0);
      });
      worker.process.kill('SIGTERM'); // each drains its in-flight requests (close-with-grace)
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
const logger = createLogger(config);

try {
  if (config.webConcurrency > 1 && cluster.isPrimary) await supervise(config, logger);
  else await serve(config, logger, config.seedDemo);
} catch (error) {
  logger.fatal({ err: error }, (error as Error).message);
  process.exitCode = 1;
}
