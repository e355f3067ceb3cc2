/**
 * `npm run bench`: measures, in one run on this machine,
 * - the floor: stock @digitalbazaar/vc issue and verify of the same OB 3.0 credential (eddsa-rdfc-2022), in process,
 *   contexts served from memory, key pair created once;
 * - our signing path in the same process (src/credentials/suites.ts: contexts processed once, key imported once),
 *   checked to give the stock proof byte for byte before it is timed;
 * - the service over HTTP (autocannon on loopback) on PostgreSQL when DATABASE_URL is set, else the embedded database:
 *   issue at concurrency 1, 16 and 64, verify at 16, public credential and status list reads at 64, a batch of
 *   10,000 (POST /batches until completed), a mixed soak; the server's resident memory throughout.
 * With DATABASE_URL the server runs WEB_CONCURRENCY processes (default 1).
 * Writes bench/results/latest.json and prints a table. Numbers are what this run measured, nothing else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { loadContexts } from '../src/credentials/document-loader.js';
import { createSigningSuite, createVerifyingSuites } from '../src/credentials/suites.js';
import { cachedSigner } from '../src/keys/keyring.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const SOAK_S = Number(process.env.BENCH_SOAK_S ?? 120);
const PORT = Number(process.env.BENCH_PORT ?? 3917);
const BASE = `http://127.0.0.1:${PORT}`;
const root = path.resolve(import.meta.dirname, '..');

interface HttpResult {
  per_s: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  requests: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measureFloor(unsigned: Record<string, unknown>) {
  const contexts = loadContexts(path.join(root, 'contexts'));
  const keyPair = await Ed25519Multikey.generate({ controller: 'did:key:placeholder' });
  const did = `did:key:${keyPair.publicKeyMultibase}`;
  const vm = `${did}#${keyPair.publicKeyMultibase}`;
  const key = await Ed25519Multikey.from({
    ...(await keyPair.export({ publicKey: true, secretKey: true, includeContext: true })),
    id: vm,
    controller: did,
  });
  const credential = { ...unsigned, issuer: { ...(unsigned.issuer as object), id: did } };
  const didDocument = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [{ id: vm, type: 'Multikey', controller: did, publicKeyMultibase: keyPair.publicKeyMultibase }],
    assertionMethod: [vm],
  };
  const documentLoader = async (url: string) => {
    const document =
      contexts.get(url) ??
      (url === did ? didDocument : url === vm ? { '@context': didDocument['@context'], ...didDocument.verificationMethod[0] } : undefined);
    if (document === undefined) throw new Error(`not loaded: ${url}`);
    return { contextUrl: null, documentUrl: url, document };
  };
  const sign = () =>
    vc.issue({
      credential: structuredClone(credential),
      suite: new DataIntegrityProof({ signer: key.signer(), cryptosuite: eddsaRdfc2022 }),
      documentLoader,
    });
  for (let i = 0; i < 20; i++) await sign(); // warm up
  const signTimes: number[] = [];
  let signed: Record<string, unknown> = {};
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    signed = await sign();
    signTimes.push(performance.now() - start);
  }
  const verifyTimes: number[] = [];
  for (let i = 0; i < 200; i++) {
    const start = performance.now();
    // The floor is the signature library alone: the status list is not fetched (checkStatus passes).
    const result = await vc.verifyCredential({
      credential: signed,
      suite: new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }),
      documentLoader,
      checkStatus: async () => ({ verified: true }),
    });
    verifyTimes.push(performance.now() - start);
    if (!result.verified) throw new Error('floor verify failed');
  }
  // Ours, on the same credential, key and date: first the same bytes, then the time.
  const date = new Date();
  const stockProof = await vc.issue({
    credential: structuredClone(credential),
    suite: new DataIntegrityProof({ signer: key.signer(), cryptosuite: eddsaRdfc2022, date }),
    documentLoader,
  });
  const ourSigner = cachedSigner(key);
  const ours = () =>
    vc.issue({
      credential: structuredClone(credential),
      suite: createSigningSuite({ proofType: 'eddsa-rdfc-2022', signer: ourSigner, date }),
      documentLoader,
    });
  if (JSON.stringify(await ours()) !== JSON.stringify(stockProof)) throw new Error('our signing path differs from the stock libraries');
  for (let i = 0; i < 50; i++) await ours();
  const oursTimes: number[] = [];
  for (let i = 0; i < 500; i++) {
    const start = performance.now();
    await ours();
    oursTimes.push(performance.now() - start);
  }
  const oursVerifyTimes: number[] = [];
  for (let i = 0; i < 500; i++) {
    const start = performance.now();
    const result = await vc.verifyCredential({
      credential: signed,
      suite: createVerifyingSuites(),
      documentLoader,
      checkStatus: async () => ({ verified: true }),
    });
    oursVerifyTimes.push(performance.now() - start);
    if (!result.verified) throw new Error('our verify failed');
  }
  return {
    ours_sign_median_ms: round(median(oursTimes)),
    ours_verify_median_ms: round(median(oursVerifyTimes)),
    ours_sign_per_s_per_core: round(1000 / median(oursTimes)),
    ours_verify_per_s_per_core: round(1000 / median(oursVerifyTimes)),
    sign_median_ms: round(median(signTimes)),
    verify_median_ms: round(median(verifyTimes)),
    sign_per_s_per_core: round(1000 / median(signTimes)),
    verify_per_s_per_core: round(1000 / median(verifyTimes)),
    credential_bytes: JSON.stringify(signed).length,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

function startServer(dataDir: string, extraEnv: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [path.join(root, 'dist/src/server.js')], {
    env: {
      ...process.env,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      PUBLIC_URL: BASE,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'true',
      // The load generator is one address and one key: lift the abuse limits for the measurement.
      RATE_LIMIT_PER_MINUTE: '10000000',
      RATE_LIMIT_KEY_PER_MINUTE: '10000000',
      ...(process.env.DATABASE_URL ? { MASTER_KEY: process.env.MASTER_KEY ?? Buffer.alloc(32, 9).toString('base64') } : {}),
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function waitFor(url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up`);
}

function load(options: autocannon.Options, duration = DURATION_S): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    autocannon({ ...options, duration }, (error, result) => {
      if (error) return reject(error);
      const errors = result.errors + result.timeouts + result.non2xx;
      resolve({
        per_s: round(result.requests.average),
        p50_ms: result.latency.p50,
        p99_ms: result.latency.p99,
        errors,
        requests: result.requests.total,
      });
    });
  });
}

interface Prepared {
  auth: Record<string, string>;
  issueBody: string;
  first: Record<string, unknown>;
}

/** Starts a server (fresh database), prepares an achievement and one credential, runs `measure`, stops it. */
interface RssSampler {
  max(): number;
  samples(): number[];
}

async function withServer<T>(extraEnv: Record<string, string>, measure: (prepared: Prepared, rss: RssSampler) => Promise<T>): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  if (process.env.DATABASE_URL) await resetDatabase(process.env.DATABASE_URL);
  const server = startServer(dataDir, extraEnv);
  const rssSamples: number[] = [];
  // The server's resident memory: the process, plus its server processes when WEB_CONCURRENCY > 1.
  const rssMb = (pid: number): number => {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    } catch {
      return 0; // process gone
    }
  };
  const children = (pid: number): number[] => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const sampler = setInterval(() => {
    const pid = server.pid!;
    rssSamples.push([pid, ...children(pid)].reduce((sum, p) => sum + rssMb(p), 0));
  }, 1000);
  try {
    await waitFor(`${BASE}/readyz`);
    const { apiKey } = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as { apiKey: string };
    const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const achievementResponse = await fetch(`${BASE}/achievements`, {
      method: 'POST',
      headers: auth,
      body: fs.readFileSync(path.join(root, 'examples/achievement.json')),
    });
    const achievement = (await achievementResponse.json()) as { id: string };
    const issueBody = fs.readFileSync(path.join(root, 'examples/issue.json'), 'utf8').replace('ACHIEVEMENT_ID', achievement.id);
    const first = (await (await fetch(`${BASE}/credentials`, { method: 'POST', headers: auth, body: issueBody })).json()) as Record<
      string,
      unknown
    >;
    return await measure({ auth, issueBody, first }, { max: () => Math.round(Math.max(0, ...rssSamples)), samples: () => [...rssSamples] });
  } finally {
    clearInterval(sampler);
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The benchmark owns the database named by DATABASE_URL: it empties it so each server starts from scratch. */
async function resetDatabase(url: string) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('drop schema public cascade; create schema public; drop schema if exists pgboss cascade');
  await client.end();
}

/** POSTs a batch of `size` items (distinct educators and keys) and waits for it to complete. */
async function batch(auth: Record<string, string>, issueBody: string, size: number) {
  const request = JSON.parse(issueBody) as { recipient: Record<string, unknown> };
  const items = Array.from({ length: size }, (_, i) => ({
    idempotencyKey: `bench-${i}`,
    request: { ...request, recipient: { ...request.recipient, identity: `educator.${i}@district.example` } },
  }));
  const start = performance.now();
  const response = await fetch(`${BASE}/batches`, { method: 'POST', headers: auth, body: JSON.stringify({ items }) });
  if (response.status !== 202) throw new Error(`POST /batches answered ${response.status}: ${await response.text()}`);
  const { url } = (await response.json()) as { url: string };
  for (;;) {
    const progress = (await (await fetch(url, { headers: auth })).json()) as { state: string; issued: number; failed: number };
    if (progress.state === 'completed') {
      const seconds = (performance.now() - start) / 1000;
      return { items: size, seconds: round(seconds), per_s: round(size / seconds), issued: progress.issued, failed: progress.failed };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  if (!fs.existsSync(path.join(root, 'dist/src/server.js'))) throw new Error('run `npm run build` first (npm run bench does)');
  const cores = os.cpus().length;
  // One server process unless WEB_CONCURRENCY says otherwise: on a 2-core machine that also runs PostgreSQL, one
  // process and the database already use both cores (two processes measured half the issue rate; see the README).
  const webConcurrency = process.env.DATABASE_URL ? Number(process.env.WEB_CONCURRENCY ?? 1) : 1;
  const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 10_000);
  const measured = await withServer({ WEB_CONCURRENCY: String(webConcurrency) }, async ({ auth, issueBody, first }, rss) => {
    const { proof: _proof, ...unsigned } = first;
    const floor = await measureFloor(unsigned);
    const issue = { url: `${BASE}/credentials`, method: 'POST' as const, headers: auth, body: issueBody };
    const issue_c1 = await load({ ...issue, connections: 1 });
    const issue_c16 = await load({ ...issue, connections: 16 });
    const issue_c64 = await load({ ...issue, connections: 64 });
    const verify_c16 = await load({
      url: `${BASE}/credentials/verify`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verifiableCredential: first }),
      connections: 16,
    });
    const read_credential_c64 = await load({ url: String(first.id), headers: { accept: 'application/json' }, connections: 64 });
    const statusListUrl = String((first.credentialStatus as { statusListCredential: string }).statusListCredential);
    const status_list_c64 = await load({ url: statusListUrl, connections: 64 });
    const batchResult = await batch(auth, issueBody, batchSize);

    // Soak: mixed issue, verify and read at once for SOAK_S seconds; memory must stay level and errors at 0.
    const before = rss.samples().length;
    const [soakIssue, soakVerify, soakRead] = await Promise.all([
      load({ ...issue, connections: 4 }, SOAK_S),
      load(
        {
          url: `${BASE}/credentials/verify`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ verifiableCredential: first }),
          connections: 4,
        },
        SOAK_S,
      ),
      load({ url: String(first.id), headers: { accept: 'application/json' }, connections: 16 }, SOAK_S),
    ]);
    const during = rss.samples().slice(before);
    const third = Math.max(1, Math.floor(during.length / 3));
    const mean = (xs: number[]) => round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
    const soak = {
      seconds: SOAK_S,
      issue: soakIssue,
      verify: soakVerify,
      read: soakRead,
      errors: soakIssue.errors + soakVerify.errors + soakRead.errors,
      rss_mb_first_third: mean(during.slice(0, third)),
      rss_mb_last_third: mean(during.slice(-third)),
      rss_mb_max: round(Math.max(0, ...during)),
    };
    return { floor, issue_c1, issue_c16, issue_c64, verify_c16, read_credential_c64, status_list_c64, batchResult, soak, rss: rss.max() };
  });

  const { floor, issue_c1, issue_c16, issue_c64, verify_c16, read_credential_c64, status_list_c64, batchResult, soak } = measured;
  const signFloor = floor.sign_per_s_per_core * cores;
  const verifyFloor = floor.verify_per_s_per_core * cores;
  const results = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'unknown cpu'}, ${cores} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    database: process.env.DATABASE_URL ? 'postgres' : 'pglite',
    web_concurrency: webConcurrency,
    duration_s: DURATION_S,
    cores,
    floor,
    issue_c1,
    issue_c16,
    issue_c64,
    verify_c16,
    read_credential_c64,
    status_list_c64,
    [`batch_${batchSize}`]: batchResult,
    soak,
    rss_mb_max: measured.rss,
    // The issue's targets, as ratios to the floor measured in this run (the machine is shared and noisy).
    targets: {
      issue_c16_vs_5x_floor: { value: round(issue_c16.per_s / (5 * signFloor)), met: issue_c16.per_s >= 5 * signFloor },
      issue_c16_p99_under_50ms: { value: issue_c16.p99_ms, met: issue_c16.p99_ms < 50 },
      issue_errors_zero: {
        value: issue_c1.errors + issue_c16.errors + issue_c64.errors,
        met: issue_c1.errors + issue_c16.errors + issue_c64.errors === 0,
      },
      verify_c16_vs_5x_floor: { value: round(verify_c16.per_s / (5 * verifyFloor)), met: verify_c16.per_s >= 5 * verifyFloor },
      read_credential_5000_per_s: { value: read_credential_c64.per_s, met: read_credential_c64.per_s >= 5000 },
      status_list_5000_per_s: { value: status_list_c64.per_s, met: status_list_c64.per_s >= 5000 },
      batch_at_least_single_issue_rate: { value: round(batchResult.per_s / issue_c16.per_s), met: batchResult.per_s >= issue_c16.per_s },
      rss_under_400_mb: { value: measured.rss, met: measured.rss < 400 },
    },
  };
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench/results/latest.json'), JSON.stringify(results, null, 2) + '\n');
  const rows: Array<Array<string | number>> = [
    ['measure', 'per s', 'p50 ms', 'p99 ms', 'errors'],
    ['floor sign (stock vc.issue, 1 core)', floor.sign_per_s_per_core, floor.sign_median_ms, '', ''],
    ['floor verify (stock, 1 core)', floor.verify_per_s_per_core, floor.verify_median_ms, '', ''],
    ['our sign path (1 core)', floor.ours_sign_per_s_per_core, floor.ours_sign_median_ms, '', ''],
    ['our verify path (1 core)', floor.ours_verify_per_s_per_core, floor.ours_verify_median_ms, '', ''],
    ...(['issue_c1', 'issue_c16', 'issue_c64', 'verify_c16', 'read_credential_c64', 'status_list_c64'] as const).map((k) => [
      k,
      results[k].per_s,
      results[k].p50_ms,
      results[k].p99_ms,
      results[k].errors,
    ]),
    [`batch_${batchSize} (${batchResult.seconds} s)`, batchResult.per_s, '', '', batchResult.failed],
  ];
  process.stdout.write(`${results.machine}; ${results.database}; ${webConcurrency} server process(es); ${DURATION_S}s per load\n`);
  for (const row of rows) process.stdout.write(row.map((c, i) => String(c).padEnd(i === 0 ? 36 : 10)).join('') + '\n');
  process.stdout.write(
    `soak ${soak.seconds}s mixed: issue ${soak.issue.per_s}/s, verify ${soak.verify.per_s}/s, read ${soak.read.per_s}/s, errors ${soak.errors}, ` +
      `rss ${soak.rss_mb_first_third} → ${soak.rss_mb_last_third} MB (max ${soak.rss_mb_max})\n`,
  );
  for (const [name, target] of Object.entries(results.targets)) {
    process.stdout.write(`target ${name.padEnd(34)} ${String(target.value).padEnd(10)} ${target.met ? 'met' : 'MISSED'}\n`);
  }
  process.stdout.write(`rss max ${results.rss_mb_max} MB; wrote bench/results/latest.json\n`);
}

await main();
