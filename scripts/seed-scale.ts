/**
 * npm run seed:scale: loads a PostgreSQL database with SEED_COUNT (default 1,000,000) realistic credentials, then checks
 * that every lookup the service makes on a hot path is index-backed and measures it.
 *
 * 1. Migrates DATABASE_URL (default postgres://postgres@127.0.0.1:5432/scale) with the service's migrator.
 * 2. Bootstrap, through the real app in-process (clock moved three years back): 50 issuers with API keys and signing
 *    keys, their achievements and stacks, recognitions and endorsements, and one real signed credential per achievement
 *    (each issued through POST /credentials, so it has its status entry, audit row and claim link; stack credentials
 *    are awarded by the app itself). These credentials are the templates of the bulk rows.
 * 3. Bulk, set-based (INSERT … SELECT over generate_series, one transaction per chunk, time-ordered over three years):
 *    each row is a copy of its achievement's template with its own id, dates, salted recipient hash, status list entry,
 *    proof value and submission, so signed_json has the real size (about 8 KB; they do not verify). With every credential
 *    the rows issuance writes: its status entry (a random index in the issuer's open list; a new list when one reaches
 *    capacity), the credential.issue audit row and the claim link. Also: revocations and suspensions with their history
 *    and audit rows, claimed and opened claim links, wallet links, and stack credentials with their awards whenever an
 *    earner completes a stack. Issuers are Zipf-sized; earners hold a few credentials each, mostly from one issuer.
 *    The run is resumable: a chunk commits together with its progress marker (settings 'seed-scale').
 * 4. VACUUM ANALYZE; EXPLAIN (ANALYZE, BUFFERS) of every repository query on a hot path, with realistic parameters
 *    (the SQL is captured from the repository functions themselves); latency (p50/p99 over random existing keys);
 *    storage per table and index, bytes per credential.
 *
 * Exit status 1 when a lookup runs a Seq Scan on a big table (>= BIG_TABLE_ROWS rows, default 1,000: at scale, the tables
 * that grow with issuance): those need an index.
 * A database seeded to SEED_COUNT is not seeded again (only checked and measured); one with other data is refused.
 * Signing keys are sealed with MASTER_KEY (base64) or, unset, a fixed throwaway key: this is a scratch database.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Kysely, PostgresDialect, type CompiledQuery, type Transaction } from 'kysely';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { connect } from '../src/db/connect.js';
import type { Database } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import * as achievementsRepo from '../src/db/repositories/achievements.js';
import * as apiKeysRepo from '../src/db/repositories/api-keys.js';
import * as auditRepo from '../src/db/repositories/audit.js';
import * as credentialsRepo from '../src/db/repositories/credentials.js';
import * as earnerRepo from '../src/db/repositories/earner.js';
import * as issuersRepo from '../src/db/repositories/issuers.js';
import * as programmesRepo from '../src/db/repositories/programmes.js';
import * as stacksRepo from '../src/db/repositories/stacks.js';
import * as statusRepo from '../src/db/repositories/status-lists.js';
import { createKeyring } from '../src/keys/keyring.js';
import { createSecretBox } from '../src/keys/master-key.js';
import { assertMasterKey } from '../src/services/bootstrap.js';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/scale';
const SEED_COUNT = positiveInt('SEED_COUNT', 1_000_000);
const CHUNK = positiveInt('SEED_CHUNK', 20_000);
const RUNS = positiveInt('LATENCY_RUNS', 200);
const BIG_TABLE_ROWS = positiveInt('BIG_TABLE_ROWS', 1_000);
const ISSUERS = positiveInt('SEED_ISSUERS', 50);
const PUBLIC_URL = (process.env.PUBLIC_URL ?? 'https://credentials.educator-badges.example').replace(/\/$/, '');
const MASTER_KEY = process.env.MASTER_KEY ? Buffer.from(process.env.MASTER_KEY, 'base64') : Buffer.alloc(32, 0x5c);
const MARKER = 'seed-scale';
const DAY_MS = 86_400_000;
const YEARS = 3;

// Shape of the data (shares of credentials).
const REVOKED = 0.01;
const SUSPENDED = 0.003;
const WITH_IDEMPOTENCY_KEY = 0.9;
const CLAIMED = 0.15; // picked up by a wallet (claim link used, DID-authenticated)
const OPENED = 0.3; // claim page opened, not (yet) picked up
const WALLET_LINK = 0.03; // a platform asked for a wallet link for the earner
const HOME_ISSUER = 0.8; // share of an earner's credentials from their main issuer
const CREDENTIALS_PER_EARNER = 4;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return value;
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtSecs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const fmtBytes = (b: number) =>
  b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(2)} GB` : b >= 1024 ** 2 ? `${(b / 1024 ** 2).toFixed(1)} MB` : `${(b / 1024).toFixed(0)} kB`;

/** A plain-text table: columns listed in `left` are left-aligned, the others right-aligned; `notes[i]` goes under row i. */
function table(headers: string[], rows: string[][], left: number[] = [0], notes: string[] = []): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (left.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  out(line(headers));
  out(widths.map((w) => '-'.repeat(w)).join('  '));
  rows.forEach((r, i) => {
    out(line(r));
    if (notes[i]) out(`    ${notes[i]}`);
  });
}

interface Marker {
  state: 'bootstrapping' | 'bulk' | 'seeded';
  target: number;
  t0: string;
  tEnd: string;
  publicUrl: string;
  /** Next bulk row number. */
  n: number;
  timings: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------------------------
// Bootstrap through the app

interface Catalogue {
  achievements: Array<{ key: string; definition: Record<string, unknown> }>;
  stacks: Array<{ key: string; definition: Record<string, unknown> }>;
  recognitions: Array<Record<string, unknown>>;
  endorsements: Array<{ comment: string }>;
}

const PLACES = (
  'Brightwater,Northfield,Cedar Valley,Harbor Point,Riverbend,Stonebridge,Maple Ridge,Lakeshore,Pine Hollow,' +
  'Eastgate,Silver Creek,Westbrook,Oak Plains,Fairhaven,Granite Falls,Willow Park,Redwood Coast,Clearwater,' +
  'Highland,Summit County,Bayview,Elm Grove,Foxborough,Kingsport,Meadowlands,Ashford,Bluewater,Crescent City,' +
  'Deer Valley,Evergreen,Glenmoor,Hillcrest,Ironwood,Juniper Flats,Lincoln Heights,Millbrook,Newhaven,' +
  'Orchard Hills,Prairie View,Quarry Lake,Rosewood,Sandstone,Timberline,Union Springs,Valley Forge,Whitfield,' +
  'Yellow Pine,Zephyr Bay,Amberfield,Birchwood'
).split(',');
const FIRST = (
  'Amara Daniel Priya Jordan Maria Wei Fatima Liam Sofia Kwame Elena Mateo Aisha Noah Yuki Grace Omar Chloe Diego ' +
  'Hannah Ravi Leila Samuel Ingrid Tariq Nadia Lucas Mei Kofi Ana Ethan Zara Hiroshi Olivia Javier Amina Connor ' +
  'Lucia Emeka Sara'
).split(' ');
const LAST = (
  'Okafor Reyes Natarajan Rivera Garcia Chen Hassan Murphy Rossi Mensah Petrova Lopez Bello Smith Tanaka Kim ' +
  'Farouk Dubois Hernandez Schmidt Patel Haddad Johnson Larsen Aziz Novak Silva Wang Asante Costa Walker Khan ' +
  "Sato Brown Moreno Diallo O'Neil Romano Eze Cohen"
).split(' ');
const REASONS = [
  'Issued in error: wrong achievement selected by the platform',
  'Assessment under review after a plagiarism report',
  'Evidence could not be verified by the assessor',
  'Duplicate award: the earner already holds this credential',
];

interface IssuerPlan {
  no: number;
  name: string;
  host: string;
  kind: 'provider' | 'district' | 'university' | 'state-agency' | 'review-panel';
  weight: number;
}

function issuerPlans(): IssuerPlan[] {
  const raw = Array.from({ length: ISSUERS }, (_, i) => (i + 1) ** -0.8);
  const sum = raw.reduce((a, b) => a + b, 0);
  const special: Record<number, IssuerPlan['kind']> = { 2: 'state-agency', 9: 'state-agency', 23: 'state-agency', 13: 'review-panel' };
  const cycle: IssuerPlan['kind'][] = ['provider', 'district', 'university', 'district', 'provider'];
  return raw.map((w, i) => {
    const kind = special[i] ?? cycle[i % cycle.length]!;
    const place = `${PLACES[i % PLACES.length]!}${i >= PLACES.length ? ` ${Math.floor(i / PLACES.length) + 1}` : ''}`;
    const name = {
      provider: `${place} Educator Learning Collaborative`,
      district: `${place} Unified School District`,
      university: `${place} University School of Education`,
      'state-agency': `${place} State Department of Education`,
      'review-panel': `${place} Micro-credential Review Panel`,
    }[kind];
    const host = `${place.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${kind}.example`;
    return { no: i, name, host, kind, weight: w / sum };
  });
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

async function bootstrap(db: Kysely<Database>, t0: Date): Promise<void> {
  const catalogue = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./demo-catalogue.json', import.meta.url)), 'utf8')) as Catalogue;
  const box = createSecretBox(MASTER_KEY);
  const keyring = createKeyring(box);
  await assertMasterKey(db, box, keyring);
  const started = Date.now();
  // The catalogue exists a day before the first bulk credential; the template credentials are issued then too.
  const clock = () => new Date(t0.getTime() - DAY_MS + (Date.now() - started));
  const app = await buildApp({
    config: {
      publicUrl: PUBLIC_URL,
      allowPrivateFetch: false,
      fetchTimeoutMs: 2000,
      fetchMaxBytes: 1_048_576,
      bodyLimitBytes: 262_144,
      rateLimitPerMinute: 1_000_000_000,
      rateLimitKeyPerMinute: 1_000_000_000,
    },
    db,
    keyring,
    box,
    logger: false,
    clock,
  });
  try {
    const call = async (method: 'POST' | 'GET', url: string, key: string, payload?: unknown, headers: Record<string, string> = {}) => {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...headers }, payload: payload as object });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body.slice(0, 500)}`);
      return res;
    };
    const plans = issuerPlans();
    const maxWeight = plans[0]!.weight;
    const issuers: Array<IssuerPlan & { apiKey: string; id: string; achievements: string[]; definitions: Record<string, unknown>[] }> = [];
    for (const plan of plans) {
      const { issuer, apiKey } = await app.services.issuers.createIssuer({
        name: plan.name,
        url: `https://www.${plan.host}`,
        description: `${plan.name} (fictional) designs and awards competency-based micro-credentials for practising educators.`,
        didMethod: plan.no % 5 === 4 ? 'key' : 'web',
        proofType: plan.no % 10 === 7 ? 'Ed25519Signature2020' : 'eddsa-rdfc-2022',
      });
      issuers.push({ ...plan, apiKey: apiKey.apiKey, id: issuer.id, achievements: [], definitions: [] });
    }
    let catalogueIndex = 0;
    for (const issuer of issuers) {
      const count = 3 + Math.round((9 * issuer.weight) / maxWeight);
      for (let j = 0; j < count; j++) {
        const source = catalogue.achievements[catalogueIndex++ % catalogue.achievements.length]!.definition;
        // The catalogue's definitions trimmed to a typical micro-credential (two rubric criteria with their level
        // descriptions, one alignment, two pieces of evidence): about 8 KB signed (the test factory's is 6 KB).
        const definition = {
          ...source,
          rubric: (source.rubric as unknown[]).slice(0, 2),
          alignments: (source.alignments as unknown[]).slice(0, 1),
          evidenceRequirements: (source.evidenceRequirements as unknown[]).slice(0, 2),
          creator: { name: issuer.name, url: `https://www.${issuer.host}` },
        };
        const res = await call('POST', '/achievements', issuer.apiKey, definition);
        issuer.achievements.push(res.json<{ id: string }>().id);
        issuer.definitions.push(definition);
      }
    }
    // Stacks: every third issuer with four or more achievements bundles its first three.
    const stacks: Array<{ issuer: (typeof issuers)[number]; id: string; components: string[] }> = [];
    for (const issuer of issuers) {
      if (issuer.no % 3 !== 0 || issuer.achievements.length < 4) continue;
      const source = catalogue.stacks[stacks.length % catalogue.stacks.length]!.definition;
      const components = issuer.achievements.slice(0, 3);
      const stack = {
        requirements: [{ name: 'Core micro-credentials', components: components.map((achievementId) => ({ achievementId })) }],
      };
      const res = await call('POST', '/achievements', issuer.apiKey, {
        ...source,
        creator: { name: issuer.name, url: `https://www.${issuer.host}` },
        stack,
      });
      stacks.push({ issuer, id: res.json<{ id: string }>().id, components });
    }
    // Recognitions by the state agencies and universities; endorsements by the review panel (embedded in later credentials).
    const others = (self: string) => issuers.filter((i) => i.id !== self).flatMap((i) => i.achievements);
    let r = 0;
    for (const recognizer of issuers.filter((i) => i.kind === 'state-agency' || i.kind === 'university')) {
      const pool = [...others(recognizer.id), ...stacks.map((s) => s.id)];
      const n = recognizer.kind === 'state-agency' ? 15 : 4;
      for (let j = 0; j < n; j++) {
        const source = catalogue.recognitions[r++ % catalogue.recognitions.length]!;
        await call('POST', '/recognitions', recognizer.apiKey, {
          recognizerType: recognizer.kind === 'state-agency' ? 'state-agency' : 'university',
          purpose: recognizer.kind === 'state-agency' ? source.purpose : 'graduate-credit',
          amount: source.amount,
          jurisdiction: `${recognizer.name} (fictional jurisdiction)`,
          effectiveFrom: '2023-01-01',
          note: source.note,
          achievementId: pool[(j * 7919 + recognizer.no) % pool.length]!,
        });
      }
    }
    // The review panel endorses one achievement of five mid-sized issuers; credentials of those carry the endorsement.
    const panel = issuers.find((i) => i.kind === 'review-panel')!;
    for (const issuer of issuers.slice(5, 10)) {
      await call('POST', '/endorsements', panel.apiKey, {
        subject: { achievementId: issuer.achievements[1]! },
        comment: catalogue.endorsements[issuer.no % catalogue.endorsements.length]!.comment,
      });
    }
    // One real credential per achievement (the templates); a stack's components go to one earner, so the app awards the stack.
    let sub = 100_000;
    for (const issuer of issuers) {
      const stack = stacks.find((s) => s.issuer === issuer);
      for (const [j, achievementId] of issuer.achievements.entries()) {
        const definition = issuer.definitions[j]!;
        const rubric = (definition.rubric ?? []) as Array<{ key: string; levels: Array<{ key: string }> }>;
        const evidence = (definition.evidenceRequirements ?? []) as Array<{ name: string }>;
        const person = stack?.components.includes(achievementId) ? 0 : j + 1;
        const first = FIRST[(issuer.no * 7 + person) % FIRST.length]!;
        const last = LAST[(issuer.no * 11 + person) % LAST.length]!;
        const submission = sub++;
        await call(
          'POST',
          '/credentials',
          issuer.apiKey,
          {
            achievement: { id: achievementId },
            recipient: {
              identity: `${first}.${last}.${issuer.no}.${person}@staff.${issuer.host}`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
              name: `${first} ${last}`,
            },
            results: rubric.map((c, k) => ({ criterion: c.key, level: c.levels[c.levels.length - 1 - ((k + j) % 2)]!.key })),
            evidence: evidence.map((e) => ({
              url: `https://portfolio.${issuer.host}/submissions/${submission}/${slug(e.name)}`,
              name: e.name,
              genre: e.name,
            })),
            assessor: {
              name: `${FIRST[(j + 3) % FIRST.length]!} ${LAST[(j + 5) % LAST.length]!}`,
              qualification: 'Trained micro-credential assessor',
              organization: { name: issuer.name, url: `https://www.${issuer.host}` },
            },
          },
          { 'idempotency-key': crypto.randomUUID() },
        );
      }
    }
  } finally {
    await app.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Templates: the bootstrap's real credentials with their per-credential values replaced by format() placeholders

const TOKENS = {
  url: '@@SEED_URL@@',
  ts: '@@SEED_TS@@',
  hash: '@@SEED_HASH@@',
  salt: '@@SEED_SALT@@',
  source: '@@SEED_SOURCE@@',
  list: '@@SEED_LIST@@',
  idx: '@@SEED_IDX@@',
  proof: '@@SEED_PROOF@@',
  submission: '@@SEED_SUB@@',
  name: '@@SEED_NAME@@',
} as const;
/** format() argument order. */
const TOKEN_ORDER = ['url', 'ts', 'hash', 'salt', 'source', 'list', 'idx', 'proof', 'submission', 'name'] as const;

type Json = Record<string, unknown>;
const asObjects = (v: unknown): Json[] => (Array.isArray(v) ? v : [v]).filter((x): x is Json => typeof x === 'object' && x !== null);

function toTemplate(text: string): { tmpl: string; proofLen: number } {
  const vc = JSON.parse(text) as Json;
  if (JSON.stringify(vc) !== text) throw new Error('signed_json does not round-trip through JSON.parse/stringify');
  vc.id = TOKENS.url;
  for (const key of ['validFrom', 'awardedDate'] as const) if (typeof vc[key] === 'string') vc[key] = TOKENS.ts;
  let proofLen = 0;
  for (const proof of asObjects(vc.proof)) {
    proof.created = TOKENS.ts;
    proofLen = String(proof.proofValue).length;
    proof.proofValue = TOKENS.proof;
  }
  for (const subject of asObjects(vc.credentialSubject)) {
    for (const id of asObjects(subject.identifier)) {
      if (id.hashed === true) {
        id.identityHash = `sha256$${TOKENS.hash}`;
        if (typeof id.salt === 'string') id.salt = TOKENS.salt;
      } else if (id.identityType === 'name') id.identityHash = TOKENS.name;
    }
    for (const source of asObjects(subject.source)) if (String(source.id).startsWith('urn:uuid:')) source.id = `urn:uuid:${TOKENS.source}`;
  }
  const status = asObjects(vc.credentialStatus)[0];
  if (status === undefined) throw new Error('template credential has no credentialStatus');
  status.id = `${TOKENS.list}#${TOKENS.idx}`;
  status.statusListIndex = TOKENS.idx;
  status.statusListCredential = TOKENS.list;
  let tmpl = JSON.stringify(vc)
    .replaceAll('%', '%%')
    .replace(/\/submissions\/\d+\//g, `/submissions/${TOKENS.submission}/`);
  TOKEN_ORDER.forEach((token, i) => {
    tmpl = tmpl.replaceAll(TOKENS[token], `%${i + 1}$s`);
  });
  return { tmpl, proofLen };
}

// ---------------------------------------------------------------------------------------------------------------
// Bulk loading

/**
 * A bijection of [0, 2^17) salted per list (affine step, then xorshift-multiply rounds), as one SQL expression of `pos`
 * and `salt`: the bulk takes a list's indexes in this order, skipping any already in use.
 */
const MIX = (() => {
  const x1 = `((pos * ((salt & 131071) | 1) + ((salt >> 8) & 131071)) & 131071)`;
  const x2 = `(((${x1} # (${x1} >> 7)) * 92821) & 131071)`;
  const x3 = `(((${x2} # (${x2} >> 9)) * 48271) & 131071)`;
  return `((${x3} # (${x3} >> 8))::int)`;
})();

interface ListState {
  listId: string;
  seq: number;
  used: number;
  capacity: number;
}

class Bulk {
  private readonly lists = new Map<number, ListState>();
  private readonly issuerIds = new Map<number, string>();
  private slots: number[] = [];

  /** Milliseconds per kind of statement, for SEED_PROFILE=1. */
  readonly profile = new Map<string, number>();

  constructor(
    private readonly client: pg.Client,
    private readonly marker: Marker,
  ) {}

  private async q<R extends pg.QueryResultRow = pg.QueryResultRow>(
    label: string,
    text: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    const t = performance.now();
    try {
      return await this.client.query<R>(text, params);
    } finally {
      this.profile.set(label, (this.profile.get(label) ?? 0) + performance.now() - t);
    }
  }

  /** Session temp tables: issuers, templates, stacks; and the open status list of each issuer. */
  async prepare(): Promise<{ templates: number; stacks: number; bootstrapCredentials: number }> {
    const c = this.client;
    await this.q('setup', `set synchronous_commit = off`);
    await this.q('setup', `set work_mem = '64MB'`);
    await this.q(
      'setup',
      `create temp table seed_iss (issuer_no int primary key, issuer_id text not null, api_key_id text not null,
      host text not null, tmpl_first int not null, tmpl_count int not null)`,
    );
    await this.q(
      'setup',
      `create temp table seed_tmpl (tmpl_no int primary key, achievement_id text not null, version int not null,
      proof_type text not null, tmpl text not null, proof_len int not null, detail text not null)`,
    );
    await this.q('setup', `create temp table seed_stack (stack_id text primary key, issuer_no int not null, tmpl_no int not null)`);
    const t0 = new Date(this.marker.t0);
    const issuers = (
      await c.query<{ id: string; name: string; url: string; api_key_id: string }>(
        `select i.id, i.name, i.url, (select k.id from api_keys k where k.issuer_id = i.id order by k.created_at, k.id limit 1) as api_key_id
         from issuers i order by i.created_at, i.id`,
      )
    ).rows;
    const plans = issuerPlans();
    const templates = (
      await c.query<{
        id: string;
        issuer_id: string;
        achievement_id: string;
        achievement_version: number;
        proof_type: string;
        signed_json: string;
      }>(
        `select distinct on (achievement_id) id, issuer_id, achievement_id, achievement_version, proof_type, signed_json
         from credentials where created_at < $1 order by achievement_id, created_at`,
        [t0],
      )
    ).rows;
    const stackIds = new Set(
      (await c.query<{ stack_id: string }>(`select distinct stack_id from stack_components`)).rows.map((r) => r.stack_id),
    );
    let tmplNo = 0;
    const stackRows: unknown[][] = [];
    for (const [no, issuer] of issuers.entries()) {
      this.issuerIds.set(no, issuer.id);
      const own = templates.filter((t) => t.issuer_id === issuer.id).sort((a, b) => (a.achievement_id < b.achievement_id ? -1 : 1));
      const components = own.filter((t) => !stackIds.has(t.achievement_id));
      const host = new URL(issuer.url).host.replace(/^www\./, '');
      if (components.length === 0) throw new Error(`issuer ${issuer.name} has no template credential`);
      await this.q('setup', `insert into seed_iss values ($1, $2, $3, $4, $5, $6)`, [
        no,
        issuer.id,
        issuer.api_key_id,
        host,
        tmplNo,
        components.length,
      ]);
      for (const t of [...components, ...own.filter((x) => stackIds.has(x.achievement_id))]) {
        const { tmpl, proofLen } = toTemplate(t.signed_json);
        const isStack = stackIds.has(t.achievement_id);
        const detail = JSON.stringify({
          achievementId: t.achievement_id,
          achievementVersion: t.achievement_version,
          proofType: t.proof_type,
        });
        await this.q('setup', `insert into seed_tmpl values ($1, $2, $3, $4, $5, $6, $7)`, [
          tmplNo,
          t.achievement_id,
          t.achievement_version,
          t.proof_type,
          tmpl,
          proofLen,
          isStack ? detail.replace(/}$/, ',"stack":true,"components":3}') : detail,
        ]);
        if (isStack) stackRows.push([t.achievement_id, no, tmplNo]);
        tmplNo++;
      }
    }
    for (const row of stackRows) await this.q('setup', `insert into seed_stack values ($1, $2, $3)`, row);
    await this.q('setup', `analyze seed_iss; analyze seed_tmpl; analyze seed_stack`);

    // 1000 slots by issuer weight: an issuer's share of all credentials (Zipf, s = 0.8).
    const weightOf = new Map(plans.map((p) => [p.name, p.weight]));
    const weights = issuers.map((i) => weightOf.get(i.name) ?? 0);
    const total = weights.reduce((a, b) => a + b, 0);
    const cumulative = weights.map((_, i) => weights.slice(0, i + 1).reduce((a, b) => a + b, 0) / total);
    this.slots = Array.from({ length: 1000 }, (_, s) =>
      Math.max(
        0,
        cumulative.findIndex((c) => (s + 0.5) / 1000 <= c),
      ),
    );
    // Every template must format into valid JSON.
    await this.q(
      'setup',
      `select format(tmpl, 'https://a/credentials/' || gen_random_uuid(), '2024-01-01T00:00:00Z', repeat('a', 64), repeat('b', 32),
                     gen_random_uuid()::text, 'https://a/status-lists/x', '1', 'zabc', '123', 'A B')::json from seed_tmpl`,
    );

    const open = (
      await c.query<{ id: string; issuer_id: string; seq: number; capacity: number; used: string }>(
        `select l.id, l.issuer_id, l.seq, l.capacity, (select count(*) from status_entries e where e.list_id = l.id) as used
         from status_lists l where l.purpose = 'revocation' and not l.full`,
      )
    ).rows;
    const noOf = new Map([...this.issuerIds].map(([no, id]) => [id, no]));
    for (const l of open) this.lists.set(noOf.get(l.issuer_id)!, { listId: l.id, seq: l.seq, used: Number(l.used), capacity: l.capacity });
    const boot = await c.query<{ n: string }>(`select count(*) as n from credentials where created_at < $1`, [t0]);
    return { templates: templates.length, stacks: stackRows.length, bootstrapCredentials: Number(boot.rows[0]!.n) };
  }

  /** One chunk in one transaction: `count` bulk credentials, then the stack credentials they complete (at most `stackCap`). */
  async chunk(count: number, stackCap: number, bulkTotal: number): Promise<{ stacks: number }> {
    const t0 = new Date(this.marker.t0).getTime() / 1000;
    const tEnd = new Date(this.marker.tEnd).getTime() / 1000;
    await this.q('commit', 'begin');
    try {
      await this.q(
        'plan rows',
        `create temp table batch on commit drop as
         with g as materialized (
           select n, random() u_r, random() u_h, random() u_i, random() u_a, random() u_s, random() u_l, random() u_w,
                  random() u_k, random() u_t, random() u_d, random() u_e
           from generate_series($1::bigint, $1::bigint + $2::int - 1) n
         ), p as (
           select g.*, floor(power(u_r, 1.2) * $4::int)::int as rno,
                  to_timestamp($5::float8 + ($6::float8 - $5::float8) * sqrt((n + u_t) / $3::float8)) as created_at
           from g
         ), q as (
           select p.*, case when u_h < $8::float8
                         then ($7::int[])[1 + floor((rno * 0.6180339887498949 - floor(rno * 0.6180339887498949)) * 1000)::int]
                         else ($7::int[])[1 + floor(u_i * 1000)::int] end as issuer_no
           from p
         )
         select gen_random_uuid() as id, q.issuer_no, i.issuer_id, i.api_key_id, i.host, t.tmpl_no, t.achievement_id,
                encode(sha256(convert_to('seed-scale-recipient:' || q.rno, 'UTF8')), 'hex') as rh, q.created_at,
                case when u_k < $9::float8 then gen_random_uuid()::text end as idem,
                case when u_s < $10::float8 then 'revoked' when u_s < $10::float8 + $11::float8 then 'suspended' else 'active' end as status,
                least(q.created_at + u_d * interval '20 days', now()) as status_at,
                u_l, u_w, u_e, n as submission, null::text as components,
                row_number() over (partition by q.issuer_no order by q.n) as rn
         from q join seed_iss i on i.issuer_no = q.issuer_no
         join seed_tmpl t on t.tmpl_no = i.tmpl_first + least(floor(q.u_a * i.tmpl_count)::int, i.tmpl_count - 1)`,
        [
          this.marker.n,
          count,
          bulkTotal,
          Math.max(1, Math.floor(this.marker.target / CREDENTIALS_PER_EARNER)),
          t0,
          tEnd,
          this.slots,
          HOME_ISSUER,
          WITH_IDEMPOTENCY_KEY,
          REVOKED,
          SUSPENDED,
        ],
      );
      await this.materialize('batch');
      let stacks = 0;
      if (stackCap > 0) {
        // Earners of this chunk who now hold an active credential of every component of a stack, not yet awarded:
        // awarded when the last component arrived, as the app does in that component's transaction.
        const res = await this.q(
          'stack detection',
          `create temp table sbatch on commit drop as
           with touched as (
             select distinct b.rh from batch b where b.achievement_id in (select component_id from stack_components)
           ), held as (
             select distinct on (sc.stack_id, c.recipient_lookup_hash, sc.component_id)
                    sc.stack_id, c.recipient_lookup_hash as rh, c.credential_url, c.created_at
             from touched t
             join credentials c on c.recipient_lookup_hash = t.rh
             join stack_components sc on sc.component_id = c.achievement_id
             where c.status = 'active'
             order by sc.stack_id, c.recipient_lookup_hash, sc.component_id, c.created_at
           ), done as (
             select stack_id, rh, max(created_at) as created_at, count(*) as n,
                    json_agg(credential_url order by created_at)::text as components
             from held group by stack_id, rh
           ), need as (select stack_id, count(*) as n from stack_components group by stack_id)
           select gen_random_uuid() as id, s.issuer_no, i.issuer_id, null::text as api_key_id, i.host, s.tmpl_no, d.stack_id as achievement_id,
                  d.rh, d.created_at, null::text as idem, 'active'::text as status, d.created_at as status_at,
                  random() as u_l, 1.0::float8 as u_w, random() as u_e, 0::bigint as submission, d.components,
                  row_number() over (partition by s.issuer_no order by d.created_at, d.rh) as rn
           from done d join need using (stack_id)
           join seed_stack s on s.stack_id = d.stack_id join seed_iss i on i.issuer_no = s.issuer_no
           where d.n = need.n
             and not exists (select 1 from stack_awards a where a.stack_id = d.stack_id and a.recipient_lookup_hash = d.rh)
           order by d.created_at
           limit $1`,
          [stackCap],
        );
        stacks = res.rowCount ?? 0;
        if (stacks > 0) {
          await this.materialize('sbatch');
          await this.q(
            'stack_awards',
            `insert into stack_awards (id, stack_id, recipient_lookup_hash, credential_id, created_at)
             select gen_random_uuid()::text, achievement_id, rh, id::text, created_at from sbatch order by created_at`,
          );
          await this.q(
            'audit',
            `insert into audit_events (issuer_id, actor, action, target, outcome, detail, at)
             select issuer_id, 'system', 'stack.award', $1 || '/credentials/' || id, 'success',
                    json_build_object('stackId', achievement_id, 'components', components::json)::text, created_at
             from sbatch order by created_at`,
            [PUBLIC_URL],
          );
        }
      }
      this.marker.n += count;
      await this.q('commit', `update settings set value = $1 where key = $2`, [JSON.stringify(this.marker), MARKER]);
      await this.q('commit', 'commit');
      return { stacks };
    } catch (error) {
      await this.q('rollback', 'rollback');
      throw error;
    }
  }

  /** Inserts the credentials planned in `tbl` with everything issuance writes beside them. */
  private async materialize(tbl: 'batch' | 'sbatch'): Promise<void> {
    const c = this.client;
    const counts = (
      await c.query<{ issuer_no: number; n: number; first_at: Date }>(
        `select issuer_no, count(*)::int as n, min(created_at) as first_at from ${tbl} group by issuer_no order by issuer_no`,
      )
    ).rows;
    // Status list segments: fill each issuer's open list to capacity, then start its next list.
    const segs: Array<[number, string, number, number, number]> = [];
    for (const { issuer_no: no, n, first_at: firstAt } of counts) {
      let remaining = n;
      let rnFrom = 1;
      while (remaining > 0) {
        let list = this.lists.get(no);
        if (list === undefined || list.used >= list.capacity) {
          const next: ListState = { listId: crypto.randomUUID(), seq: (list?.seq ?? 0) + 1, used: 0, capacity: list?.capacity ?? 98_304 };
          if (list !== undefined) await this.q('status_lists', `update status_lists set "full" = true where id = $1`, [list.listId]);
          await this.q(
            'status_lists',
            `insert into status_lists (id, issuer_id, purpose, seq, size, capacity, created_at) values ($1, $2, 'revocation', $3, 131072, $4, $5)`,
            [next.listId, this.issuerIds.get(no), next.seq, next.capacity, firstAt],
          );
          this.lists.set(no, next);
          list = next;
        }
        const take = Math.min(remaining, list.capacity - list.used);
        segs.push([no, list.listId, rnFrom, take, list.used]);
        list.used += take;
        remaining -= take;
        rnFrom += take;
      }
    }
    await this.q(
      'status index allocation',
      `create temp table if not exists seed_seg (issuer_no int, list_id text, rn_from int, cnt int, start_pos int)`,
    );
    await this.q('status index allocation', `truncate seed_seg`);
    await this.q(
      'status index allocation',
      `insert into seed_seg select * from unnest($1::int[], $2::text[], $3::int[], $4::int[], $5::int[])`,
      [segs.map((s) => s[0]), segs.map((s) => s[1]), segs.map((s) => s[2]), segs.map((s) => s[3]), segs.map((s) => s[4])],
    );
    await this.q(
      'status index allocation',
      `create temp table ${tbl}_alloc on commit drop as
       select s.issuer_no, s.rn_from + x.k - 1 as rn, s.list_id, x.idx
       from seed_seg s cross join lateral (
         select idx, row_number() over (order by pos) as k
         from (select pos, ${MIX} as idx
               from generate_series(s.start_pos::bigint, s.start_pos::bigint + s.cnt + 255) pos,
                    lateral (select hashtext(s.list_id)::bigint as salt) h) cand
         where not exists (select 1 from status_entries e where e.list_id = s.list_id and e.idx = cand.idx)
       ) x
       where x.k <= s.cnt`,
    );
    const allocated = await c.query<{ a: string; b: string }>(
      `select (select count(*) from ${tbl}_alloc) as a, (select count(*) from ${tbl}) as b`,
    );
    if (allocated.rows[0]!.a !== allocated.rows[0]!.b)
      throw new Error(`status index allocation fell short: ${JSON.stringify(allocated.rows[0])}`);

    const P = [PUBLIC_URL, FIRST, LAST, REASONS];
    // Credentials, in time order (the heap is then ordered as a real one is).
    await this.q(
      'credentials',
      `insert into credentials (id, credential_url, issuer_id, achievement_id, achievement_version, recipient_lookup_hash, api_key_id,
         idempotency_key, request_hash, proof_type, signed_json, valid_from, valid_until, created_at, status, status_changed_at, status_reason)
       select b.id::text, $1 || '/credentials/' || b.id, b.issuer_id, t.achievement_id, t.version, b.rh, b.api_key_id, b.idem,
              encode(sha256(uuid_send(b.id) || '\\x72'::bytea), 'hex'), t.proof_type,
              format(t.tmpl,
                $1 || '/credentials/' || b.id,
                to_char(b.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                encode(sha256(uuid_send(b.id) || '\\x69'::bytea), 'hex'),
                substr(md5(b.id::text), 1, 32),
                gen_random_uuid()::text,
                $1 || '/status-lists/' || a.list_id,
                a.idx::text,
                'z' || substr(translate(replace(encode(sha512(uuid_send(b.id)), 'base64'), E'\\n', ''), '+/=0OIl', 'abcdefg'), 1, t.proof_len - 1),
                b.submission::text,
                ($2::text[])[1 + ('x' || substr(b.rh, 1, 6))::bit(24)::int % array_length($2::text[], 1)] || ' ' ||
                  ($3::text[])[1 + ('x' || substr(b.rh, 7, 6))::bit(24)::int % array_length($3::text[], 1)]),
              date_trunc('second', b.created_at), null, b.created_at, b.status,
              case when b.status <> 'active' then b.status_at end,
              case when b.status <> 'active' then ($4::text[])[1 + floor(b.u_e * array_length($4::text[], 1))::int] end
       from ${tbl} b join ${tbl}_alloc a on a.issuer_no = b.issuer_no and a.rn = b.rn join seed_tmpl t on t.tmpl_no = b.tmpl_no
       order by b.created_at`,
      P,
    );
    await this.q(
      'status_entries',
      `insert into status_entries (list_id, idx, credential_id)
       select a.list_id, a.idx, b.id::text from ${tbl} b join ${tbl}_alloc a on a.issuer_no = b.issuer_no and a.rn = b.rn order by b.created_at`,
    );
    await this.q(
      'audit',
      `insert into audit_events (issuer_id, actor, action, target, outcome, detail, at)
       select b.issuer_id, coalesce('apikey:' || b.api_key_id, 'system'), 'credential.issue', $1 || '/credentials/' || b.id, 'success', t.detail,
              b.created_at
       from ${tbl} b join seed_tmpl t on t.tmpl_no = b.tmpl_no order by b.created_at`,
      [PUBLIC_URL],
    );
    // The claim link of every credential: some were opened (a challenge was issued), some picked up by a wallet.
    await this.q(
      'earner_links',
      `create temp table ${tbl}_links on commit drop as
       select gen_random_uuid() as link_id, b.*,
              case when b.u_l < $1::float8 then least(b.created_at + b.u_e * interval '14 days', now()) end as claimed_at,
              case when b.u_l < $1::float8 + $2::float8 then least(b.created_at + b.u_e * interval '30 days', now()) end as used_at
       from ${tbl} b`,
      [CLAIMED, OPENED],
    );
    await this.q(
      'earner_links',
      `insert into earner_links (id, kind, token_hash, issuer_id, credential_id, recipient_lookup_hash, api_key_id, at_issuance, created_at,
         expires_at, revoked_at, last_used_at, claimed_at, holder_did, challenge, challenge_expires_at)
       select link_id::text, 'claim', encode(sha256(uuid_send(link_id)), 'hex'), issuer_id, id::text, null, api_key_id, true, created_at,
              created_at + interval '180 days', null, used_at, claimed_at,
              case when claimed_at is not null then
                'did:key:z6Mk' || substr(translate(replace(encode(sha256(uuid_send(link_id) || '\\x64'::bytea), 'base64'), E'\\n', ''), '+/=0OIl', 'abcdefg'), 1, 44) end,
              case when claimed_at is null and used_at is not null then
                rtrim(translate(encode(sha256(uuid_send(link_id) || '\\x63'::bytea), 'base64'), '+/', '-_'), '=') end,
              case when claimed_at is null and used_at is not null then used_at + interval '24 hours' end
       from ${tbl}_links order by created_at`,
    );
    await this.q(
      'audit',
      `insert into audit_events (issuer_id, actor, action, target, outcome, detail, at)
       select issuer_id, 'system', 'credential.claim', link_id::text, 'success', '{"credentials":1}', claimed_at
       from ${tbl}_links where claimed_at is not null order by claimed_at`,
    );
    // Revocations and suspensions: history, audit, and the revocation list's version bump.
    await this.q(
      'credential_status_events',
      `insert into credential_status_events (credential_id, action, from_status, to_status, reason, api_key_id, at)
       select b.id::text, case b.status when 'revoked' then 'revoke' else 'suspend' end, 'active', b.status,
              ($1::text[])[1 + floor(b.u_e * array_length($1::text[], 1))::int], b.api_key_id, b.status_at
       from ${tbl} b where b.status <> 'active' order by b.status_at`,
      [REASONS],
    );
    await this.q(
      'audit',
      `insert into audit_events (issuer_id, actor, action, target, outcome, detail, at)
       select b.issuer_id, coalesce('apikey:' || b.api_key_id, 'system'), case b.status when 'revoked' then 'credential.revoke' else 'credential.suspend' end,
              $1 || '/credentials/' || b.id, 'success', json_build_object('from', 'active', 'to', b.status)::text, b.status_at
       from ${tbl} b where b.status <> 'active' order by b.status_at`,
      [PUBLIC_URL],
    );
    await this.q(
      'status_lists',
      `update status_lists l set version = l.version + r.n
       from (select a.list_id, count(*) as n from ${tbl} b join ${tbl}_alloc a on a.issuer_no = b.issuer_no and a.rn = b.rn
             where b.status = 'revoked' group by a.list_id) r
       where l.id = r.list_id`,
    );
    // Wallet links a platform asked for (all the earner's credentials), with their audit rows.
    await this.q(
      'earner_links',
      `create temp table ${tbl}_wallet on commit drop as
       select gen_random_uuid() as link_id, issuer_id, rh, api_key_id, least(created_at + u_e * interval '3 days', now()) as at
       from ${tbl} where u_w < $1::float8 and api_key_id is not null`,
      [WALLET_LINK],
    );
    await this.q(
      'earner_links',
      `insert into earner_links (id, kind, token_hash, issuer_id, credential_id, recipient_lookup_hash, api_key_id, at_issuance, created_at, expires_at)
       select link_id::text, 'wallet', encode(sha256(uuid_send(link_id)), 'hex'), issuer_id, null, rh, api_key_id, false, at, at + interval '7 days'
       from ${tbl}_wallet order by at`,
    );
    await this.q(
      'audit',
      `insert into audit_events (issuer_id, actor, action, target, outcome, detail, at)
       select issuer_id, 'apikey:' || api_key_id, 'earner-link.create', link_id::text, 'success',
              json_build_object('kind', 'wallet', 'expiresAt', to_char((at + interval '7 days') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, at
       from ${tbl}_wallet order by at`,
    );
  }
}

async function readMarker(db: Kysely<Database>): Promise<Marker | undefined> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', MARKER).executeTakeFirst();
  return row === undefined ? undefined : (JSON.parse(row.value) as Marker);
}

async function writeMarker(db: Kysely<Database>, marker: Marker): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key: MARKER, value: JSON.stringify(marker) })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(marker) }))
    .execute();
}

async function countCredentials(client: pg.Client): Promise<number> {
  return Number((await client.query<{ n: string }>(`select count(*) as n from credentials`)).rows[0]!.n);
}

/** Signs and caches every status list whose cache is missing or stale, through the app (as a verifier's GET would). */
async function signLists(db: Kysely<Database>): Promise<{ lists: number; ms: number[] }> {
  const box = createSecretBox(MASTER_KEY);
  const app = await buildApp({
    config: { publicUrl: PUBLIC_URL, allowPrivateFetch: false, fetchTimeoutMs: 2000, fetchMaxBytes: 1_048_576, bodyLimitBytes: 262_144 },
    db,
    keyring: createKeyring(box),
    box,
    logger: false,
  });
  try {
    const stale = await db
      .selectFrom('status_lists')
      .select('id')
      .where((eb) => eb.or([eb('signed_version', 'is', null), eb('signed_version', '<>', eb.ref('version'))]))
      .execute();
    const ms: number[] = [];
    for (const { id } of stale) {
      const t = performance.now();
      const res = await app.inject({ method: 'GET', url: `/status-lists/${id}` });
      if (res.statusCode !== 200) throw new Error(`GET /status-lists/${id}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      ms.push(performance.now() - t);
    }
    return { lists: stale.length, ms };
  } finally {
    await app.close();
  }
}

async function seed(db: Kysely<Database>, client: pg.Client): Promise<Marker> {
  let marker = await readMarker(db);
  const existing = await countCredentials(client);
  if (marker === undefined) {
    const issuers = Number((await client.query<{ n: string }>(`select count(*) as n from issuers`)).rows[0]!.n);
    if (issuers > 0 || existing > 0) {
      throw new Error(`the database holds ${issuers} issuers and ${existing} credentials not made by seed:scale; use an empty database`);
    }
    const now = Date.now();
    marker = {
      state: 'bootstrapping',
      target: SEED_COUNT,
      t0: new Date(now - YEARS * 365 * DAY_MS).toISOString(),
      tEnd: new Date(now - 3_600_000).toISOString(),
      publicUrl: PUBLIC_URL,
      n: 0,
      timings: {},
    };
    await writeMarker(db, marker);
    out(`Bootstrap through the app: ${ISSUERS} issuers, their achievements, stacks, recognitions, endorsements and template credentials…`);
    const t = performance.now();
    await bootstrap(db, new Date(marker.t0));
    marker.timings.bootstrapMs = performance.now() - t;
    marker.state = 'bulk';
    await writeMarker(db, marker);
    out(`  done in ${fmtSecs(marker.timings.bootstrapMs)}`);
  } else if (marker.state === 'bootstrapping') {
    throw new Error('an earlier seed:scale run stopped during the bootstrap; drop and recreate the database, then run again');
  } else if (marker.state === 'seeded') {
    if (existing >= SEED_COUNT) {
      out(`Already seeded: ${fmtInt(existing)} credentials (SEED_COUNT ${fmtInt(SEED_COUNT)}); not seeding again.`);
      return marker;
    }
    throw new Error(
      `the database was seeded with ${fmtInt(existing)} credentials; for SEED_COUNT ${fmtInt(SEED_COUNT)} start from an empty database`,
    );
  } else if (marker.target !== SEED_COUNT) {
    throw new Error(`an unfinished seed:scale run targets ${fmtInt(marker.target)} credentials, not SEED_COUNT ${fmtInt(SEED_COUNT)}`);
  }
  if (marker.publicUrl !== PUBLIC_URL) throw new Error(`this database was seeded with PUBLIC_URL ${marker.publicUrl}`);

  const bulk = new Bulk(client, marker);
  const prepared = await bulk.prepare();
  let count = await countCredentials(client);
  const bulkTotal = Math.max(1, marker.target - prepared.bootstrapCredentials);
  out(
    `Bulk: ${fmtInt(marker.target - count)} credentials to go (of ${fmtInt(marker.target)}; ${prepared.templates} templates, ` +
      `${prepared.stacks} stacks, chunks of ${fmtInt(CHUNK)})…`,
  );
  const t = performance.now();
  const startCount = count;
  let stacks = 0;
  let nextReport = count + Math.max(CHUNK, Math.floor(marker.target / 10));
  let components = 0;
  while (count < marker.target) {
    // Room is left for the stack credentials a chunk's components complete (at the rate seen so far).
    const rate = components > 0 ? stacks / components : 0.005;
    const n = Math.max(1, Math.min(CHUNK, Math.floor((marker.target - count) / (1 + rate))));
    const result = await bulk.chunk(n, marker.target - count - n, bulkTotal);
    count += n + result.stacks;
    components += n;
    stacks += result.stacks;
    if (count >= nextReport || count >= marker.target) {
      const secs = (performance.now() - t) / 1000;
      out(
        `  ${fmtInt(count).padStart(11)} credentials  ${secs.toFixed(0).padStart(5)} s  ${fmtInt((count - startCount) / secs).padStart(7)}/s`,
      );
      nextReport = count + Math.max(CHUNK, Math.floor(marker.target / 10));
    }
  }
  marker.timings.bulkMs = (marker.timings.bulkMs ?? 0) + (performance.now() - t);
  out(`  bulk done in ${fmtSecs(marker.timings.bulkMs)} (${fmtInt(stacks)} of them stack credentials in this run)`);
  if (process.env.SEED_PROFILE === '1') {
    out(
      `  by statement: ${[...bulk.profile]
        .sort((a, b) => b[1] - a[1])
        .map(([k, ms]) => `${k} ${fmtSecs(ms)}`)
        .join(', ')}`,
    );
  }

  out('Signing the status lists through the app (GET /status-lists/:id, as a verifier would)…');
  const signed = await signLists(db);
  marker.timings.signListsMs = signed.ms.reduce((a, b) => a + b, 0);
  const sorted = [...signed.ms].sort((a, b) => a - b);
  out(
    `  ${signed.lists} lists in ${fmtSecs(marker.timings.signListsMs)}` +
      (sorted.length ? ` (per list: median ${fmtMs(sorted[Math.floor(sorted.length / 2)]!)} ms, max ${fmtMs(sorted.at(-1)!)} ms)` : ''),
  );
  marker.state = 'seeded';
  await writeMarker(db, marker);
  return marker;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks: plans and latency of the repositories' queries

type Db = Kysely<Database>;

interface Lookup {
  /** What the service does with it. */
  readonly name: string;
  readonly keys: unknown[];
  readonly run: (db: Db, key: any) => Promise<unknown>;
  /** Writes: run in a transaction that is rolled back. */
  readonly write?: boolean;
  readonly runs?: number;
  /** The keys EXPLAINed, with a label each (default: the first of `keys`). */
  readonly explain?: ReadonlyArray<readonly [string, unknown]>;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Actual Total Time'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

function walk(node: PlanNode, visit: (n: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

const nodeLabel = (n: PlanNode) =>
  n['Index Name']
    ? `${n['Node Type']} using ${n['Index Name']}`
    : `${n['Node Type']}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}`;

class Rollback extends Error {}

const pick = <T>(values: readonly T[], i: number): T => values[i % values.length]!;
const shuffle = <T>(values: T[]): T[] => {
  for (let i = values.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
};

async function sample<T extends pg.QueryResultRow>(
  client: pg.Client,
  table: string,
  columns: string,
  n: number,
  where = 'true',
): Promise<T[]> {
  const total = Number(
    (await client.query<{ n: number }>(`select reltuples::bigint as n from pg_class where oid = $1::regclass`, [table])).rows[0]!.n,
  );
  const pct = Math.min(100, Math.max(0.001, ((n * 20) / Math.max(total, 1)) * 100));
  let rows = (await client.query<T>(`select ${columns} from ${table} tablesample bernoulli (${pct}) where ${where} limit ${n * 5}`)).rows;
  if (rows.length < n) rows = (await client.query<T>(`select ${columns} from ${table} where ${where} order by random() limit ${n}`)).rows;
  return shuffle(rows).slice(0, n);
}

async function buildLookups(client: pg.Client): Promise<Lookup[]> {
  const n = RUNS;
  const creds = await sample<{
    id: string;
    credential_url: string;
    issuer_id: string;
    recipient_lookup_hash: string;
    achievement_id: string;
  }>(client, 'credentials', 'id, credential_url, issuer_id, recipient_lookup_hash, achievement_id', n, 'recipient_lookup_hash is not null');
  const idem = await sample<{ issuer_id: string; idempotency_key: string }>(
    client,
    'credentials',
    'issuer_id, idempotency_key',
    n,
    'idempotency_key is not null',
  );
  const changed = await sample<{ id: string }>(client, 'credential_status_events', 'credential_id as id', n);
  const links = await sample<{ id: string; token_hash: string; credential_id: string | null }>(
    client,
    'earner_links',
    'id, token_hash, credential_id',
    n,
  );
  const audits = await sample<{ issuer_id: string; id: string }>(client, 'audit_events', 'issuer_id, id::text', n, 'issuer_id is not null');
  const issuersBySize = (
    await client.query<{ issuer_id: string; n: string }>(
      `select issuer_id, count(*) as n from credentials group by issuer_id order by count(*) desc, issuer_id`,
    )
  ).rows;
  const largest = issuersBySize[0]!.issuer_id;
  // Issuer-scoped queries are explained for the largest and the smallest issuer: plans differ with selectivity.
  const byIssuer: Array<[string, unknown]> = [
    [`largest issuer, ${fmtInt(Number(issuersBySize[0]!.n))} credentials`, largest],
    [`smallest issuer, ${fmtInt(Number(issuersBySize.at(-1)!.n))}`, issuersBySize.at(-1)!.issuer_id],
  ];
  // Issuer-scoped calls come in proportion to an issuer's volume: sample issuers by their credentials.
  const issuerKeys = creds.map((c) => c.issuer_id);
  const lists = (await client.query<{ id: string; issuer_id: string; full: boolean }>(`select id, issuer_id, "full" from status_lists`))
    .rows;
  const biggestList = (
    await client.query<{ list_id: string }>(`select list_id from status_entries group by list_id order by count(*) desc limit 1`)
  ).rows[0]!.list_id;
  const openLists = lists.filter((l) => !l.full);
  const achievements = (await client.query<{ id: string }>(`select id from achievements order by id`)).rows.map((r) => r.id);
  const apiKeys = (await client.query<{ id: string }>(`select id from api_keys`)).rows.map((r) => r.id);
  const stackComponents = (await client.query<{ stack_id: string; component_id: string }>(`select * from stack_components`)).rows;
  const stackIds = [...new Set(stackComponents.map((s) => s.stack_id))];
  const componentsOf = (stackId: string) => stackComponents.filter((s) => s.stack_id === stackId).map((s) => s.component_id);
  const awards = await sample<{ stack_id: string; rh: string }>(client, 'stack_awards', 'stack_id, recipient_lookup_hash as rh', n);
  // findAward runs on every component of a stack issued: mostly for earners without the award yet.
  const awardKeys = creds.map((c, i) =>
    i % 4 === 0 && awards.length ? pick(awards, i) : { stack_id: pick(stackIds, i), rh: c.recipient_lookup_hash },
  );
  const recognizers = (await client.query<{ id: string }>(`select distinct recognizer_id as id from recognitions`)).rows.map((r) => r.id);
  const summaries = achievements.slice(0, 12);
  const now = new Date();

  const L: Lookup[] = [
    {
      name: 'credentials: by id (GET /credentials/:id, claim pages)',
      keys: creds.map((c) => c.id),
      run: (db, id) => credentialsRepo.findCredential(db, id),
    },
    {
      name: 'credentials: by credential_url (verifier local status)',
      keys: creds.map((c) => c.credential_url),
      run: (db, u) => credentialsRepo.findByUrl(db, u),
    },
    {
      name: 'credentials: by (issuer_id, idempotency_key) (every keyed POST)',
      keys: idem,
      run: (db, k) => credentialsRepo.findByIdempotencyKey(db, k.issuer_id, k.idempotency_key),
    },
    {
      name: 'credentials: hasIssuedTo (wallet links, stack progress)',
      keys: creds,
      run: (db, c) => credentialsRepo.hasIssuedTo(db, c.issuer_id, c.recipient_lookup_hash),
    },
    {
      name: 'credentials: of recipient (earner wallet page)',
      keys: creds.map((c) => c.recipient_lookup_hash),
      run: (db, h) => earnerRepo.credentialsOfRecipient(db, h),
    },
    {
      name: 'stacks: current credentials of earner (each stack decision)',
      keys: creds.map((c, i) => ({ h: c.recipient_lookup_hash, ids: componentsOf(pick(stackIds, i)) })),
      run: (db, k) => stacksRepo.currentCredentialsOf(db, k.h, k.ids, now),
    },
    { name: 'stack_awards: findAward (each stack decision)', keys: awardKeys, run: (db, k) => stacksRepo.findAward(db, k.stack_id, k.rh) },
    {
      name: 'stack_components: stacks containing (every issuance)',
      keys: creds.map((c) => c.achievement_id),
      run: (db, id) => achievementsRepo.stacksContaining(db, [id]),
    },
    {
      name: 'status_lists: open list of issuer (every issuance)',
      keys: issuerKeys,
      run: (db, id) => statusRepo.findOpenList(db, id, 'revocation'),
      explain: byIssuer,
    },
    {
      name: 'status_lists: start the next list (list rollover)',
      keys: issuerKeys,
      run: (db, id) =>
        statusRepo.createNextList(db, {
          id: crypto.randomUUID(),
          issuerId: id,
          purpose: 'revocation',
          size: 131_072,
          capacity: 98_304,
          at: new Date(),
        }),
      explain: byIssuer,
      write: true,
    },
    {
      name: 'status_entries: claim index (every issuance)',
      keys: openLists.map((l) => l.id),
      run: (db, id) => statusRepo.claimIndex(db, { listId: id, idx: crypto.randomInt(131_072), credentialId: crypto.randomUUID() }),
      write: true,
    },
    {
      name: 'status_entries: count entries of list (1 in 64 issuances)',
      keys: shuffle(lists.map((l) => l.id)),
      run: (db, id) => statusRepo.countEntries(db, id),
      explain: [['fullest list', biggestList]],
      runs: Math.min(n, 100),
    },
    { name: 'status_lists: by id (GET /status-lists/:id)', keys: lists.map((l) => l.id), run: (db, id) => statusRepo.findList(db, id) },
    {
      name: 'status_entries+credentials: revoked indexes of list (re-sign)',
      keys: shuffle(lists.map((l) => l.id)),
      run: (db, id) => statusRepo.setIndexes(db, id, 'revoked'),
      explain: [['fullest list', biggestList]],
      runs: Math.min(n, 30),
    },
    {
      name: 'status_lists: bump versions of credential (revoke)',
      keys: changed.map((c) => c.id),
      run: (db, id) => statusRepo.bumpListVersions(db as Transaction<Database>, id),
      write: true,
    },
    {
      name: 'credential_status_events: history of credential',
      keys: changed.map((c) => c.id),
      run: (db, id) => statusRepo.statusHistory(db, id),
    },
    {
      name: 'audit_events: first page of issuer (GET /audit)',
      keys: issuerKeys,
      run: (db, id) => auditRepo.listAuditEvents(db, { issuerId: id, limit: 51 }),
      explain: byIssuer,
    },
    {
      name: 'audit_events: later page of issuer (cursor)',
      keys: audits,
      run: (db, a) => auditRepo.listAuditEvents(db, { issuerId: a.issuer_id, limit: 51, beforeId: a.id }),
    },
    {
      name: 'audit_events: issuer + action=credential.revoke',
      keys: issuerKeys,
      run: (db, id) => auditRepo.listAuditEvents(db, { issuerId: id, limit: 51, action: 'credential.revoke' }),
      explain: byIssuer,
      runs: Math.min(n, 100),
    },
    {
      name: 'audit_events: issuer + action=earner-link.create',
      keys: issuerKeys,
      run: (db, id) => auditRepo.listAuditEvents(db, { issuerId: id, limit: 51, action: 'earner-link.create' }),
      explain: byIssuer,
      runs: Math.min(n, 100),
    },
    {
      name: 'earner_links: by token_hash (every link page)',
      keys: links.map((l) => l.token_hash),
      run: (db, h) => earnerRepo.findLinkByTokenHash(db, h),
    },
    {
      name: 'earner_links: issuance claim link (keyed replay)',
      keys: creds.map((c) => c.id),
      run: (db, id) => earnerRepo.findIssuanceClaimLink(db, id),
    },
    { name: 'earner_links: by id (DELETE /earner-links/:id)', keys: links.map((l) => l.id), run: (db, id) => earnerRepo.findLink(db, id) },
    {
      name: 'earner_links: touch (every link page)',
      keys: links.map((l) => l.id),
      run: (db, id) => earnerRepo.touchLink(db, id, now),
      write: true,
    },
    {
      name: 'erasure: links of recipient',
      keys: creds,
      run: (db, c) => earnerRepo.eraseRecipientLinks(db, { issuerId: c.issuer_id, lookupHash: c.recipient_lookup_hash, at: now }),
      write: true,
    },
    {
      name: 'erasure: stack awards of recipient',
      keys: creds,
      run: (db, c) => stacksRepo.eraseRecipientAwards(db, { issuerId: c.issuer_id, lookupHash: c.recipient_lookup_hash }),
      write: true,
    },
    {
      name: 'erasure: credentials of recipient',
      keys: creds,
      run: (db, c) => credentialsRepo.eraseRecipient(db, { issuerId: c.issuer_id, lookupHash: c.recipient_lookup_hash, at: now }),
      write: true,
    },
    {
      name: 'reports: completions of issuer by month',
      keys: issuerKeys,
      run: (db, id) => programmesRepo.completionCounts(db, { issuerId: id }, 'month'),
      explain: byIssuer,
      runs: Math.min(n, 50),
    },
    {
      name: 'reports: completions of issuer by year (median issuer)',
      keys: [issuersBySize[Math.floor(issuersBySize.length / 2)]!.issuer_id],
      run: (db, id) => programmesRepo.completionCounts(db, { issuerId: id }, 'year'),
      runs: Math.min(n, 50),
    },
    {
      name: 'reports: completions of recognizer by quarter',
      keys: recognizers,
      run: (db, id) => programmesRepo.completionCounts(db, { recognizerId: id }, 'quarter'),
      runs: Math.min(n, 20),
    },
    { name: 'reports: achievement summaries', keys: [summaries], run: (db, ids) => programmesRepo.achievementSummaries(db, ids) },
    {
      name: 'recognitions: of achievements (credential recognitions)',
      keys: creds.map((c) => c.achievement_id),
      run: (db, id) => programmesRepo.listRecognitions(db, { achievementIds: [id] }),
    },
    {
      name: 'endorsements: to embed (every issuance)',
      keys: creds,
      run: (db, c) => programmesRepo.endorsementsToEmbed(db, { achievementId: c.achievement_id, issuerId: c.issuer_id }, 3),
    },
    {
      name: 'endorsements: of achievement (achievement page)',
      keys: creds.map((c) => c.achievement_id),
      run: (db, id) => programmesRepo.endorsementsOf(db, 'achievement', id),
    },
    { name: 'api_keys: by id (every authenticated request)', keys: apiKeys, run: (db, id) => apiKeysRepo.findApiKey(db, id) },
    { name: 'issuers: by id (every issuance)', keys: issuerKeys, run: (db, id) => issuersRepo.findIssuer(db, id) },
    { name: 'issuer_keys: of issuer (every issuance)', keys: issuerKeys, run: (db, id) => issuersRepo.listIssuerKeys(db, id) },
    {
      name: 'achievement_versions: latest version (every issuance)',
      keys: creds.map((c) => c.achievement_id),
      run: (db, id) => achievementsRepo.findAchievementVersion(db, id),
    },
    {
      name: 'achievements: latest of issuer (GET /achievements)',
      keys: issuerKeys,
      run: (db, id) => achievementsRepo.listLatestAchievements(db, { issuerId: id, limit: 51 }),
    },
  ];
  return L;
}

interface Finding {
  lookup: string;
  sql: string;
  params: readonly unknown[];
  plan: string;
  seqScans: string[];
}

async function check(url: string, client: pg.Client): Promise<{ findings: Finding[] }> {
  const captured: CompiledQuery[] = [];
  let capturing = false;
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (capturing && event.level === 'query') captured.push(event.query);
    },
  });
  const bigTables = new Set(
    (
      await client.query<{ relname: string }>(
        `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind = 'r' and c.reltuples >= $1`,
        [BIG_TABLE_ROWS],
      )
    ).rows.map((r) => r.relname),
  );
  const lookups = await buildLookups(client);
  const execute = async (lookup: Lookup, key: unknown) => {
    if (!lookup.write) return lookup.run(db, key);
    try {
      await db.transaction().execute(async (trx) => {
        await lookup.run(trx, key);
        throw new Rollback();
      });
    } catch (error) {
      if (!(error instanceof Rollback)) throw error;
    }
    return undefined;
  };

  out();
  out(`Plans: EXPLAIN (ANALYZE, BUFFERS) of each repository query (writes rolled back). rows: returned by the top node;`);
  out(`filtered: rows read and thrown away by filters (all loops); buffers: shared hit / read.`);
  out(`Big tables (>= ${fmtInt(BIG_TABLE_ROWS)} rows): ${[...bigTables].sort().join(', ')}`);
  out();
  const planRows: string[][] = [];
  const planNotes: string[] = [];
  const findings: Finding[] = [];
  for (const lookup of lookups) {
    if (lookup.keys.length === 0) {
      planRows.push([lookup.name, '', '', '', '', '']);
      planNotes.push('(no data to look up)');
      continue;
    }
    for (const [label, key] of lookup.explain ?? [['', lookup.keys[0]] as const]) {
      captured.length = 0;
      capturing = true;
      await execute(lookup, key);
      capturing = false;
      const statements = captured.filter((q) => /^[\s(]*(select|insert|update|delete|with)\b/i.test(q.sql));
      for (const [i, q] of statements.entries()) {
        const name = `${lookup.name}${statements.length > 1 ? ` [${i + 1}/${statements.length}]` : ''}${label ? ` (${label})` : ''}`;
        await client.query('begin');
        let plan: { Plan: PlanNode; 'Execution Time': number };
        try {
          plan = (
            await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode; 'Execution Time': number }> }>(
              `explain (analyze, buffers, format json) ${q.sql}`,
              q.parameters as unknown[],
            )
          ).rows[0]!['QUERY PLAN'][0]!;
          const scans: string[] = [];
          walk(plan.Plan, (node) => {
            if (node['Node Type'] === 'Seq Scan' && node['Relation Name'] && bigTables.has(node['Relation Name']))
              scans.push(node['Relation Name']);
          });
          if (scans.length > 0) {
            const text = (
              await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${q.sql}`, q.parameters as unknown[])
            ).rows
              .map((r) => r['QUERY PLAN'])
              .join('\n');
            findings.push({ lookup: name, sql: q.sql, params: q.parameters, plan: text, seqScans: scans });
          }
        } finally {
          await client.query('rollback');
        }
        const top = plan.Plan;
        const access: string[] = [];
        let filtered = 0;
        walk(top, (node) => {
          if (/Scan/.test(node['Node Type'])) {
            const nodeName = nodeLabel(node);
            if (!access.includes(nodeName)) access.push(nodeName);
          }
          filtered += ((node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * (node['Actual Loops'] ?? 1);
        });
        const flagged = findings.some((f) => f.lookup === name) ? '  <-- SEQ SCAN' : '';
        planNotes.push(`${nodeLabel(top)}${access.length && !access.includes(nodeLabel(top)) ? ` <- ${access.join(', ')}` : ''}${flagged}`);
        planRows.push([
          name,
          fmtInt(top['Actual Rows'] ?? 0),
          fmtInt(filtered),
          fmtMs(plan['Execution Time']),
          fmtInt(top['Shared Hit Blocks'] ?? 0),
          fmtInt(top['Shared Read Blocks'] ?? 0),
        ]);
      }
    }
  }
  table(['lookup (indented: plan top node <- its scans)', 'rows', 'filtered', 'ms', 'buf hit', 'read'], planRows, [0], planNotes);

  out();
  out(
    `Latency (client-side, through the repository function and pg; random existing keys; writes inside a rolled-back transaction;` +
      ` ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)} at start):`,
  );
  out();
  const latencyRows: string[][] = [];
  for (const lookup of lookups) {
    if (lookup.keys.length === 0) continue;
    const runs = lookup.runs ?? RUNS;
    const times: number[] = [];
    for (let i = 0; i < Math.min(5, runs); i++) await execute(lookup, pick(lookup.keys, i + 1)); // warm the connection, not the data
    for (let i = 0; i < runs; i++) {
      const key = pick(lookup.keys, i);
      if (lookup.write) {
        let elapsed = 0;
        try {
          await db.transaction().execute(async (trx) => {
            const t = performance.now();
            await lookup.run(trx, key);
            elapsed = performance.now() - t;
            throw new Rollback();
          });
        } catch (error) {
          if (!(error instanceof Rollback)) throw error;
        }
        times.push(elapsed);
      } else {
        const t = performance.now();
        await lookup.run(db, key);
        times.push(performance.now() - t);
      }
    }
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
    latencyRows.push([lookup.name, String(runs), fmtMs(q(0.5)), fmtMs(q(0.99)), fmtMs(times.at(-1)!)]);
  }
  table(['lookup', 'runs', 'p50 ms', 'p99 ms', 'max ms'], latencyRows);
  await db.destroy();
  return { findings };
}

async function storage(client: pg.Client): Promise<void> {
  const tables = (
    await client.query<{ relname: string; rows: string; heap: string; toast: string; indexes: string; total: string }>(
      `select c.relname, c.reltuples::bigint as rows, pg_relation_size(c.oid) as heap,
              coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) as toast,
              pg_indexes_size(c.oid) as indexes, pg_total_relation_size(c.oid) as total
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relkind = 'r' and c.relname not like 'kysely_%'
       order by pg_total_relation_size(c.oid) desc`,
    )
  ).rows;
  const credentials = await countCredentials(client);
  out();
  out('Storage per table (pg_total_relation_size = heap + TOAST + indexes):');
  out();
  table(
    ['table', 'rows', 'heap', 'toast', 'indexes', 'total', 'bytes/row'],
    tables.map((t) => [
      t.relname,
      fmtInt(Number(t.rows)),
      fmtBytes(Number(t.heap)),
      fmtBytes(Number(t.toast)),
      fmtBytes(Number(t.indexes)),
      fmtBytes(Number(t.total)),
      Number(t.rows) > 0 ? fmtInt(Number(t.total) / Number(t.rows)) : '',
    ]),
  );
  const indexes = (
    await client.query<{ index: string; table: string; size: string; def: string }>(
      `select i.indexrelid::regclass::text as index, i.indrelid::regclass::text as table, pg_relation_size(i.indexrelid) as size,
              pg_get_indexdef(i.indexrelid) as def
       from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relname not like 'kysely_%' and pg_relation_size(i.indexrelid) > 65536
       order by pg_relation_size(i.indexrelid) desc`,
    )
  ).rows;
  out();
  out('Indexes (over 64 kB):');
  out();
  table(
    ['index', 'size', 'columns'],
    indexes.map((i) => [i.index, fmtBytes(Number(i.size)), i.def.replace(/^.* USING btree /, '')]),
    [0, 2],
  );
  const total = (name: string) => Number(tables.find((t) => t.relname === name)?.total ?? 0);
  const perCredential = ['credentials', 'status_entries', 'audit_events', 'earner_links'].reduce((a, t) => a + total(t), 0) / credentials;
  const all = tables.reduce((a, t) => a + Number(t.total), 0);
  const json = (
    await client.query<{ chars: string; stored: string }>(
      `select avg(length(signed_json))::int as chars, avg(pg_column_size(signed_json))::int as stored from credentials tablesample system (1)`,
    )
  ).rows[0]!;
  out();
  out(
    `Credentials: ${fmtInt(credentials)}. signed_json: ${fmtInt(Number(json.chars))} characters on average, ${fmtInt(Number(json.stored))} bytes stored (pglz).`,
  );
  out(
    `Bytes per credential (credentials + status_entries + audit_events + earner_links, with indexes and TOAST): ${fmtInt(perCredential)}`,
  );
  out(`Bytes per credential, whole database (every table above): ${fmtInt(all / credentials)}   (database total ${fmtBytes(all)})`);
}

async function main(): Promise<void> {
  const started = performance.now();
  out(`seed:scale  database ${DATABASE_URL.replace(/\/\/[^@/]*@/, '//')}  SEED_COUNT ${fmtInt(SEED_COUNT)}`);
  const database = await connect({ databaseUrl: DATABASE_URL, dataDir: 'unused' });
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  let failed = false;
  try {
    const t = performance.now();
    const applied = await migrateToLatest(database.db, { info: () => {} });
    out(`Migrated (${applied.length} applied now) in ${fmtSecs(performance.now() - t)}`);
    const marker = await seed(database.db, client);

    out('VACUUM (ANALYZE) of every table…');
    const v = performance.now();
    await client.query(`vacuum (analyze)`);
    out(`  done in ${fmtSecs(performance.now() - v)}`);

    await client.query('reset all'); // the bulk's session settings must not change the plans checked
    const { findings } = await check(DATABASE_URL, client);
    await storage(client);

    out();
    const timings = marker.timings;
    out(
      `Seeding time: bootstrap ${fmtSecs(timings.bootstrapMs ?? 0)}, bulk ${fmtSecs(timings.bulkMs ?? 0)}, ` +
        `status list signing ${fmtSecs(timings.signListsMs ?? 0)}; this run ${fmtSecs(performance.now() - started)} in all.`,
    );
    out();
    if (findings.length === 0) {
      out('Every lookup is index-backed: no Seq Scan on a big table.');
    } else {
      failed = true;
      out(`NOT index-backed: ${findings.length} statement(s) run a Seq Scan on a big table.`);
      for (const f of findings) {
        out();
        out(`== ${f.lookup}  (Seq Scan on ${[...new Set(f.seqScans)].join(', ')})`);
        out(f.sql.replace(/\s+/g, ' '));
        out(`  -- parameters: ${JSON.stringify(f.params)}`);
        out(f.plan.replace(/^/gm, '  '));
      }
    }
  } finally {
    await client.end();
    await database.close();
  }
  if (failed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`seed:scale failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
