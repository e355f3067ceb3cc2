/** Builds the app over a throwaway in-memory database and returns its OpenAPI document as YAML. */
import { buildApp } from '../src/app.js';
import { connect } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createKeyring } from '../src/keys/keyring.js';
import { createSecretBox } from '../src/keys/master-key.js';

// A stable server URL so the document does not depend on the machine that generated it.
const DOCUMENTED_URL = 'https://badges.example.org';

export async function renderOpenApi(): Promise<string> {
  const database = await connect({ dataDir: 'memory://' });
  try {
    await migrateToLatest(database.db, { info: () => {} });
    const box = createSecretBox(Buffer.alloc(32));
    const app = await buildApp({
      config: { publicUrl: DOCUMENTED_URL, allowPrivateFetch: false, fetchTimeoutMs: 1000, fetchMaxBytes: 1024, bodyLimitBytes: 262_144 },
      db: database.db,
      keyring: createKeyring(box),
      box,
      logger: false,
    });
    await app.ready();
    const yaml = app.swagger({ yaml: true });
    await app.close();
    return yaml;
  } finally {
    await database.close();
  }
}
