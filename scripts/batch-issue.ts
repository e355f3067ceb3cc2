/**
 * Issues a cohort from a CSV file through a running service (POST /batches), with a progress bar.
 *
 *   API_KEY=mc_… npm run batch -- --file cohort.csv [--achievement <id>] [--url http://localhost:3000]
 *                                 [--webhook https://…] [--out results.csv] [--no-wait]
 *
 * The columns are described in src/batch/csv.ts (and the README). Every row gets an Idempotency-Key (its own
 * column, or derived from the achievement and the educator) and the batch one derived from the file, so running
 * the same file again returns the same batch and never issues twice. Exit code: 0 all issued, 1 some items
 * failed (see the results), 2 the file or the request was refused.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { CsvError, linesToItems, parseCsvRows, type LineItem } from '../src/batch/csv.js';

const USAGE =
  'Usage: API_KEY=<key> npm run batch -- --file <cohort.csv> [--achievement <id>] [--url <base>] [--webhook <url>] [--out <results.csv>] [--no-wait]';

interface Progress {
  id: string;
  url: string;
  state: 'running' | 'completed';
  total: number;
  pending: number;
  issued: number;
  failed: number;
  itemsUrl: string;
}

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        file: { type: 'string' },
        achievement: { type: 'string' },
        url: { type: 'string', default: process.env.SERVICE_URL ?? 'http://localhost:3000' },
        webhook: { type: 'string' },
        out: { type: 'string' },
        'no-wait': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.file === undefined) fail(USAGE);
const apiKey = process.env.API_KEY;
if (apiKey === undefined || apiKey === '') fail('Set API_KEY to the issuer API key (scope "issue").');
const base = values.url.replace(/\/+$/, '');
const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };

let lines: LineItem[];
const bytes = (() => {
  try {
    return fs.readFileSync(values.file);
  } catch (error) {
    return fail(`Cannot read ${values.file}: ${(error as Error).message}`);
  }
})();
try {
  lines = linesToItems(parseCsvRows(bytes.toString('utf8')), { achievementId: values.achievement });
} catch (error) {
  if (error instanceof CsvError) fail(`${values.file}: ${error.message}`);
  throw error;
}
if (lines.length === 0) fail(`${values.file} has no rows under its header`);
const items = lines.map((l) => l.item);

const body = JSON.stringify({ items, ...(values.webhook !== undefined ? { webhookUrl: values.webhook } : {}) });
const batchKey = `csv-batch-${crypto.createHash('sha256').update(body).digest('hex').slice(0, 40)}`;
const response = await fetch(`${base}/batches`, { method: 'POST', headers: { ...headers, 'idempotency-key': batchKey }, body });
const answer = (await response.json()) as Progress & { detail?: string; errors?: Array<{ pointer: string; detail: string }> };
if (!response.ok) {
  // Pointers name items by position ("/items/3/…", or "#/items/3/…" from schema validation): name the file's line.
  const where = (pointer: string) => {
    const seq = /^#?\/items\/(\d+)(.*)$/.exec(pointer);
    return seq === null ? pointer : `line ${lines[Number(seq[1])]?.line ?? '?'}${seq[2] ? ` (${seq[2].slice(1)})` : ''}`;
  };
  const messages = [...new Set((answer.errors ?? []).map((e) => `  ${where(e.pointer)}: ${e.detail}`))].slice(0, 20);
  fail([`The batch was refused (HTTP ${response.status}): ${answer.detail ?? ''}`, ...messages].join('\n'));
}
process.stderr.write(
  `${response.status === 200 ? 'Already accepted' : 'Accepted'}: ${answer.total} item(s) from ${values.file} as ${answer.url}\n`,
);
if (values['no-wait']) {
  process.stdout.write(`${answer.url}\n`);
  process.exit(0);
}

const started = Date.now();
const bar = (p: Progress) => {
  const done = p.issued + p.failed;
  const width = 30;
  const filled = Math.round((done / p.total) * width);
  const seconds = (Date.now() - started) / 1000;
  const rate = seconds >= 1 ? done / seconds : 0;
  const eta = rate > 0 ? Math.ceil(p.pending / rate) : undefined;
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${p.total} · issued ${p.issued} · failed ${p.failed}` +
    `${rate > 0 ? ` · ${rate.toFixed(0)}/s` : ''}${eta !== undefined && p.pending > 0 ? ` · ETA ${eta}s` : ''}`
  );
};
const tty = process.stderr.isTTY === true;
let lastLine = 0;
let progress: Progress;
for (;;) {
  const res = await fetch(answer.url, { headers });
  if (!res.ok) fail(`GET ${answer.url} answered HTTP ${res.status}`);
  progress = (await res.json()) as Progress;
  if (tty) process.stderr.write(`\r${bar(progress)}\u001b[K`);
  else if (Date.now() - lastLine > 5000 || progress.state === 'completed') {
    process.stderr.write(`${bar(progress)}\n`);
    lastLine = Date.now();
  }
  if (progress.state === 'completed') break;
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
if (tty) process.stderr.write('\n');

// Per-item results, joined to the file's lines (the service never returns the educators' identifiers).
const results: string[] = ['line,idempotencyKey,state,credentialUrl,problem'];
// A cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection advice).
const cell = (raw: string) => {
  const value = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
};
let next: string | null = `${answer.itemsUrl}?limit=1000`;
while (next !== null) {
  const res = await fetch(next, { headers });
  if (!res.ok) fail(`GET ${next} answered HTTP ${res.status}`);
  const page = (await res.json()) as {
    items: Array<{
      seq: number;
      idempotencyKey: string;
      state: string;
      credentialUrl?: string;
      problem?: { detail?: string; title?: string };
    }>;
    next: string | null;
  };
  for (const item of page.items) {
    results.push(
      [
        String(lines[item.seq]?.line ?? ''),
        item.idempotencyKey,
        item.state,
        item.credentialUrl ?? '',
        item.problem?.detail ?? item.problem?.title ?? '',
      ]
        .map(cell)
        .join(','),
    );
  }
  next = page.next;
}
if (values.out !== undefined) fs.writeFileSync(values.out, `${results.join('\n')}\n`);
else process.stdout.write(`${results.join('\n')}\n`);
process.stderr.write(
  `Done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${progress.issued} issued, ${progress.failed} failed` +
    `${values.out !== undefined ? `; results in ${values.out}` : ''}\n`,
);
process.exit(progress.failed > 0 ? 1 : 0);
