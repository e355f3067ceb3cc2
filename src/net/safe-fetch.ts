/**
 * The only outbound HTTP this service makes: fetching JSON a verification needs (did:web documents, status
 * lists). It refuses non-http(s) URLs, private, loopback, link-local and other special addresses (unless
 * allowed), checks the address actually connected to (no DNS rebinding between check and connect), follows
 * no redirects, and bounds time and size.
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export interface SafeFetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly allowPrivate: boolean;
  readonly accept?: string;
}

export class FetchRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchRefusedError';
  }
}

const blocked = new net.BlockList();
for (const [address, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv4');
}
for (const [address, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['2001:db8::', 32],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(address, prefix, 'ipv6');
}

/** Whether an IP address is private, loopback or otherwise not a public internet address. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  return family === undefined ? true : blocked.check(address, family);
}

/**
 * GETs `url` and parses JSON.
 * @throws {FetchRefusedError} for a refused address or scheme; {Error} for HTTP errors, timeouts, oversize or bad JSON.
 */
export async function fetchJson(url: string, options: SafeFetchOptions): Promise<unknown> {
  const body = await send(url, options, { method: 'GET', headers: { accept: options.accept ?? 'application/json' } });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error(`GET ${url} did not return JSON`);
  }
}

/**
 * POSTs a JSON body (webhooks) under the same rules as fetchJson; the answer's body is read (up to maxBytes) and dropped.
 * @throws {FetchRefusedError} for a refused address or scheme; {Error} for non-2xx answers, timeouts or oversize.
 */
export async function postJson(
  url: string,
  payload: string,
  options: SafeFetchOptions & { headers?: Record<string, string> },
): Promise<void> {
  await send(url, options, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...options.headers },
    body: payload,
  });
}

/** One request to a public address: no credentials in URLs, no private addresses, a deadline and a size limit. */
async function send(
  url: string,
  options: SafeFetchOptions,
  message: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
): Promise<Buffer> {
  const target = new URL(url);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new FetchRefusedError(`Refusing to fetch ${target.protocol} URL`);
  if (target.username !== '' || target.password !== '') throw new FetchRefusedError('Refusing to fetch a URL with credentials');
  const client = target.protocol === 'https:' ? https : http;

  // Every address the name resolves to is checked, and the connection uses only those: no rebinding in between.
  // Node asks for all addresses (`all: true`) when it races IPv4 and IPv6, so answer in the shape it asked for.
  const lookup = ((hostname: string, lookupOptions: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    dns.lookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error);
      const refused = options.allowPrivate ? undefined : addresses.find((a) => isPrivateAddress(a.address));
      if (refused !== undefined)
        return callback(new FetchRefusedError(`Refusing to fetch from private or loopback address ${refused.address}`));
      if (addresses.length === 0) return callback(new Error(`${hostname} has no address`));
      if (lookupOptions.all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as unknown as net.LookupFunction;
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(literal) !== 0 && !options.allowPrivate && isPrivateAddress(literal)) {
    throw new FetchRefusedError(`Refusing to fetch from private or loopback address ${literal}`);
  }
  const what = `${message.method} ${url}`;

  return new Promise<Buffer>((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: message.method,
        lookup,
        timeout: options.timeoutMs,
        headers: { ...message.headers, 'user-agent': 'microcredential-verifier' },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          response.resume();
          reject(new Error(`${what} answered HTTP ${status}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            reject(new Error(`${what} is larger than ${options.maxBytes} bytes`));
            request.destroy(); // no error: the promise is already settled, and an error here would go uncaught
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks)));
        response.on('error', reject);
      },
    );
    const deadline = setTimeout(() => request.destroy(new Error(`${what} timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    request.on('timeout', () => request.destroy(new Error(`${what} timed out after ${options.timeoutMs} ms`)));
    request.on('error', reject);
    request.on('close', () => clearTimeout(deadline));
    request.end(message.body);
  });
}
