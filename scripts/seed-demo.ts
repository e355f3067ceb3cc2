/**
 * npm run seed:demo: loads the illustrative demo catalogue (scripts/demo-catalogue.json) through the service's own
 * API: organisations, about 20 micro-credentials, two stacks, recognitions, endorsements and a year of awards to
 * fictional educators (stacks are awarded as their last component arrives). Run it once, with the server stopped
 * when the database is the embedded one; a second run changes nothing, and a run after one that failed part-way
 * refuses (rather than load a second copy beside the first). The organisations' API keys go to
 * DATA_DIR/demo-catalogue.json (mode 0600), never to the terminal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { initSetting } from '../src/db/repositories/settings.js';
import { createLogger } from '../src/logger.js';
import { openRuntime } from '../src/runtime.js';

interface Catalogue {
  notice: string;
  issuers: Array<{ key: string; name: string; url: string; description: string; role: string }>;
  achievements: Array<{ key: string; issuer: string; definition: Record<string, unknown> }>;
  stacks: Array<{
    key: string;
    issuer: string;
    definition: Record<string, unknown>;
    requirements: Array<{ name?: string; minimum?: number; components: string[] }>;
    ordered?: boolean;
    award?: string;
  }>;
  recognitions: Array<{ recognizer: string; achievement: string } & Record<string, unknown>>;
  endorsements: Array<{ endorser: string; subject: { achievement?: string; issuer?: string }; comment: string }>;
  educators: Array<{ email: string; name: string }>;
  awards: Array<{ educator: number; achievement: string; levels: Record<string, string>; daysAgo: number }>;
}

const MARKER = 'demo-catalogue-loaded';
const DAY_MS = 86_400_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const catalogue = JSON.parse(fs.readFileSync(fileURLToPath(new URL('./demo-catalogue.json', import.meta.url)), 'utf8')) as Catalogue;
  const runtime = await openRuntime(config, createLogger({ logLevel: 'warn' }, process.stderr));
  const outFile = path.join(config.dataDir, 'demo-catalogue.json');
  try {
    // The marker is claimed first (atomically: a second, concurrent run sees it) and says "in progress" until the end.
    const started = `in progress since ${new Date().toISOString()}`;
    const done = await initSetting(runtime.database.db, MARKER, started);
    if (done !== started) {
      if (done.startsWith('in progress')) {
        throw new Error(
          `an earlier seed:demo run did not finish (${done}), or one is running now. The catalogue would be loaded twice: ` +
            'start again from an empty database (remove DATA_DIR for the embedded one).',
        );
      }
      process.stdout.write(`The demo catalogue was loaded on ${done}; nothing to do. Its details are in ${outFile}.\n`);
      return;
    }
    // Awards carry their historical dates: the app's clock is moved to each award's day while it is issued.
    let now = new Date();
    const app = await buildApp({
      config,
      db: runtime.database.db,
      keyring: runtime.keyring,
      box: runtime.box,
      logger: false,
      clock: () => now,
    });
    const call = async (method: 'POST' | 'GET', url: string, key: string | undefined, payload?: unknown) => {
      const res = await app.inject({ method, url, headers: key ? { authorization: `Bearer ${key}` } : {}, payload: payload as object });
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
      return res;
    };

    const orgs = new Map<string, { id: string; did: string; apiKey: string; name: string }>();
    for (const org of catalogue.issuers) {
      const { issuer, apiKey } = await app.services.issuers.createIssuer({
        name: `${org.name} (illustrative)`,
        url: org.url,
        description: org.description,
      });
      orgs.set(org.key, { id: issuer.id, did: issuer.did, apiKey: apiKey.apiKey, name: issuer.name });
    }
    const keyOf = (orgKey: string) => orgs.get(orgKey)!.apiKey;

    const ids = new Map<string, string>();
    for (const a of catalogue.achievements) {
      ids.set(a.key, (await call('POST', '/achievements', keyOf(a.issuer), a.definition)).json<{ id: string }>().id);
    }
    for (const s of catalogue.stacks) {
      const stack = {
        requirements: s.requirements.map((r) => ({
          ...(r.name ? { name: r.name } : {}),
          ...(r.minimum ? { minimum: r.minimum } : {}),
          components: r.components.map((c) => ({ achievementId: ids.get(c)! })),
        })),
        ordered: s.ordered ?? false,
        award: s.award ?? 'automatic',
      };
      ids.set(s.key, (await call('POST', '/achievements', keyOf(s.issuer), { ...s.definition, stack })).json<{ id: string }>().id);
    }
    for (const r of catalogue.recognitions) {
      const { recognizer, achievement, ...rest } = r;
      await call('POST', '/recognitions', keyOf(recognizer), { ...rest, achievementId: ids.get(achievement)! });
    }
    for (const e of catalogue.endorsements) {
      const subject =
        e.subject.achievement !== undefined
          ? { achievementId: ids.get(e.subject.achievement)! }
          : { issuerId: orgs.get(e.subject.issuer!)!.id };
      await call('POST', '/endorsements', keyOf(e.endorser), { subject, comment: e.comment });
    }
    const issuerOf = new Map(catalogue.achievements.map((a) => [a.key, a.issuer]));
    const awards = [...catalogue.awards].sort((a, b) => b.daysAgo - a.daysAgo); // oldest first, as they happened
    const today = Date.now();
    for (const award of awards) {
      now = new Date(today - award.daysAgo * DAY_MS);
      const educator = catalogue.educators[award.educator]!;
      await call('POST', '/credentials', keyOf(issuerOf.get(award.achievement)!), {
        achievement: { id: ids.get(award.achievement)! },
        recipient: { identity: educator.email, name: educator.name },
        results: Object.entries(award.levels).map(([criterion, level]) => ({ criterion, level })),
        evidence: [
          {
            url: `https://portfolio.district.example/${award.educator}/${award.achievement}`,
            name: 'Submission portfolio (illustrative)',
            genre: 'Portfolio',
          },
        ],
        assessor: { name: 'Illustrative Assessor', qualification: 'Trained micro-credential assessor' },
      });
    }
    now = new Date();

    // A wallet link for the first educator, so the earner's page can be opened straight away.
    const first = catalogue.educators[0]!;
    const wallet = (
      await call('POST', '/earner-links', keyOf('state'), { kind: 'wallet', recipient: { identity: first.email }, expiresInDays: 90 })
    ).json<{ url: string }>();
    await app.close();

    const summary = {
      notice: catalogue.notice,
      organisations: [...orgs].map(([key, o]) => ({ key, name: o.name, issuerId: o.id, did: o.did, apiKey: o.apiKey })),
      achievements: Object.fromEntries([...ids].map(([key, id]) => [key, `${config.publicUrl}/achievements/${id}`])),
      walletLinkForFirstEducator: { educator: first.name, url: wallet.url },
    };
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(outFile, JSON.stringify(summary, null, 2) + '\n', { mode: 0o600 });
    await runtime.database.db.updateTable('settings').set({ value: new Date().toISOString() }).where('key', '=', MARKER).execute();
    process.stdout.write(
      `Loaded the illustrative demo catalogue: ${orgs.size} organisations, ${catalogue.achievements.length} micro-credentials, ` +
        `${catalogue.stacks.length} stacks, ${catalogue.recognitions.length} recognitions, ${catalogue.endorsements.length} endorsements, ` +
        `${catalogue.awards.length} awards to ${catalogue.educators.length} fictional educators.\n` +
        `Achievement pages, the organisations' API keys and a wallet link are in ${outFile}.\n`,
    );
  } finally {
    await runtime.database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `seed:demo failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
