/** The process: config → connect → migrate → buildApp → listen; graceful close on SIGINT/SIGTERM. */
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { openRuntime } from './runtime.js';
import { seedDemoIssuer } from './services/bootstrap.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(78); // EX_CONFIG
}
const logger = createLogger(config);

try {
  const runtime = await openRuntime(config, logger);
  const app = await buildApp({ config, db: runtime.database.db, keyring: runtime.keyring, box: runtime.box, logger });
  if (config.seedDemo) {
    const file = await seedDemoIssuer(runtime.database.db, app.services.issuers, config.dataDir);
    if (file !== null) logger.info({ file }, 'demo issuer created; its API key is in this file');
  }
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error');
    else logger.info({ signal }, 'shutting down');
    await app.close();
    await runtime.database.close();
  });
  await app.listen({ port: config.port, host: config.host });
  logger.info({ publicUrl: config.publicUrl, database: runtime.database.engine, docs: `${config.publicUrl}/docs` }, 'ready');
} catch (error) {
  logger.fatal({ err: error }, (error as Error).message);
  process.exitCode = 1;
}
