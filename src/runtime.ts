/**
 * Opens what both entry points (server and CLI) need: database (migrated), master key, keyring.
 * The caller closes the returned handle.
 */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { connect, type DatabaseHandle } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { createKeyring, type Keyring } from './keys/keyring.js';
import { createSecretBox, loadMasterKey, type SecretBox } from './keys/master-key.js';
import { assertMasterKey } from './services/bootstrap.js';

export interface Runtime {
  readonly database: DatabaseHandle;
  readonly box: SecretBox;
  readonly keyring: Keyring;
}

export async function openRuntime(config: Config, logger: Pick<Logger, 'info' | 'warn'>): Promise<Runtime> {
  const box = createSecretBox(
    loadMasterKey({
      masterKey: config.masterKey,
      masterKeyFile: config.masterKeyFile,
      generateInDir: config.databaseUrl === undefined ? config.dataDir : undefined,
    }),
  );
  const database = await connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onIdleError: (error) => logger.warn({ err: error }, 'an idle database connection failed; the pool will reconnect'),
  });
  try {
    await migrateToLatest(database.db, logger);
    const keyring = createKeyring(box);
    await assertMasterKey(database.db, box, keyring);
    return { database, box, keyring };
  } catch (error) {
    await database.close();
    throw error;
  }
}
