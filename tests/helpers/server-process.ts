/**
 * The real server as operators run it: a child process (`node --import tsx src/server.ts`), for tests of what only a
 * process shows (kill -9, SIGTERM, a database going away). HTTP goes through node:http with a new connection per
 * request, so a killed server never leaves a stale keep-alive socket behind and a reset is seen as a reset.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

// Only what a test sets reaches the server: never the runner's database or master key.
const { DATABASE_URL: _url, MASTER_KEY: _key, MASTER_KEY_FILE: _keyFile, SEED_DEMO: _seed, ...inherited } = process.env;

export const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

// Every child still running when the test worker exits is killed, so a failed or timed-out test never leaves a
// server or script behind (one would keep its port, its database and the CI run busy).
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Everything written to stdout and stderr so far (LOG_LEVEL=warn: warnings, errors, crashes). */
  output(): string;
}

/** Starts src/server.ts on `port` with `env` (DATA_DIR, DATABASE_URL, MASTER_KEY …); PUBLIC_URL is the listener. */
export function startServer(port: number, env: Record<string, string>): ServerProcess {
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      env: { ...inherited, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: baseUrl, LOG_LEVEL: 'warn', SEED_DEMO: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, baseUrl, exited, output: () => output };
}

/** Polls /readyz until it answers 200; fails with the server's output if the process exits or `timeoutMs` passes. */
export async function waitReady(server: ServerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`the server exited (${server.child.exitCode ?? server.child.signalCode}) before it was ready:\n${server.output()}`);
    }
    const res = await request(server.baseUrl, 'GET', '/readyz', undefined, {}, 2000);
    if (res.kind === 'response' && res.status === 200) return;
    await sleep(100);
  }
  throw new Error(`the server was not ready within ${timeoutMs} ms:\n${server.output()}`);
}

/** Kills the process with `signal` (if it still runs) and waits for it to exit. */
export async function stopServer(server: ServerProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill(signal);
  return server.exited;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Outcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: http.IncomingHttpHeaders;
      readonly body: string;
      readonly ms: number;
    }
  /** No complete response. `connected`: the TCP connection was established; `flushed`: the whole request was written. */
  | { readonly kind: 'error'; readonly code: string; readonly connected: boolean; readonly flushed: boolean; readonly ms: number };

/**
 * One request on its own connection. Never rejects: a refused connection, a reset, an empty reply or a
 * `timeoutMs` timeout is an `error` outcome. `onFlushed` runs once the request has been written.
 */
export function request(
  baseUrl: string,
  method: string,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs = 30_000,
  onFlushed?: () => void,
): Promise<Outcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let connected = false;
    let flushed = false;
    let settled = false;
    const settle = (outcome: Outcome) => {
      if (!settled) resolve(outcome);
      settled = true;
    };
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(new URL(url, baseUrl), {
      method,
      agent: false,
      headers: { connection: 'close', ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('socket', (socket) => socket.once('connect', () => (connected = true)));
    req.on('finish', () => {
      flushed = true;
      onFlushed?.();
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      settle({ kind: 'error', code: error.code ?? error.message, connected, flushed, ms: ms() }),
    );
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => settle({ kind: 'response', status: res.statusCode ?? 0, headers: res.headers, body: text, ms: ms() }));
      res.on('error', (error: NodeJS.ErrnoException) =>
        settle({ kind: 'error', code: error.code ?? 'RESPONSE_ABORTED', connected, flushed, ms: ms() }),
      );
      res.on('aborted', () => settle({ kind: 'error', code: 'RESPONSE_ABORTED', connected, flushed, ms: ms() }));
    });
    req.end(payload);
  });
}

/** The demo issuer's API key, written by SEED_DEMO on first start. */
export function demoAuth(dataDir: string): { authorization: string } {
  const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8')) as { apiKey: string };
  return { authorization: `Bearer ${demo.apiKey}` };
}

/** Publishes examples/achievement.json and returns a function making examples/issue.json requests for it. */
export async function exampleIssueRequests(baseUrl: string, auth: Record<string, string>): Promise<(n: number) => Record<string, unknown>> {
  const definition = JSON.parse(fs.readFileSync(path.join(root, 'examples/achievement.json'), 'utf8')) as unknown;
  const res = await request(baseUrl, 'POST', '/achievements', definition, auth);
  if (res.kind !== 'response' || res.status !== 201) throw new Error(`POST /achievements: ${JSON.stringify(res)}`);
  const achievementId = (JSON.parse(res.body) as { id: string }).id;
  const template = fs.readFileSync(path.join(root, 'examples/issue.json'), 'utf8').replace('ACHIEVEMENT_ID', achievementId);
  // One educator per request, so every key's body is different and the same key always sends the same body.
  return (n) => {
    const body = JSON.parse(template) as { recipient: { identity: string } };
    body.recipient.identity = `educator-${n}@district.example`;
    return body;
  };
}

export interface ScriptRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs a TypeScript entry point of this repository (`src/cli.ts`, `scripts/…`) to its end, with exactly `env`. A script
 * still running after `timeoutMs` is killed and the call fails with what it printed, instead of hanging the run.
 */
export function runScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<ScriptRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stdout}${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}
