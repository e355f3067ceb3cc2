/**
 * Admin commands over the same services and database as the server. With the embedded database only one
 * process may open it, so stop the server first (the CLI says so if it is running).
 *
 *   npm run cli -- issuer create --name <name> [--did web|key] [--url <url>] [--email <email>] [--description <text>]
 *                                [--image <url>] [--parent-name <name> [--parent-url <url>]] [--proof …] [--format json-ld|jwt] [--json]
 *   npm run cli -- issuer list [--json]
 *   npm run cli -- apikey create --issuer <issuerId> [--name <name>] [--scopes issue,revoke] [--expires 2027-06-30] [--json]
 *   npm run cli -- apikey list --issuer <issuerId> [--json]
 *   npm run cli -- apikey revoke <apiKeyId>
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { openRuntime } from './runtime.js';
import { createIssuerService, toApiKeyInfo } from './services/issuers.js';
import { SCOPES, type Scope } from './schemas/api-key.js';
import { createAuditService } from './services/audit.js';

const USAGE = `Usage:
  npm run cli -- issuer create --name <name> [--did web|key] [--url <url>] [--email <email>] [--description <text>]
        [--image <url>] [--parent-name <name> [--parent-url <url>]] [--proof eddsa-rdfc-2022|Ed25519Signature2020]
        [--format json-ld|jwt] [--json]
  npm run cli -- issuer list [--json]
  npm run cli -- apikey create --issuer <issuerId> [--name <name>] [--scopes issue,revoke,catalogue,admin] [--expires <date>] [--json]
  npm run cli -- apikey list --issuer <issuerId> [--json]
  npm run cli -- apikey revoke <apiKeyId>`;

class UsageError extends Error {}

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

const COMMANDS = ['issuer create', 'issuer list', 'apikey create', 'apikey list', 'apikey revoke'];

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        did: { type: 'string' },
        url: { type: 'string' },
        email: { type: 'string' },
        description: { type: 'string' },
        image: { type: 'string' },
        scopes: { type: 'string' },
        expires: { type: 'string' },
        'parent-name': { type: 'string' },
        'parent-url': { type: 'string' },
        proof: { type: 'string' },
        format: { type: 'string' },
        issuer: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_')) throw new UsageError((error as Error).message);
    throw error;
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  const [resource, action, target] = positionals;
  if (values.help || resource === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // Usage errors are found before the database is opened (fast, and clear even while the server holds it).
  if (!COMMANDS.includes(`${resource} ${action ?? ''}`)) throw new UsageError(`Unknown command: ${positionals.join(' ')}`);

  const config = loadConfig();
  const runtime = await openRuntime(config, createLogger({ logLevel: 'warn' }, process.stderr));
  const audit = createAuditService({ db: runtime.database.db, clock: () => new Date() });
  const issuers = createIssuerService({
    db: runtime.database.db,
    keyring: runtime.keyring,
    audit,
    publicUrl: config.publicUrl,
    clock: () => new Date(),
  });
  const print = (json: unknown, text: string) => process.stdout.write(values.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
  try {
    switch (`${resource} ${action ?? ''}`) {
      case 'issuer create': {
        if (!values.name) throw new UsageError('issuer create needs --name');
        if (values.did !== undefined && values.did !== 'web' && values.did !== 'key') throw new UsageError('--did must be web or key');
        if (values.proof !== undefined && values.proof !== 'eddsa-rdfc-2022' && values.proof !== 'Ed25519Signature2020') {
          throw new UsageError('--proof must be eddsa-rdfc-2022 or Ed25519Signature2020');
        }
        if (values.format !== undefined && values.format !== 'json-ld' && values.format !== 'jwt') {
          throw new UsageError('--format must be json-ld or jwt');
        }
        if (values['parent-url'] !== undefined && values['parent-name'] === undefined)
          throw new UsageError('--parent-url needs --parent-name');
        for (const [flag, value] of [
          ['--url', values.url],
          ['--image', values.image],
          ['--parent-url', values['parent-url']],
        ] as const) {
          if (value !== undefined && !/^https?:\/\/\S+$/.test(value)) throw new UsageError(`${flag} must be an http(s) URL`);
        }
        const { issuer, apiKey } = await issuers.createIssuer({
          name: values.name,
          didMethod: values.did as 'web' | 'key' | undefined,
          url: values.url,
          email: values.email,
          description: values.description,
          imageUrl: values.image,
          parentOrg: values['parent-name'] === undefined ? undefined : { name: values['parent-name'], url: values['parent-url'] },
          proofType: values.proof as 'eddsa-rdfc-2022' | 'Ed25519Signature2020' | undefined,
          format: values.format as 'json-ld' | 'jwt' | undefined,
        });
        await audit.record({
          issuerId: issuer.id,
          actor: 'cli',
          action: 'issuer.create',
          target: issuer.did,
          detail: { apiKeyId: apiKey.id },
        });
        print(
          { issuerId: issuer.id, did: issuer.did, apiKey: apiKey.apiKey, apiKeyId: apiKey.id },
          `Issuer ${issuer.name}\n  id:      ${issuer.id}\n  did:     ${issuer.did}\n  API key: ${apiKey.apiKey}\n(The API key is shown once; store it now.)`,
        );
        if (issuer.did_method === 'web') {
          // The DID names the host: a server with another PUBLIC_URL would serve a DID document that does not match.
          process.stderr.write(
            `Note: this did:web issuer lives at ${config.publicUrl} (PUBLIC_URL); run the server with that PUBLIC_URL.\n`,
          );
        }
        break;
      }
      case 'issuer list': {
        const rows = await issuers.listIssuers();
        print(
          rows.map((r) => ({ issuerId: r.id, did: r.did, name: r.name, createdAt: r.created_at })),
          rows.map((r) => `${r.id}  ${r.did}  ${r.name}`).join('\n') || '(no issuers)',
        );
        break;
      }
      case 'apikey create': {
        if (!values.issuer) throw new UsageError('apikey create needs --issuer <issuerId>');
        await issuers.getIssuer(values.issuer).catch(() => {
          throw new UsageError(`No issuer ${values.issuer}`);
        });
        const scopes = values.scopes === undefined ? undefined : values.scopes.split(',').map((x) => x.trim());
        if (scopes !== undefined && (scopes.length === 0 || scopes.some((x) => !(SCOPES as readonly string[]).includes(x)))) {
          throw new UsageError(`--scopes is a comma-separated list of ${SCOPES.join(', ')}`);
        }
        const expiresAt = values.expires === undefined ? undefined : new Date(values.expires);
        if (expiresAt !== undefined && (Number.isNaN(expiresAt.getTime()) || expiresAt <= new Date()))
          throw new UsageError('--expires must be a future date, e.g. 2027-06-30');
        const key = await issuers.createApiKeyAudited(
          values.issuer,
          { name: values.name ?? 'cli', scopes: scopes as Scope[] | undefined, expiresAt },
          'cli',
        );
        print(
          { apiKeyId: key.id, issuerId: key.issuerId, scopes: key.scopes, expiresAt: key.expiresAt, apiKey: key.apiKey },
          `API key ${key.id} for issuer ${key.issuerId}:\n  ${key.apiKey}\n(Shown once; store it now.)`,
        );
        break;
      }
      case 'apikey list': {
        if (!values.issuer) throw new UsageError('apikey list needs --issuer <issuerId>');
        const keys = await issuers.listApiKeys(values.issuer);
        print(
          keys.map((k) => ({ apiKeyId: k.id, ...toApiKeyInfo(k) })),
          keys
            .map(
              (k) =>
                `${k.id}  ${k.name}  [${k.scopes}]  created ${k.created_at.toISOString()}` +
                `${k.expires_at ? `  expires ${k.expires_at.toISOString()}` : ''}${k.revoked_at ? '  REVOKED' : ''}`,
            )
            .join('\n') || '(no keys)',
        );
        break;
      }
      case 'apikey revoke': {
        if (!target) throw new UsageError('apikey revoke needs the API key id');
        const owner = await issuers.apiKeyOwner(target);
        const revoked = await issuers.revokeApiKey(target);
        if (!revoked) throw new UsageError(`No live API key ${target}`);
        await audit.record({ issuerId: owner ?? null, actor: 'cli', action: 'apikey.revoke', target });
        print({ apiKeyId: target, revoked: true }, `Revoked API key ${target}`);
        break;
      }
      default:
        throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
    }
  } finally {
    await runtime.database.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) fail(`${error.message}\n\n${USAGE}`, 64);
  if (error instanceof ConfigError) fail(error.message, 78);
  fail(`Error: ${(error as Error).message}`, 1);
});
