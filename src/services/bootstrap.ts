/**
 * Start-up checks and first-run setup, shared by the server and the CLI:
 * - the master key must open the keys already stored (a wrong MASTER_KEY fails at start, not at first signing);
 * - on first embedded start a demo issuer and API key are created and written to DATA_DIR/demo-credentials.json
 *   (mode 0600), never to the log.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import * as issuers from '../db/repositories/issuers.js';
import { initSetting } from '../db/repositories/settings.js';
import { didWebFor } from '../keys/did-web.js';
import type { Keyring } from '../keys/keyring.js';
import { MasterKeyError, type SecretBox } from '../keys/master-key.js';
import type { IssuerService } from './issuers.js';
import { toStoredKey } from './issuers.js';

const CHECK_VALUE = 'master-key-check';

/** @throws {MasterKeyError} when the configured master key is not the one the database was set up with. */
export async function assertMasterKey(db: Kysely<Database>, box: SecretBox, keyring: Keyring): Promise<void> {
  const stored = await initSetting(db, CHECK_VALUE, box.seal(CHECK_VALUE, CHECK_VALUE));
  try {
    box.open(stored, CHECK_VALUE);
  } catch {
    throw new MasterKeyError(
      'MASTER_KEY is not the key this database was set up with: signing keys cannot be decrypted. Restore the original MASTER_KEY.',
    );
  }
  const anyKey = await issuers.findAnyIssuerKey(db);
  if (anyKey !== undefined) await keyring.check(toStoredKey(anyKey, ''));
}

/**
 * did:web issuers made under another PUBLIC_URL (before it changed, or by a CLI run with another one): a verifier
 * resolves their DIDs at that other host, so what they sign here does not verify unless it serves their DID
 * documents. @returns at most `limit` of them, for a start-up warning.
 */
export async function issuersOutsidePublicUrl(db: Kysely<Database>, publicUrl: string, limit = 10) {
  return issuers.didWebIssuersOutside(db, `${didWebFor(publicUrl, ['issuers'])}:`, limit);
}

export interface DemoCredentials {
  readonly issuerId: string;
  readonly did: string;
  readonly apiKey: string;
  readonly note: string;
}

/** Creates the demo issuer when the database has no issuer yet. @returns the file written, or null. */
export async function seedDemoIssuer(
  db: Kysely<Database>,
  issuerService: Pick<IssuerService, 'createIssuer'>,
  dataDir: string,
): Promise<string | null> {
  if ((await issuers.countIssuers(db)) > 0) return null;
  const { issuer, apiKey } = await issuerService.createIssuer({
    name: 'Demo State Department of Education',
    url: 'https://example.org/demo-state-education',
    description: 'An illustrative issuer created on first start. Replace it with your own (npm run cli -- issuer create).',
    didMethod: 'web',
  });
  const file = path.join(dataDir, 'demo-credentials.json');
  const demo: DemoCredentials = {
    issuerId: issuer.id,
    did: issuer.did,
    apiKey: apiKey.apiKey,
    note: 'Demo issuer API key. Keep it secret; revoke it with: npm run cli -- apikey revoke <id>',
  };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
  return file;
}
