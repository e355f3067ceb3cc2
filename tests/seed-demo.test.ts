/**
 * npm run seed:demo as operators run it: a child process (`node --import tsx scripts/seed-demo.ts`, what the npm
 * script runs) over a fresh embedded DATA_DIR, and on a fresh PostgreSQL database when DATABASE_URL is set. Then
 * the real server on that DATA_DIR and PORT, as README "The demo catalogue" says: `npm run seed:demo`, then
 * `npm start`, both with the default PUBLIC_URL (http://localhost:$PORT).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../src/db/connect.js';
import { backends, postgresUrl } from './helpers/database.js';
import {
  freePort,
  request,
  runScript,
  startServer,
  stopServer,
  tempDir,
  waitReady,
  type ScriptRun,
  type ServerProcess,
} from './helpers/server-process.js';

type Run = ScriptRun;

interface DemoCatalogue {
  notice: string;
  organisations: Array<{ key: string; name: string; issuerId: string; did: string; apiKey: string }>;
  achievements: Record<string, string>;
  walletLinkForFirstEducator: { educator: string; url: string };
}

// Only what a test sets reaches the script: never the runner's database or master key.
const {
  DATABASE_URL: _url,
  MASTER_KEY: _key,
  MASTER_KEY_FILE: _keyFile,
  SEED_DEMO: _seed,
  PUBLIC_URL: _public,
  ...inherited
} = process.env;

function seedDemo(env: Record<string, string>): Promise<Run> {
  return runScript('scripts/seed-demo.ts', [], { ...inherited, ...env });
}

/** A minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

const EXPECTED_SUMMARY =
  'Loaded the illustrative demo catalogue: 5 organisations, 20 micro-credentials, 2 stacks, 8 recognitions, 2 endorsements, 48 awards to 12 fictional educators.';
const DAY_MS = 86_400_000;

// Each test runs the seed script or the server as a process (tsx start-up, a database): tens of seconds on CI.
describe.each(backends)('npm run seed:demo (%s)', { timeout: 120_000 }, (backend) => {
  let dataDir: string;
  let port: number;
  let env: Record<string, string>;
  /** The PostgreSQL database made for this case, dropped at the end. */
  let databaseName: string | undefined;
  let catalogue: DemoCatalogue;
  let server: ServerProcess | undefined;
  const runs: Run[] = [];
  const seed = async () => {
    const run = await seedDemo(env);
    runs.push(run);
    return run;
  };

  /** Row counts of what the catalogue loads, read straight from the database (the process must have exited). */
  const snapshot = async () => {
    const handle = await connect(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL, dataDir: 'unused', poolSize: 2 } : { dataDir });
    try {
      const count = async (table: 'issuers' | 'achievements' | 'credentials' | 'stack_awards' | 'recognitions' | 'endorsements') =>
        Number(
          (
            await handle.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const stacks = await handle.db.selectFrom('stack_components').select('stack_id').distinct().execute();
      const dates = await handle.db
        .selectFrom('credentials')
        .select((eb) => [eb.fn.min('valid_from').as('oldest'), eb.fn.max('valid_from').as('newest')])
        .executeTakeFirstOrThrow();
      return {
        issuers: await count('issuers'),
        achievements: await count('achievements'),
        stacks: stacks.length,
        credentials: await count('credentials'),
        stackAwards: await count('stack_awards'),
        recognitions: await count('recognitions'),
        endorsements: await count('endorsements'),
        walletLinks: Number(
          (
            await handle.db
              .selectFrom('earner_links')
              .where('kind', '=', 'wallet')
              .select((eb) => eb.fn.countAll<string>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        ),
        oldest: new Date(dates.oldest as unknown as string).getTime(),
        newest: new Date(dates.newest as unknown as string).getTime(),
      };
    } finally {
      await handle.close();
    }
  };
  let first: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    dataDir = tempDir('seed-demo-');
    port = await freePort();
    env = { DATA_DIR: dataDir, PORT: String(port) };
    if (backend === 'postgres') {
      databaseName = `test_${crypto.randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`create database ${databaseName}`);
      await admin.end();
      const url = new URL(postgresUrl!);
      url.pathname = `/${databaseName}`;
      env = { ...env, DATABASE_URL: url.href, MASTER_KEY: crypto.randomBytes(32).toString('base64') };
    }
  });
  afterAll(async () => {
    if (server !== undefined) await stopServer(server);
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    if (databaseName !== undefined) {
      const admin = new pg.Client({ connectionString: postgresUrl });
      await admin.connect();
      await admin.query(`drop database if exists ${databaseName} with (force)`);
      await admin.end();
    }
  }, 60_000);

  it('loads the catalogue once and writes the API keys to DATA_DIR/demo-catalogue.json (0600), never to the terminal', async () => {
    const run = await seed();
    expect(run.code, run.stderr).toBe(0);
    const outFile = path.join(dataDir, 'demo-catalogue.json');
    expect(run.stdout).toContain(EXPECTED_SUMMARY);
    expect(run.stdout).toContain(outFile);

    expect(fs.statSync(outFile).mode & 0o777).toBe(0o600);
    catalogue = JSON.parse(fs.readFileSync(outFile, 'utf8')) as DemoCatalogue;
    expect(catalogue.notice).toMatch(/fictional/);
    expect(catalogue.organisations.map((o) => o.key).sort()).toEqual(['district', 'provider', 'review-panel', 'state', 'university']);
    for (const o of catalogue.organisations) {
      expect(o.apiKey, o.key).toMatch(/^mck_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
      expect(o.name, o.key).toMatch(/\(illustrative\)$/);
      expect(o.did, o.key).toBe(`did:web:localhost%3A${port}:issuers:${o.issuerId}`);
    }
    expect(new Set(catalogue.organisations.map((o) => o.apiKey)).size).toBe(5);
    expect(Object.keys(catalogue.achievements)).toHaveLength(22);
    for (const url of Object.values(catalogue.achievements))
      expect(url).toMatch(new RegExp(`^http://localhost:${port}/achievements/[0-9a-f-]{36}$`));
    expect(catalogue.walletLinkForFirstEducator.url).toMatch(new RegExp(`^http://localhost:${port}/earner/[A-Za-z0-9_-]{43}$`));

    first = await snapshot();
    expect(first).toMatchObject({ issuers: 5, achievements: 22, stacks: 2, recognitions: 8, endorsements: 2, walletLinks: 1 });
    // 48 awards, plus one stack credential for each stack completed by them.
    expect(first.stackAwards).toBeGreaterThan(0);
    expect(first.credentials).toBe(48 + first.stackAwards);
    // The awards carry their historical dates: over the past 13 months.
    expect(Date.now() - first.oldest).toBeGreaterThan(380 * DAY_MS);
    expect(Date.now() - first.oldest).toBeLessThan(400 * DAY_MS);
    expect(first.newest).toBeLessThanOrEqual(Date.now());
  }, 120_000);

  it('a second run changes nothing and says so', async () => {
    const run = await seed();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/The demo catalogue was loaded on \d{4}-\d{2}-\d{2}T[\d:.]+Z; nothing to do\./);
    expect(run.stdout).not.toContain('Loaded the illustrative demo catalogue');
    expect(await snapshot()).toEqual(first);
    // The file with the keys is left as it was.
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-catalogue.json'), 'utf8'))).toEqual(catalogue);
  }, 120_000);

  it('the server then shows the catalogue: the CS stack page, the wallet link and a suppressed completion report', async () => {
    // `npm start` after `npm run seed:demo`: the same DATA_DIR, PORT and default PUBLIC_URL.
    server = startServer(port, { ...env, PUBLIC_URL: `http://localhost:${port}` });
    await waitReady(server, 60_000);
    const get = async (url: string, headers: Record<string, string> = {}) => {
      const target = new URL(url);
      const res = await request(server!.baseUrl, 'GET', target.pathname + target.search, undefined, headers);
      if (res.kind !== 'response') throw new Error(`GET ${url}: ${res.code}`);
      return res;
    };
    // No demo issuer of its own on top of the catalogue's organisations.
    expect(fs.existsSync(path.join(dataDir, 'demo-credentials.json'))).toBe(false);

    // The CS stack's page lists its five components, each linked to its page.
    const stackUrl = catalogue.achievements['cs-teaching-foundations']!;
    const stackPage = await get(stackUrl, { accept: 'text/html' });
    expect(stackPage.status).toBe(200);
    expect(stackPage.headers['content-type']).toMatch(/^text\/html/);
    expect(stackPage.body).toContain('<h1>Computer Science Teaching Foundations</h1>');
    const components = stackPage.body.match(/<h2>Components of this stack<\/h2><ul>(.*?)<\/ul>/s)?.[1] ?? '';
    const linked = [...components.matchAll(/<a href="([^"]+)"[^>]*>([^<]+)<\/a>/g)].map((m) => m[1]);
    expect(linked.sort()).toEqual(
      [
        'cs-unplugged-algorithms',
        'pair-programming-k8',
        'debugging-strategies',
        'equitable-cs-participation',
        'computational-thinking-integration',
        'block-to-text-transition',
      ]
        .map((key) => catalogue.achievements[key])
        .sort(),
    );
    expect(stackPage.body).toContain('90 clock hours toward licence renewal');
    expect(stackPage.body).toContain('Requirements, in this order');

    // The wallet link of the first educator: six micro-credentials and the stack they completed.
    const wallet = await get(catalogue.walletLinkForFirstEducator.url, { accept: 'text/html' });
    expect(wallet.status).toBe(200);
    expect(wallet.body.match(/<li class="holding">/g)).toHaveLength(7);
    expect(wallet.body).toContain('Your micro-credentials');
    expect(wallet.body).toContain('from every issuer (7)');
    expect(wallet.body).toMatch(
      /<h3><a href="[^"]+">Computer Science Teaching Foundations<\/a> <span class="state ok">Valid<\/span><\/h3>/,
    );
    expect(wallet.body).toMatch(/<strong>Computer Science Teaching Foundations<\/strong><\/a> <span class="state ok">Completed<\/span>/);

    // The stack credential's page verifies (the DIDs are this server's own) and says what the stack counts toward.
    const stackCredentialUrl = wallet.body.match(/<h3><a href="([^"]+)">Computer Science Teaching Foundations<\/a>/)?.[1];
    expect(stackCredentialUrl).toMatch(new RegExp(`^http://localhost:${port}/credentials/`));
    const credentialPage = await get(stackCredentialUrl!, { accept: 'text/html' });
    expect(credentialPage.status).toBe(200);
    expect(credentialPage.body).toContain('<p class="verdict-title">Verified</p>');
    expect(credentialPage.body).toContain('90 clock hours toward licence renewal');

    // The endorsed micro-credential's page shows the review panel's endorsement, verified.
    const endorsed = await get(catalogue.achievements['vetting-edtech-privacy']!, { accept: 'text/html' });
    expect(endorsed.status).toBe(200);
    expect(endorsed.body).toMatch(
      /Illustrative State Micro-credential Review Panel \(illustrative\)<\/a><\/strong> · .*<span class="state ok">Verified<\/span>/,
    );
    expect(endorsed.body).toContain('<strong>Illustrative review — no real review took place.</strong>');

    // The provider's completion data: counts under 10 suppressed, larger ones shown.
    const provider = catalogue.organisations.find((o) => o.key === 'provider')!;
    const report = await get(`${server.baseUrl}/reports/completions?period=all&format=csv`, { authorization: `Bearer ${provider.apiKey}` });
    expect(report.status, report.body).toBe(200);
    expect(report.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(report.body);
    expect(header).toEqual(['achievement_id', 'achievement_name', 'kind', 'period', 'status', 'count', 'suppressed']);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row[3], row.join(',')).toBe('all');
    const shown = rows.filter((r) => r[6] === 'false').map((r) => Number(r[5]));
    const suppressed = rows.filter((r) => r[6] === 'true');
    expect(Math.max(...shown)).toBeGreaterThanOrEqual(10);
    for (const count of shown) expect(count).toBeGreaterThanOrEqual(10);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const row of suppressed) expect(row[5], row.join(',')).toBe('');
    expect(report.body).toContain('Teaching Algorithms Through CS Unplugged Activities');

    // No API key ever reached a terminal: neither the seeding runs' nor the server's.
    const output = [...runs.flatMap((r) => [r.stdout, r.stderr]), server.output()].join('\n');
    for (const o of catalogue.organisations) {
      expect(output.includes(o.apiKey), o.key).toBe(false);
      // The secret is everything after the key id (base64url: it may itself contain "_").
      const secret = /^mck_[0-9a-f]{32}_(.+)$/.exec(o.apiKey)![1]!;
      expect(secret).toHaveLength(43);
      expect(output.includes(secret), o.key).toBe(false);
    }
  }, 120_000);

  it(
    backend === 'pglite'
      ? 'refuses to run while the server holds the embedded database, saying so'
      : 'runs while the server runs on PostgreSQL, with nothing to do',
    async () => {
      expect(server).toBeDefined();
      const run = await seed();
      if (backend === 'pglite') {
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toContain(`The embedded database in ${dataDir} is open in another process (pid ${server!.child.pid})`);
        expect(run.stderr).toMatch(/Stop that process \(for example the server\)/);
      } else {
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/nothing to do/);
      }
      // The server is unharmed and stops cleanly.
      const ready = await request(server!.baseUrl, 'GET', '/readyz', undefined, {});
      expect(ready.kind === 'response' && ready.status).toBe(200);
      const exit = await stopServer(server!, 'SIGTERM');
      server = undefined;
      expect(exit).toEqual({ code: 0, signal: null });
      for (const o of catalogue.organisations) expect(run.stdout + run.stderr).not.toContain(o.apiKey);
    },
    120_000,
  );
});

/**
 * A run that stops part-way (an error, Ctrl-C) has created organisations but written neither the marker nor the
 * file with their API keys. The next run must not load a second copy beside them: that leaves duplicate
 * organisations (and achievements) whose API keys are recorded nowhere.
 */
describe('npm run seed:demo after a run that failed part-way (pglite)', { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = tempDir('seed-demo-partial-');
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('does not create the organisations a second time', async () => {
    // BODY_LIMIT_BYTES=1024: the organisations are created, then the first POST /achievements fails (413).
    const env = { DATA_DIR: dataDir, PORT: String(await freePort()), BODY_LIMIT_BYTES: '1024' };
    const failed = await seedDemo(env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('seed:demo failed: POST /achievements: 413');
    expect(fs.existsSync(path.join(dataDir, 'demo-catalogue.json'))).toBe(false);
    const issuersNow = async () => {
      const handle = await connect({ dataDir });
      try {
        return (await handle.db.selectFrom('issuers').select('name').execute()).map((r) => r.name);
      } finally {
        await handle.close();
      }
    };
    const afterFirst = await issuersNow();
    expect(afterFirst.length).toBeLessThanOrEqual(5);

    const again = await seedDemo(env);
    expect(again.code).not.toBe(0);
    // Either nothing of the failed run was kept, or the rerun resumed or refused: never a second set of organisations.
    const afterSecond = await issuersNow();
    expect(afterSecond.length, afterSecond.join('; ')).toBeLessThanOrEqual(5);
    expect(new Set(afterSecond).size).toBe(afterSecond.length);
  }, 60_000);
});
