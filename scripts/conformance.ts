/**
 * Runs the public W3C conformance suites against a local instance of this service and prints pass/fail counts.
 *
 *   CONFORMANCE_DIR=/path/to/copies npm run conformance -- [--only <suite>[,<suite>…]] [--suite-timeout <minutes>]
 *                                                          [--prepare-only] [--keep] [--strict]
 *
 * CONFORMANCE_DIR (default: `../conformance-src` beside this repository) holds local copies of the suites and of
 * the helper packages they take from git, one folder per repository, named after it:
 *   vc-api-issuer-test-suite, vc-api-verifier-test-suite         (w3c-ccg)
 *   vc-data-model-2.0-test-suite, vc-di-eddsa-test-suite,
 *   vc-di-ed25519signature2020-test-suite, vc-bitstring-status-list-test-suite   (w3c)
 *   vc-test-suite-implementations (w3c), data-integrity-test-suite-assertion (w3c-ccg)
 * A folder `<owner>+<name>` is preferred to `<name>` when a suite names that owner (e.g.
 * `w3c-ccg+vc-test-suite-implementations` for the VC-API suites). None of this code is part of the repository.
 *
 * For each suite: git-only helpers are packed locally and the suite's package.json (in its copy) is rewritten to
 * those tarballs, then `npm install` runs (skipped while nothing changed). Then our server starts on a fresh embedded
 * database with two did:key issuers (eddsa-rdfc-2022 and Ed25519Signature2020, made with the CLI) behind an HTTPS
 * proxy with a self-signed certificate; each suite gets a localConfig.cjs naming it and runs with mocha's JSON
 * reporter. Exit code 0 when the run completed (failing tests are reported, not fatal); with --strict, 1 when any test
 * failed or a suite could not run. 2 for a usage error or when the service could not be started.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MissingCopyError, Preparer } from './conformance/prepare.js';
import { run, tail } from './conformance/proc.js';
import { formatTable, readMochaReport, type SuiteOutcome } from './conformance/results.js';
import {
  createIssuer,
  freePort,
  makeCertificate,
  startProxy,
  startServer,
  type Proxy,
  type Running,
  type ServiceEnv,
} from './conformance/service.js';
import { IMPLEMENTATION_NAME, SUITES, localConfigSource, type LocalImplementation, type SuiteSpec } from './conformance/suites.js';

const USAGE = `Usage: CONFORMANCE_DIR=<dir> npm run conformance -- [--only <suite>[,<suite>…]] [--suite-timeout <minutes>]
         [--prepare-only] [--keep] [--strict]
Suites: ${SUITES.map((s) => s.label).join(', ')}`;

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line = '') => process.stdout.write(`${line}\n`);

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        only: { type: 'string' },
        'suite-timeout': { type: 'string', default: '20' },
        'prepare-only': { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();
if (values.help) {
  say(USAGE);
  process.exit(0);
}

const suiteTimeoutMs = Number(values['suite-timeout']) * 60_000;
if (!Number.isFinite(suiteTimeoutMs) || suiteTimeoutMs <= 0) fail(`--suite-timeout must be a positive number of minutes\n${USAGE}`);

let selected: readonly SuiteSpec[] = SUITES;
if (values.only !== undefined) {
  const wanted = values.only.split(',').map((s) => s.trim());
  const unknown = wanted.filter((w) => !SUITES.some((s) => s.label === w || s.dir === w));
  if (unknown.length > 0) fail(`Unknown suite: ${unknown.join(', ')}\n${USAGE}`);
  selected = SUITES.filter((s) => wanted.includes(s.label) || wanted.includes(s.dir));
}

const conformanceDir = path.resolve(process.env.CONFORMANCE_DIR ?? path.join(repoRoot, '..', 'conformance-src'));

/** The mocha command of a suite's `test` script, with the JSON reporter in place of the suite's HTML one. */
function mochaArgs(suiteDir: string, reportFile: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(suiteDir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const script = pkg.scripts?.test ?? 'mocha tests/';
  const tokens = script.split(/\s+/);
  const start = tokens.indexOf('mocha');
  const specs: string[] = [];
  for (const token of tokens.slice(start + 1)) {
    if (token.startsWith('-')) break;
    specs.push(token);
  }
  const timeout = /--timeout[ =](\d+)/.exec(script)?.[1] ?? '15000';
  const args = [...(specs.length > 0 ? specs : ['tests/']), '--reporter', 'json', '--reporter-option', `output=${reportFile}`];
  args.push('--timeout', timeout, '--exit');
  if (script.includes('--preserve-symlinks')) args.push('--preserve-symlinks');
  return args;
}

function mochaBin(suiteDir: string): string | null {
  const file = path.join(suiteDir, 'node_modules', 'mocha', 'bin', 'mocha.js');
  return fs.existsSync(file) ? file : null;
}

async function main(): Promise<number> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-'));
  const logDir = path.join(runDir, 'logs');
  fs.mkdirSync(logDir);
  const runnerLog = path.join(logDir, 'runner.log');
  say(`Conformance suites from ${conformanceDir} (CONFORMANCE_DIR); logs in ${logDir}`);

  const outcomes = new Map<string, { outcome: SuiteOutcome; seconds?: number }>();
  const ready: SuiteSpec[] = [];

  // 1. Local copies and installs.
  if (!fs.existsSync(conformanceDir)) {
    say(
      `\n${conformanceDir} does not exist: clone the suites into it (one folder per repository, see the header of scripts/conformance.ts).`,
    );
  }
  const preparer = new Preparer(conformanceDir, (line) => say(line), runnerLog);
  for (const suite of selected) {
    const dir = path.join(conformanceDir, suite.dir);
    if (!fs.existsSync(path.join(dir, 'package.json'))) {
      say(`- ${suite.label}: NOT RUN, no local copy at ${dir}`);
      say(`    get it: clone the public repository ${suite.repo} into ${dir}`);
      outcomes.set(suite.label, { outcome: { kind: 'not-run', reason: `no local copy at ${dir}` } });
      continue;
    }
    say(`- ${suite.label}: preparing`);
    try {
      const { installed } = await preparer.prepareSuite(dir);
      if (!installed) say('    dependencies up to date (cached install)');
      if (mochaBin(dir) === null) throw new Error('mocha is not installed in the suite copy');
      ready.push(suite);
    } catch (error) {
      if (error instanceof MissingCopyError) {
        say(`    NOT RUN: ${error.message}`);
        say(`    get it: clone the public repository ${error.repo} into ${error.folders.at(-1)}`);
        outcomes.set(suite.label, { outcome: { kind: 'not-run', reason: error.message } });
      } else {
        say(`    NOT RUN: ${(error as Error).message}`);
        outcomes.set(suite.label, { outcome: { kind: 'not-run', reason: oneLine((error as Error).message) } });
      }
    }
  }
  if (values['prepare-only']) {
    say(`\nPrepared ${ready.length} of ${selected.length} suites.`);
    return ready.length === selected.length || !values.strict ? 0 : 1;
  }

  // 2. Our service behind the TLS proxy.
  let server: Running | undefined;
  let proxy: Proxy | undefined;
  const localConfigs: string[] = [];
  const cleanup = async () => {
    for (const file of localConfigs) fs.rmSync(file, { force: true });
    await proxy?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    if (ready.length > 0) {
      const tlsDir = path.join(runDir, 'tls');
      fs.mkdirSync(tlsDir);
      const tls = await makeCertificate(tlsDir, runnerLog);
      const httpPort = await freePort();
      let tlsPort = await freePort();
      while (tlsPort === httpPort) tlsPort = await freePort();
      const baseUrl = `https://localhost:${tlsPort}`;
      const env: ServiceEnv = { repoRoot, dataDir: path.join(runDir, 'data'), httpPort, publicUrl: baseUrl, certFile: tls.certFile };
      say(`\nStarting the service: http://127.0.0.1:${httpPort} behind ${baseUrl} (DATA_DIR ${env.dataDir})`);
      const issuerLog = path.join(logDir, 'cli.log');
      const eddsa = await createIssuer(env, 'Conformance eddsa', 'eddsa-rdfc-2022', issuerLog).catch((error: Error) => {
        throw new Error(`issuer create (eddsa-rdfc-2022) failed: ${error.message}\n${tail(issuerLog)}`);
      });
      const ed25519 = await createIssuer(env, 'Conformance Ed25519Signature2020', 'Ed25519Signature2020', issuerLog).catch(
        (error: Error) => {
          throw new Error(`issuer create (Ed25519Signature2020) failed: ${error.message}\n${tail(issuerLog)}`);
        },
      );
      say(`  issuer eddsa-rdfc-2022:      ${eddsa.did}`);
      say(`  issuer Ed25519Signature2020: ${ed25519.did}`);
      const serverLog = path.join(logDir, 'server.log');
      server = await startServer(env, serverLog);
      proxy = await startProxy(tls, tlsPort, httpPort, path.join(logDir, 'traffic.jsonl'));
      const impl: LocalImplementation = { baseUrl, eddsa, ed25519 };

      // 3. The suites, one after another.
      for (const suite of ready) {
        const dir = path.join(conformanceDir, suite.dir);
        const localConfig = path.join(dir, 'localConfig.cjs');
        fs.writeFileSync(localConfig, localConfigSource(impl));
        localConfigs.push(localConfig);
        const reportFile = path.join(logDir, `${suite.label}.json`);
        const suiteLog = path.join(logDir, `${suite.label}.log`);
        say(`\n- ${suite.label}: running`);
        proxy.setLabel(suite.label);
        const started = Date.now();
        const result = await run(process.execPath, [mochaBin(dir) ?? 'mocha', ...mochaArgs(dir, reportFile)], {
          cwd: dir,
          env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.certFile },
          logFile: suiteLog,
          timeoutMs: suiteTimeoutMs,
        });
        const seconds = Math.round((Date.now() - started) / 1000);
        const report = readMochaReport(reportFile, IMPLEMENTATION_NAME);
        if (report === null) {
          const why = result.timedOut
            ? `timed out after ${seconds} s`
            : `mocha exited with ${result.code ?? result.signal} and wrote no report`;
          say(`    ERROR: ${why}; log ${suiteLog}:\n${indent(tail(suiteLog))}`);
          outcomes.set(suite.label, { outcome: { kind: 'error', reason: why }, seconds });
        } else {
          const note = result.timedOut ? 'timed out, partial' : undefined;
          say(`    ${report.passed} passed, ${report.failed} failed, ${report.pending} pending (${seconds} s)`);
          outcomes.set(suite.label, { outcome: { kind: 'ran', ...report, ...(note ? { note } : {}) }, seconds });
        }
        if (server.child.exitCode !== null || server.child.signalCode !== null) {
          throw new Error(`the server stopped during ${suite.label}; log ${serverLog}:\n${tail(serverLog)}`);
        }
      }
    }
  } catch (error) {
    say(`\nERROR: ${(error as Error).message}`);
    for (const suite of ready) {
      if (!outcomes.has(suite.label)) outcomes.set(suite.label, { outcome: { kind: 'error', reason: 'the service could not be run' } });
    }
  } finally {
    await cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (!values.keep) {
      fs.rmSync(path.join(runDir, 'data'), { recursive: true, force: true });
      fs.rmSync(path.join(runDir, 'tls'), { recursive: true, force: true });
    }
  }

  // 4. Summary.
  const rows = selected.map((suite) => ({
    label: suite.label,
    ...(outcomes.get(suite.label) ?? { outcome: { kind: 'not-run', reason: '?' } as const }),
  }));
  say('\n' + formatTable(rows));
  let passed = 0;
  let failed = 0;
  let pending = 0;
  let incomplete = 0;
  for (const { label, outcome } of rows) {
    if (outcome.kind !== 'ran') {
      incomplete++;
      say(`\n${label}: ${outcome.kind === 'not-run' ? 'not run' : 'error'}: ${outcome.reason}`);
      continue;
    }
    passed += outcome.passed;
    failed += outcome.failed;
    pending += outcome.pending;
    if (outcome.failures.length === 0) continue;
    say(`\n${label}: ${outcome.failures.length} failing`);
    for (const f of outcome.failures) say(`  ✗ ${f.title}\n      ${f.message}`);
  }
  const ran = rows.filter((r) => r.outcome.kind === 'ran').length;
  say(`\nSuites: ${ran} ran, ${rows.length - ran} did not (not run or error). Reports, server log and traffic.jsonl: ${logDir}`);
  say(`Total: ${passed} passed, ${failed} failed, ${pending} skipped`);
  return values.strict && (failed > 0 || incomplete > 0) ? 1 : 0;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 300);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => fail(`conformance: ${(error as Error).stack ?? String(error)}`),
);
