/** `npm run migrate`: applies every pending migration to DATABASE_URL (or the embedded database); non-zero exit on failure. */
import { ConfigError, loadConfig } from '../src/config.js';
import { connect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';

try {
  const config = loadConfig();
  const logger = createLogger(config);
  const database = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const results = await migrateToLatest(database.db, logger);
    logger.info({ applied: results.length, database: database.engine }, 'migrations up to date');
  } finally {
    await database.close();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`}\n`);
  process.exitCode = 1;
}
