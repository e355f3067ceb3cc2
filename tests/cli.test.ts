/**
 * The admin CLI as operators run it: a child process (`node --import tsx src/cli.ts …`) over an embedded database in
 * a temporary DATA_DIR. Most tests share one DATA_DIR, because every call starts tsx and opens PGlite.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, createTestDatabase } from './helpers/database.js';
import { runScript, type ScriptRun } from './helpers/server-process.js';

const PUBLIC_URL = 'https://badges.example.org';

type Run = ScriptRun;

// Only what a test sets reaches the CLI: never the runner's database or master key.
const { DATABASE_URL: _url, MASTER_KEY: _key, MASTER_KEY_FILE: _keyFile, SEED_DEMO: _seed, ...inherited } = process.env;

function cli(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return runScript('src/cli.ts', args, { ...inherited, LOG_LEVEL: 'silent', PUBLIC_URL, ...env });
}

/** The one JSON line a `--json` command prints. */
function jsonLine(run: Run): any {
  expect(run.code, run.stderr).toBe(0);
  const lines = run.stdout.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!);
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mc-cli-'));

// Each test runs the CLI as a process or several (tsx start-up and a database each): tens of seconds on CI.
describe('cli (embedded database)', { timeout: 120_000 }, () => {
  let dataDir: string;
  /** District A, made by the first test. */
  let issuerId: string;
  const run = (...args: string[]) => cli(args, { DATA_DIR: dataDir });
  /** Every API key printed so far and every stderr written, for the secrecy check. */
  const apiKeys: string[] = [];
  const stderrs: string[] = [];
  const track = (r: Run): Run => {
    stderrs.push(r.stderr);
    return r;
  };

  beforeAll(() => {
    dataDir = tempDir();
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('issuer create --did key --json prints one JSON line: issuer id, did:key, API key and its id', async () => {
    const out = jsonLine(track(await run('issuer', 'create', '--name', 'District A', '--did', 'key', '--json')));
    expect(Object.keys(out).sort()).toEqual(['apiKey', 'apiKeyId', 'did', 'issuerId']);
    expect(out.issuerId).toMatch(/^[0-9a-f-]{36}$/);
    issuerId = out.issuerId;
    expect(out.did).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$/);
    expect(out.apiKey).toMatch(new RegExp(`^mck_${out.apiKeyId}_[A-Za-z0-9_-]{43}$`));
    apiKeys.push(out.apiKey);
    expect(fs.existsSync(path.join(dataDir, 'embedded.lock'))).toBe(false);
  });

  it('issuer create --did web gives did:web:<PUBLIC_URL host>:issuers:<issuerId>', async () => {
    const out = jsonLine(
      track(await run('issuer', 'create', '--name', 'District B', '--did', 'web', '--url', 'https://district-b.example.org', '--json')),
    );
    expect(out.did).toBe(`did:web:badges.example.org:issuers:${out.issuerId}`);
    apiKeys.push(out.apiKey);
  });

  it('issuer create --format jwt is accepted; another format is a usage error (exit 64)', async () => {
    const own = tempDir();
    try {
      const out = jsonLine(
        await cli(['issuer', 'create', '--name', 'District JWT', '--did', 'web', '--format', 'jwt', '--json'], { DATA_DIR: own }),
      );
      apiKeys.push(out.apiKey);
    } finally {
      fs.rmSync(own, { recursive: true, force: true });
    }
    const refused = track(await run('issuer', 'create', '--name', 'District X', '--format', 'xml'));
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('--format must be json-ld or jwt');
  });

  it('issuer list --json lists every issuer with its did and name, and no key', async () => {
    const list = jsonLine(track(await run('issuer', 'list', '--json')));
    expect(list).toHaveLength(2);
    expect(list.map((i: { name: string }) => i.name).sort()).toEqual(['District A', 'District B']);
    const b = list.find((i: { name: string }) => i.name === 'District B');
    expect(b).toMatchObject({
      issuerId: expect.any(String),
      did: `did:web:badges.example.org:issuers:${b.issuerId}`,
      createdAt: expect.any(String),
    });
    expect(JSON.stringify(list)).not.toContain('mck_');
  });

  it('creates an API key for an issuer, revokes it once, and refuses a second revoke', async () => {
    const key = jsonLine(track(await run('apikey', 'create', '--issuer', issuerId, '--name', 'lms', '--scopes', 'issue,revoke', '--json')));
    expect(Object.keys(key).sort()).toEqual(['apiKey', 'apiKeyId', 'expiresAt', 'issuerId', 'scopes']);
    expect(key.scopes).toEqual(['issue', 'revoke']);
    expect(key.expiresAt).toBeNull();
    expect(key.issuerId).toBe(issuerId);
    expect(key.apiKey).toMatch(new RegExp(`^mck_${key.apiKeyId}_[A-Za-z0-9_-]{43}$`));
    apiKeys.push(key.apiKey);

    const revoked = track(await run('apikey', 'revoke', key.apiKeyId));
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`Revoked API key ${key.apiKeyId}\n`);

    const again = track(await run('apikey', 'revoke', key.apiKeyId));
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`No live API key ${key.apiKeyId}`);
    expect(again.stdout).toBe('');
  });

  it.each([
    ['issuer create without --name', ['issuer', 'create', '--did', 'key'], 'issuer create needs --name'],
    ['--did other than web or key', ['issuer', 'create', '--name', 'X', '--did', 'foo'], '--did must be web or key'],
    ['an unknown command', ['certificate', 'print'], 'Unknown command: certificate print'],
    ['an unknown option', ['issuer', 'list', '--colour'], '--colour'],
  ])('exits 64 with the usage on stderr for %s', async (_name, args, message) => {
    const res = track(await run(...args));
    expect(res.code, res.stderr).toBe(64);
    expect(res.stderr).toContain(message);
    expect(res.stderr).toContain('Usage:\n  npm run cli -- issuer create --name <name>');
    expect(res.stdout).toBe('');
  });

  it('prints the usage on stdout and exits 0 for --help', async () => {
    const res = await run('--help');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('npm run cli -- apikey revoke <apiKeyId>');
  });

  it('prints the human-readable API key on stdout only, even with LOG_LEVEL=trace', async () => {
    const res = track(await cli(['issuer', 'create', '--name', 'District C'], { DATA_DIR: dataDir, LOG_LEVEL: 'trace' }));
    expect(res.code, res.stderr).toBe(0);
    const key = /API key: (mck_\S+)/.exec(res.stdout)?.[1];
    expect(key).toMatch(/^mck_[0-9a-f]{32}_/);
    apiKeys.push(key!);
  });

  it('never writes an API key to stderr', () => {
    expect(apiKeys.length).toBeGreaterThanOrEqual(4);
    expect(stderrs.length).toBeGreaterThan(5);
    for (const stderr of stderrs) {
      expect(stderr).not.toMatch(/mck_[0-9a-f]{32}_/);
      for (const key of apiKeys) expect(stderr).not.toContain(key.slice('mck_'.length + 33)); // the secret part
    }
  });

  it('refuses to open the embedded database while another process holds it, naming the one-process rule', async () => {
    const lock = path.join(dataDir, 'embedded.lock');
    fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
    try {
      const res = await run('issuer', 'list', '--json');
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('one process at a time');
      expect(res.stderr).toContain(`pid ${process.pid}`);
      expect(res.stdout).toBe('');
      expect(fs.readFileSync(lock, 'utf8')).toBe(String(process.pid));
    } finally {
      fs.rmSync(lock, { force: true });
    }
  });

  it('takes over a stale lock left by a process that has exited', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('close', resolve));
    fs.writeFileSync(path.join(dataDir, 'embedded.lock'), String(dead.pid));
    expect(jsonLine(await run('issuer', 'list', '--json'))).toHaveLength(3);
    expect(fs.existsSync(path.join(dataDir, 'embedded.lock'))).toBe(false);
  });
});

// Defined only where there is a PostgreSQL to run it on (the DATABASE_URL pass of .ci/run), like describe.each(backends).
describe.each(backends.filter((b) => b === 'postgres'))('cli (%s)', () => {
  it('creates and lists issuers in the DATABASE_URL database, leaving DATA_DIR untouched', async () => {
    const database = await createTestDatabase('postgres');
    const dataDir = tempDir();
    try {
      const env = { DATABASE_URL: database.url!, MASTER_KEY: crypto.randomBytes(32).toString('base64'), DATA_DIR: dataDir };
      const created = jsonLine(await cli(['issuer', 'create', '--name', 'District P', '--did', 'web', '--json'], env));
      expect(created.did).toBe(`did:web:badges.example.org:issuers:${created.issuerId}`);
      const row = await database.db
        .selectFrom('issuers')
        .select(['name', 'did'])
        .where('id', '=', created.issuerId)
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ name: 'District P', did: created.did });
      const list = jsonLine(await cli(['issuer', 'list', '--json'], env));
      expect(list.map((i: { issuerId: string }) => i.issuerId)).toEqual([created.issuerId]);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
      await database.close();
    }
  });
});
