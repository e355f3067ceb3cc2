import http from 'node:http';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FetchRefusedError, fetchJson, isPrivateAddress, type SafeFetchOptions } from '../../src/net/safe-fetch.js';

interface LocalServer {
  readonly port: number;
  readonly url: string;
  /** Method and path of every request the server received. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 (port 0) that records what reaches it. */
async function serve(handler: (request: http.IncomingMessage, response: http.ServerResponse) => void): Promise<LocalServer> {
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return {
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json =
  (body: unknown, status = 200) =>
  (_request: http.IncomingMessage, response: http.ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

const options = (overrides: Partial<SafeFetchOptions> = {}): SafeFetchOptions => ({
  timeoutMs: 1000,
  maxBytes: 65_536,
  allowPrivate: true,
  ...overrides,
});
const strict = (overrides: Partial<SafeFetchOptions> = {}) => options({ allowPrivate: false, ...overrides });

describe(fetchJson.name, () => {
  const servers: LocalServer[] = [];
  const start = async (handler: Parameters<typeof serve>[0]) => {
    const server = await serve(handler);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  describe('with private fetches refused', () => {
    let target: LocalServer;
    beforeAll(async () => {
      target = await serve(json({ secret: 'internal' }));
    });
    afterAll(() => target.close());

    it.each([
      ['127.0.0.1', (port: number) => `http://127.0.0.1:${port}/`],
      ['localhost (refused after DNS, before connecting)', (port: number) => `http://localhost:${port}/`],
      ['::1', (port: number) => `http://[::1]:${port}/`],
      ['::ffff:127.0.0.1 (IPv4-mapped loopback)', (port: number) => `http://[::ffff:127.0.0.1]:${port}/`],
      ['2130706433 (loopback as one decimal number)', (port: number) => `http://2130706433:${port}/`],
      ['127.1 (short loopback form)', (port: number) => `http://127.1:${port}/`],
      ['10.0.0.1', (port: number) => `http://10.0.0.1:${port}/`],
      ['10.255.255.254', () => 'https://10.255.255.254/did.json'],
      ['192.168.1.10', (port: number) => `http://192.168.1.10:${port}/`],
      ['172.16.0.1', () => 'http://172.16.0.1/'],
      ['169.254.169.254 (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data/'],
      ['0.0.0.0', (port: number) => `http://0.0.0.0:${port}/`],
      ['fd00::1 (unique local)', () => 'http://[fd00::1]/'],
    ])('refuses %s with FetchRefusedError, and the server sees no request', async (_name, url) => {
      await expect(fetchJson(url(target.port), strict())).rejects.toBeInstanceOf(FetchRefusedError);
      expect(target.requests).toEqual([]);
    });
  });

  it('fetches and parses JSON from 127.0.0.1 when private fetches are allowed, sending the Accept header', async () => {
    const accepts: Array<string | undefined> = [];
    const server = await start((request, response) => {
      accepts.push(request.headers.accept);
      json({ id: 'did:web:example.org', n: [1, 2] })(request, response);
    });
    await expect(fetchJson(`${server.url}/.well-known/did.json`, options())).resolves.toEqual({ id: 'did:web:example.org', n: [1, 2] });
    await expect(fetchJson(`${server.url}/x`, options({ accept: 'application/did+json' }))).resolves.toEqual({
      id: 'did:web:example.org',
      n: [1, 2],
    });
    expect(server.requests).toEqual(['GET /.well-known/did.json', 'GET /x']);
    expect(accepts).toEqual(['application/json', 'application/did+json']);
  });

  it('fetches JSON from a host name (localhost) when private fetches are allowed', async () => {
    const server = await start(json({ ok: true }));
    await expect(fetchJson(`http://localhost:${server.port}/`, options())).resolves.toEqual({ ok: true });
    expect(server.requests).toEqual(['GET /']);
  });

  it.each([
    ['file:///etc/passwd'],
    ['ftp://127.0.0.1/did.json'],
    ['data:application/json,{"a":1}'],
    ['gopher://127.0.0.1:70/'],
    ['javascript:alert(1)'],
  ])('refuses the non-http(s) URL %s', async (url) => {
    await expect(fetchJson(url, options())).rejects.toBeInstanceOf(FetchRefusedError);
  });

  it.each([['user:pass@'], ['user@'], [':pass@']])(
    'refuses a URL with credentials (%s), even when private fetches are allowed',
    async (userinfo) => {
      const server = await start(json({}));
      await expect(fetchJson(`http://${userinfo}127.0.0.1:${server.port}/`, options())).rejects.toBeInstanceOf(FetchRefusedError);
      expect(server.requests).toEqual([]);
    },
  );

  it('does not follow a redirect: a 302 is an error and its Location is never requested', async () => {
    const server = await start((request, response) => {
      if (request.url === '/start') response.writeHead(302, { location: '/target' }).end();
      else json({ followed: true })(request, response);
    });
    await expect(fetchJson(`${server.url}/start`, options())).rejects.toThrow(/HTTP 302/);
    expect(server.requests).toEqual(['GET /start']);
  });

  it.each([[404], [500], [204]])('rejects an HTTP %i answer', async (status) => {
    const server = await start((_request, response) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(status === 204 ? undefined : '{}'),
    );
    await expect(fetchJson(server.url, options())).rejects.toThrow();
  });

  const big = JSON.stringify({ padding: 'x'.repeat(10_000) });
  const sized = (_request: http.IncomingMessage, response: http.ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) }).end(big);
  };

  it('rejects a streamed response once it grows past maxBytes', async () => {
    const server = await start((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 10; i++) response.write(big.slice(i * 1001, (i + 1) * 1001));
      setTimeout(() => response.end(big.slice(10_010)), 50);
    });
    await expect(fetchJson(server.url, options({ maxBytes: 1000 }))).rejects.toThrow(/larger than 1000 bytes/);
  });

  it('rejects a response larger than maxBytes that arrives whole (Content-Length, one read) as too large, without an uncaught error', async () => {
    const server = await start(sized);
    await expect(fetchJson(server.url, options({ maxBytes: 1000 }))).rejects.toThrow(/larger than 1000 bytes/);
  });

  it('accepts a response of exactly maxBytes', async () => {
    const server = await start(sized);
    await expect(fetchJson(server.url, options({ maxBytes: Buffer.byteLength(big) }))).resolves.toEqual(JSON.parse(big));
  });

  it('gives up on a server that never answers after about timeoutMs', async () => {
    const server = await start(() => {
      // accepts the request and never responds
    });
    const started = performance.now();
    await expect(fetchJson(server.url, options({ timeoutMs: 300 }))).rejects.toThrow(/timed out after 300 ms/);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(300 + 1000);
  });

  it('gives up after about timeoutMs on a server that sends headers, then trickles the body forever', async () => {
    const server = await start((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('[');
      const timer = setInterval(() => response.write('1,'), 50);
      response.on('close', () => clearInterval(timer));
    });
    const started = performance.now();
    await expect(fetchJson(server.url, options({ timeoutMs: 400 }))).rejects.toThrow(/timed out/);
    expect(performance.now() - started).toBeLessThan(400 + 1000);
  });

  it.each([['hello'], ['{"truncated":'], ['<html></html>'], ['']])('rejects a body that is not JSON (%j)', async (body) => {
    const server = await start((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(body));
    await expect(fetchJson(server.url, options())).rejects.toThrow(/did not return JSON/);
  });
});

const ipv4 = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
const ipv4Number = (dotted: string) => dotted.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

/** A random address inside `base/prefix`. */
const inSubnet = (base: string, prefix: number) =>
  fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((offset) => ipv4(ipv4Number(base) + offset));

const PRIVATE_V4: Array<[string, number]> = [
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
];

describe(isPrivateAddress.name, () => {
  it.each([['8.8.8.8'], ['1.1.1.1'], ['93.184.215.14'], ['2606:4700::1111'], ['2001:4860:4860::8888'], ['::ffff:8.8.8.8']])(
    'is false for the public address %s',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  it.each([
    ['127.0.0.1'],
    ['10.1.2.3'],
    ['172.31.255.255'],
    ['192.168.0.1'],
    ['169.254.169.254'],
    ['100.64.0.1'],
    ['::1'],
    ['::'],
    ['fe80::1'],
    ['fc00::1'],
    ['fd12:3456::1'],
    ['ff02::1'],
    ['::ffff:127.0.0.1'],
    ['::ffff:7f00:1'],
    ['::ffff:10.0.0.1'],
    ['not-an-address'],
    [''],
    ['localhost'],
  ])('is true for %j', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it('is true for any IPv4 address in a private, loopback, link-local or reserved range, plain or IPv4-mapped', () => {
    fc.assert(
      fc.property(fc.oneof(...PRIVATE_V4.map(([base, prefix]) => inSubnet(base, prefix))), (address) => {
        expect(isPrivateAddress(address)).toBe(true);
        expect(isPrivateAddress(`::ffff:${address}`)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('is true for any unique-local or link-local IPv6 address', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
    fc.assert(
      fc.property(
        fc.constantFrom('fc', 'fd', 'fe8', 'fe9', 'fea', 'feb'),
        fc.integer({ min: 0, max: 0xff }),
        fc.array(group, { minLength: 7, maxLength: 7 }),
        (prefix, byte, rest) => {
          const first = prefix.length === 2 ? `${prefix}${byte.toString(16).padStart(2, '0')}` : `${prefix}${(byte & 0xf).toString(16)}`;
          expect(isPrivateAddress([first, ...rest].join(':'))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
