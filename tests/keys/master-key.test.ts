import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretBox, loadMasterKey, MasterKeyError } from '../../src/keys/master-key.js';

describe(createSecretBox.name, () => {
  const box = createSecretBox(Buffer.alloc(32, 1));

  it('round-trips a secret bound to its context, with a fresh IV each time', () => {
    const a = box.seal('z3u2secret', 'key-1');
    expect(a).not.toContain('z3u2secret');
    expect(box.seal('z3u2secret', 'key-1')).not.toBe(a);
    expect(box.open(a, 'key-1')).toBe('z3u2secret');
  });

  it('refuses an envelope moved to another key id, altered, or opened with another master key', () => {
    const sealed = box.seal('secret', 'key-1');
    expect(() => box.open(sealed, 'key-2')).toThrow(MasterKeyError);
    const parts = sealed.split('.');
    parts[2] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), 'key-1')).toThrow(MasterKeyError);
    expect(() => createSecretBox(Buffer.alloc(32, 2)).open(sealed, 'key-1')).toThrow(/wrong MASTER_KEY/);
  });

  it('computes a keyed MAC that differs per purpose and per master key', () => {
    expect(box.mac('recipient', 'a@example.org')).toBe(box.mac('recipient', 'a@example.org'));
    expect(box.mac('recipient', 'a@example.org')).not.toBe(box.mac('other', 'a@example.org'));
    expect(createSecretBox(Buffer.alloc(32, 2)).mac('recipient', 'a@example.org')).not.toBe(box.mac('recipient', 'a@example.org'));
  });
});

describe(loadMasterKey.name, () => {
  it('generates a key once in the data directory, readable only by its owner', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mk-'));
    const first = loadMasterKey({ masterKey: undefined, masterKeyFile: undefined, generateInDir: dir });
    expect(first).toHaveLength(32);
    expect(loadMasterKey({ masterKey: undefined, masterKeyFile: undefined, generateInDir: dir })).toEqual(first);
    expect(fs.statSync(path.join(dir, 'master.key')).mode & 0o077).toBe(0);
  });

  it('fails clearly when no key is configured and generating is not allowed', () => {
    expect(() => loadMasterKey({ masterKey: undefined, masterKeyFile: undefined, generateInDir: undefined })).toThrow(/set MASTER_KEY/);
    expect(() => loadMasterKey({ masterKey: undefined, masterKeyFile: '/nonexistent/key', generateInDir: undefined })).toThrow(
      /Cannot read MASTER_KEY_FILE/,
    );
  });
});
