/**
 * Our service for a conformance run: a fresh embedded database (temp DATA_DIR), two did:key issuers made with the CLI
 * (eddsa-rdfc-2022 and Ed25519Signature2020), the server on a loopback HTTP port, and an HTTPS reverse proxy in front
 * of it with a self-signed certificate made for this run (the suites reach implementations over https only).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { capture, killGroup, tail } from './proc.js';
import type { IssuerIdentity } from './suites.js';

export interface Tls {
  readonly certFile: string;
  readonly keyFile: string;
}

/** A free loopback TCP port (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A self-signed certificate for localhost, 127.0.0.1 and ::1 (P-256, two days). */
export async function makeCertificate(dir: string, logFile: string): Promise<Tls> {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  await capture(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1',
    ],
    { cwd: dir, logFile, timeoutMs: 30_000 },
  );
  return { certFile, keyFile };
}

export interface ServiceEnv {
  readonly repoRoot: string;
  readonly dataDir: string;
  readonly httpPort: number;
  readonly publicUrl: string;
  readonly certFile: string;
}

/** The environment of the CLI and the server: the same DATA_DIR (database and generated master key). */
export function serviceEnv(env: ServiceEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'MASTER_KEY', 'MASTER_KEY_FILE', 'WEB_CONCURRENCY', 'NODE_OPTIONS']) delete out[name];
  return {
    ...out,
    DATA_DIR: env.dataDir,
    PORT: String(env.httpPort),
    HOST: '127.0.0.1',
    PUBLIC_URL: env.publicUrl,
    LOG_LEVEL: 'warn',
    ALLOW_PRIVATE_FETCH: 'true',
    SEED_DEMO: 'false',
    // The suites send hundreds of requests a minute from one address.
    RATE_LIMIT_PER_MINUTE: '1000000',
    RATE_LIMIT_KEY_PER_MINUTE: '1000000',
    // Our verifier fetches status lists from itself through the proxy.
    NODE_EXTRA_CA_CERTS: env.certFile,
  };
}

/** `issuer create --did key --json` through the CLI (before the server starts: the embedded database is single-process). */
export async function createIssuer(
  env: ServiceEnv,
  name: string,
  proof: 'eddsa-rdfc-2022' | 'Ed25519Signature2020',
  logFile: string,
): Promise<IssuerIdentity> {
  const stdout = await capture(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', 'issuer', 'create', '--name', name, '--did', 'key', '--proof', proof, '--json'],
    { cwd: env.repoRoot, env: serviceEnv(env), logFile, timeoutMs: 120_000 },
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  const parsed = JSON.parse(line) as { did?: unknown; apiKey?: unknown };
  if (typeof parsed.did !== 'string' || typeof parsed.apiKey !== 'string') throw new Error(`unexpected CLI output: ${line}`);
  return { did: parsed.did, apiKey: parsed.apiKey };
}

export interface Running {
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `node --import tsx src/server.ts` and waits until /healthz answers. */
export async function startServer(env: ServiceEnv, logFile: string, timeoutMs = 120_000): Promise<Running> {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: env.repoRoot,
    env: serviceEnv(env),
    stdio: ['ignore', out, out],
    detached: true,
  });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 12_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before it was ready; log ${logFile}:\n${tail(logFile)}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: env.httpPort, path: '/healthz', timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
    if (ok) return { child, stop };
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  await stop();
  throw new Error(`the server was not ready within ${timeoutMs / 1000} s; log ${logFile}:\n${tail(logFile)}`);
}

export interface Proxy {
  /** Names the suite now running in later traffic log lines. */
  setLabel(label: string): void;
  close(): Promise<void>;
}

/** Bytes of each request and response body kept in the traffic log. */
const TRAFFIC_BODY_BYTES = 8192;

/** Collects the first bytes of a stream without consuming it for anyone else. */
function sample(stream: NodeJS.ReadableStream): () => string {
  const chunks: Buffer[] = [];
  let size = 0;
  stream.on('data', (chunk: Buffer) => {
    if (size >= TRAFFIC_BODY_BYTES) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  return () => {
    const text = Buffer.concat(chunks).toString('utf8');
    return text.length > TRAFFIC_BODY_BYTES ? `${text.slice(0, TRAFFIC_BODY_BYTES)}…` : text;
  };
}

/**
 * HTTPS on 127.0.0.1 (and ::1 when the machine has it) at `tlsPort`, forwarding every request to the plain HTTP port
 * as it comes (method, path, headers and body streamed both ways). With `trafficLog`, one JSON line per exchange
 * (method, path, status, the first 8 KiB of both bodies; no headers, so no API key) is appended to that file.
 */
export async function startProxy(tls: Tls, tlsPort: number, httpPort: number, trafficLog?: string): Promise<Proxy> {
  const options = { key: fs.readFileSync(tls.keyFile), cert: fs.readFileSync(tls.certFile) };
  const traffic = trafficLog === undefined ? undefined : fs.createWriteStream(trafficLog, { flags: 'a' });
  let label = '';
  const handler: http.RequestListener = (req, res) => {
    const started = Date.now();
    const requestBody = traffic ? sample(req) : () => '';
    const headers = { ...req.headers, 'x-forwarded-proto': 'https' };
    const upstream = http.request({ host: '127.0.0.1', port: httpPort, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      const responseBody = traffic ? sample(answer) : () => '';
      answer.on('end', () => {
        traffic?.write(
          `${JSON.stringify({
            suite: label,
            at: new Date(started).toISOString(),
            ms: Date.now() - started,
            method: req.method,
            path: req.url,
            status: answer.statusCode,
            request: requestBody(),
            response: responseBody(),
          })}\n`,
        );
      });
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`conformance proxy: ${error.message}\n`);
      } else {
        res.destroy(error);
      }
    });
    req.pipe(upstream);
  };
  const servers: https.Server[] = [];
  const listen = (host: string) =>
    new Promise<void>((resolve, reject) => {
      const server = https.createServer(options, handler);
      server.once('error', reject);
      server.listen(tlsPort, host, () => {
        servers.push(server);
        resolve();
      });
    });
  await listen('127.0.0.1');
  await listen('::1').catch(() => undefined);
  return {
    setLabel: (next) => {
      label = next;
    },
    close: async () => {
      traffic?.end();
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
