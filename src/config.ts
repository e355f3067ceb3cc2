/**
 * Configuration: environment variables → one frozen, typed Config. No other file reads `process.env`.
 * Every problem is collected and reported at once, so a misconfigured deployment fails on its first start
 * with the full list instead of one error per attempt.
 */
import path from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Unset: the embedded PGlite database under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Base of every URL put in a credential, without a trailing slash. */
  readonly publicUrl: string;
  readonly logLevel: LogLevel;
  readonly allowPrivateFetch: boolean;
  /** Base64 of 32 bytes; unset with an embedded database: generated once into `dataDir/master.key`. */
  readonly masterKey: string | undefined;
  readonly masterKeyFile: string | undefined;
  /** Create the demo issuer on first start (default: on for the embedded database, off otherwise). */
  readonly seedDemo: boolean;
  readonly bodyLimitBytes: number;
  readonly fetchTimeoutMs: number;
  readonly fetchMaxBytes: number;
  /** New credentials carry a revocation status entry (false only for benchmarks). */
  readonly credentialStatus: boolean;
  readonly rateLimitPerMinute: number;
  readonly rateLimitKeyPerMinute: number;
  /** Server processes on this machine (node:cluster, sharing the port); > 1 needs DATABASE_URL. */
  readonly webConcurrency: number;
  /** Lifetime of the private claim link returned with each new credential. */
  readonly claimLinkTtlDays: number;
  /** Lifetime of a wallet link when the request names none. */
  readonly walletLinkTtlDays: number;
  /** Largest file accepted by the verifier's upload (baked PNG/SVG, JSON, wallet file). */
  readonly uploadLimitBytes: number;
  /** Completion reports hide counts below this. */
  readonly reportMinimumCellSize: number;
  /** Batch chunks this process works at once (0: accept batches, let other instances work them). */
  readonly batchWorkers: number;
  /** A batch chunk running longer than this is presumed lost with its process and retried. */
  readonly batchJobTimeoutSeconds: number;
  /** Largest POST /batches body. */
  readonly batchBodyLimitBytes: number;
  /** The operator's terms of service and privacy policy, named in the OB 3.0 API discovery document. */
  readonly termsUrl: string;
  readonly privacyUrl: string;
}

interface VariableSpec {
  readonly name: string;
  readonly description: string;
  readonly default?: string;
}

/** Every variable the service reads, with its description; the README's configuration table lists the same. */
export const variables: readonly VariableSpec[] = [
  { name: 'PORT', description: 'TCP port to listen on.', default: '3000' },
  { name: 'HOST', description: 'Interface to bind (0.0.0.0 in containers).', default: '127.0.0.1' },
  {
    name: 'DATABASE_URL',
    description: 'PostgreSQL connection string. Unset: an embedded PGlite database in DATA_DIR (one process at a time).',
  },
  { name: 'DATA_DIR', description: 'Directory of the embedded database and its generated master key.', default: './data' },
  {
    name: 'PUBLIC_URL',
    description: 'Public base URL put in every credential, DID and status URL (https in production).',
    default: 'http://localhost:$PORT',
  },
  { name: 'LOG_LEVEL', description: 'pino level: fatal, error, warn, info, debug, trace or silent.', default: 'info' },
  {
    name: 'ALLOW_PRIVATE_FETCH',
    description:
      'true lets the verifier fetch DID documents and status lists from private or loopback addresses (development and tests only).',
    default: 'false',
  },
  {
    name: 'MASTER_KEY',
    description:
      'Base64 of 32 random bytes that encrypts issuer signing keys at rest. Required with DATABASE_URL unless MASTER_KEY_FILE is set.',
  },
  { name: 'MASTER_KEY_FILE', description: 'Path of a file holding MASTER_KEY (for container secrets).' },
  {
    name: 'SEED_DEMO',
    description: 'true creates a demo issuer and API key on first start.',
    default: 'true with the embedded database, else false',
  },
  { name: 'BODY_LIMIT_BYTES', description: 'Largest accepted request body.', default: '262144' },
  { name: 'FETCH_TIMEOUT_MS', description: 'Timeout of each outbound fetch made while verifying.', default: '5000' },
  { name: 'FETCH_MAX_BYTES', description: 'Largest response accepted from an outbound fetch.', default: '1048576' },
  {
    name: 'RATE_LIMIT_PER_MINUTE',
    description: 'Requests a client address may make per minute without an API key (per instance).',
    default: '1200',
  },
  { name: 'RATE_LIMIT_KEY_PER_MINUTE', description: 'Requests one API key may make per minute (per instance).', default: '6000' },
  {
    name: 'CREDENTIAL_STATUS',
    description: 'false issues credentials without a revocation entry (benchmarks only: such credentials cannot be revoked).',
    default: 'true',
  },
  {
    name: 'CLAIM_LINK_TTL_DAYS',
    description: 'Days the private claim link returned with each new credential stays valid.',
    default: '180',
  },
  {
    name: 'WALLET_LINK_TTL_DAYS',
    description: 'Days a wallet link stays valid when the request names no lifetime (at most 90).',
    default: '7',
  },
  {
    name: 'UPLOAD_LIMIT_BYTES',
    description: 'Largest file the verifier accepts as an upload (baked image, JSON or wallet file).',
    default: '5242880',
  },
  { name: 'REPORT_MIN_CELL_SIZE', description: 'Completion reports hide any count below this (small-count suppression).', default: '10' },
  {
    name: 'BATCH_WORKERS',
    description: 'Batch chunks (50 items each) this process issues at once; 0 accepts batches and leaves the work to other instances.',
    default: '2',
  },
  {
    name: 'BATCH_JOB_TIMEOUT_SECONDS',
    description: 'A batch chunk running longer is presumed lost with its process and retried (items already issued are not repeated).',
    default: '300',
  },
  { name: 'BATCH_BODY_LIMIT_BYTES', description: 'Largest POST /batches body (10,000 items).', default: '16777216' },
  {
    name: 'TERMS_URL',
    description: 'Your terms of service, named in the Open Badges API discovery document (required there; set it in production).',
    default: '$PUBLIC_URL/docs',
  },
  {
    name: 'PRIVACY_URL',
    description: 'Your privacy policy, named in the Open Badges API discovery document (required there; set it in production).',
    default: '$PUBLIC_URL/docs',
  },
];

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Reads and validates the environment.
 * @throws {ConfigError} listing every invalid variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };

  const port = integer('PORT', 3000, 0, 65535);
  const host = read('HOST') ?? '127.0.0.1';
  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const dataDir = path.resolve(read('DATA_DIR') ?? './data');

  let publicUrl = read('PUBLIC_URL') ?? `http://localhost:${port}`;
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
    if (url.search !== '' || url.hash !== '') throw new Error('query');
    publicUrl = url.href.replace(/\/+$/, '');
  } catch {
    problems.push(`PUBLIC_URL must be an absolute http(s) URL without query or fragment, got "${publicUrl}"`);
  }

  const absoluteUrl = (name: string, fallback: string): string => {
    const value = read(name);
    if (value === undefined) return fallback;
    if (!/^https?:\/\/[^\s]+$/.test(value) || !URL.canParse(value))
      problems.push(`${name} must be an absolute http(s) URL, got "${value}"`);
    return value;
  };

  const logLevel = (read('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const masterKey = read('MASTER_KEY');
  const masterKeyFile = read('MASTER_KEY_FILE');
  if (masterKey !== undefined && Buffer.from(masterKey, 'base64').length !== 32) {
    problems.push('MASTER_KEY must be base64 of exactly 32 bytes (openssl rand -base64 32)');
  }
  if (masterKey !== undefined && masterKeyFile !== undefined) problems.push('set MASTER_KEY or MASTER_KEY_FILE, not both');
  if (databaseUrl !== undefined && masterKey === undefined && masterKeyFile === undefined) {
    problems.push('MASTER_KEY or MASTER_KEY_FILE is required with DATABASE_URL (see keys.example)');
  }

  const config: Config = {
    port,
    host,
    databaseUrl,
    dataDir,
    publicUrl,
    logLevel,
    allowPrivateFetch: boolean('ALLOW_PRIVATE_FETCH', false),
    masterKey,
    masterKeyFile: masterKeyFile === undefined ? undefined : path.resolve(masterKeyFile),
    seedDemo: boolean('SEED_DEMO', databaseUrl === undefined),
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 262_144, 1024, 16 * 1024 * 1024),
    fetchTimeoutMs: integer('FETCH_TIMEOUT_MS', 5000, 100, 60_000),
    fetchMaxBytes: integer('FETCH_MAX_BYTES', 1_048_576, 1024, 64 * 1024 * 1024),
    credentialStatus: boolean('CREDENTIAL_STATUS', true),
    rateLimitPerMinute: integer('RATE_LIMIT_PER_MINUTE', 1200, 1, 10_000_000),
    rateLimitKeyPerMinute: integer('RATE_LIMIT_KEY_PER_MINUTE', 6000, 1, 10_000_000),
    webConcurrency: integer('WEB_CONCURRENCY', 1, 1, 64),
    claimLinkTtlDays: integer('CLAIM_LINK_TTL_DAYS', 180, 1, 3650),
    walletLinkTtlDays: integer('WALLET_LINK_TTL_DAYS', 7, 1, 90),
    uploadLimitBytes: integer('UPLOAD_LIMIT_BYTES', 5 * 1024 * 1024, 1024, 64 * 1024 * 1024),
    reportMinimumCellSize: integer('REPORT_MIN_CELL_SIZE', 10, 3, 1000),
    batchWorkers: integer('BATCH_WORKERS', 2, 0, 64),
    batchJobTimeoutSeconds: integer('BATCH_JOB_TIMEOUT_SECONDS', 300, 2, 3600),
    batchBodyLimitBytes: integer('BATCH_BODY_LIMIT_BYTES', 16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
    termsUrl: absoluteUrl('TERMS_URL', `${publicUrl}/docs`),
    privacyUrl: absoluteUrl('PRIVACY_URL', `${publicUrl}/docs`),
  };
  if (config.webConcurrency > 1 && databaseUrl === undefined) {
    problems.push('WEB_CONCURRENCY above 1 needs DATABASE_URL: the embedded database can be opened by one process only');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
