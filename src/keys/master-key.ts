/**
 * The master key encrypts issuer signing keys at rest (AES-256-GCM, authenticated; the key record's id is
 * bound in as associated data, so an envelope cannot be moved to another record). It comes from MASTER_KEY,
 * MASTER_KEY_FILE or, for the embedded database only, a file generated once in the data directory.
 * This module is the only place the master key exists; the rest of the code sees a SecretBox.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface SecretBox {
  /** Encrypts `plaintext`, binding `context` (for example the key id). */
  seal(plaintext: string, context: string): string;
  /** @throws {Error} when the envelope was not made by this master key for this context. */
  open(envelope: string, context: string): string;
  /** Keyed hash (HMAC-SHA256, key derived from the master key) for lookups that must not be reversible. */
  mac(purpose: string, value: string): string;
}

export interface MasterKeySource {
  readonly masterKey: string | undefined;
  readonly masterKeyFile: string | undefined;
  /** Where to generate a key when none is configured; undefined means generating is not allowed. */
  readonly generateInDir: string | undefined;
}

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

const ENVELOPE_VERSION = 'v1';

/**
 * Loads (or, for the embedded database, creates) the master key.
 * @throws {MasterKeyError} when it is missing, unreadable or not 32 bytes.
 */
export function loadMasterKey(source: MasterKeySource): Buffer {
  let encoded = source.masterKey;
  if (encoded === undefined && source.masterKeyFile !== undefined) {
    try {
      encoded = fs.readFileSync(source.masterKeyFile, 'utf8').trim();
    } catch (error) {
      throw new MasterKeyError(`Cannot read MASTER_KEY_FILE ${source.masterKeyFile}: ${(error as Error).message}`);
    }
  }
  if (encoded === undefined && source.generateInDir !== undefined) {
    const file = path.join(source.generateInDir, 'master.key');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(source.generateInDir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    encoded = fs.readFileSync(file, 'utf8').trim();
  }
  if (encoded === undefined) throw new MasterKeyError('No master key: set MASTER_KEY or MASTER_KEY_FILE (see keys.example)');
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new MasterKeyError('The master key must be base64 of exactly 32 bytes');
  return key;
}

/** A SecretBox over a 32-byte master key. */
export function createSecretBox(masterKey: Buffer): SecretBox {
  if (masterKey.length !== 32) throw new TypeError('masterKey must be 32 bytes');
  const encryptionKey = Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), 'key-encryption', 32));
  const macKey = Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), 'lookup-mac', 32));
  return {
    seal(plaintext, context) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', encryptionKey, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [ENVELOPE_VERSION, iv, ciphertext, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(envelope, context) {
      const [version, iv, ciphertext, tag] = envelope.split('.');
      if (version !== ENVELOPE_VERSION || iv === undefined || ciphertext === undefined || tag === undefined) {
        throw new MasterKeyError('Unrecognised key envelope');
      }
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        throw new MasterKeyError('A key envelope does not open with this master key (wrong MASTER_KEY?)');
      }
    },
    mac(purpose, value) {
      return crypto.createHmac('sha256', macKey).update(`${purpose}\u0000${value}`, 'utf8').digest('hex');
    },
  };
}
