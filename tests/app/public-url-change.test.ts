/**
 * A did:web issuer's DID names the host of the PUBLIC_URL it was made under. Started under another PUBLIC_URL, the
 * server still signs as that issuer, but verifiers resolve its DID at the old host: the operator is warned at start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { issuersOutsidePublicUrl } from '../../src/services/bootstrap.js';
import { createTestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { deployment } from '../helpers/deployment.js';
import { createIssuer } from '../helpers/factories.js';
import { stopServer, waitReady, type ServerProcess } from '../helpers/server-process.js';

const WARNING = 'did:web issuers made under another PUBLIC_URL';

describe(`issuers made under another PUBLIC_URL (${backendName})`, () => {
  it('are the did:web issuers whose DID is not under PUBLIC_URL/issuers (a path in PUBLIC_URL counts; did:key never)', async () => {
    const t = await createTestApp();
    try {
      const web = await createIssuer(t.app.services, { didMethod: 'web' });
      await createIssuer(t.app.services, { didMethod: 'key', name: 'did:key district' });
      const here = t.baseUrl;
      expect(web.did.startsWith('did:web:')).toBe(true);
      expect(await issuersOutsidePublicUrl(t.database.db, here)).toEqual([]);
      for (const elsewhere of ['https://badges.example.org', `${here}/badges`, here.replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`)]) {
        expect(await issuersOutsidePublicUrl(t.database.db, elsewhere), elsewhere).toEqual([{ id: web.issuerId, did: web.did }]);
      }
    } finally {
      await t.close();
    }
  });

  describe('the server', () => {
    const servers: ServerProcess[] = [];
    let setup: Awaited<ReturnType<typeof deployment>> | undefined;
    afterAll(async () => {
      for (const server of servers) await stopServer(server);
      await setup?.cleanup();
    });

    it('warns at start, naming their DIDs, and not while PUBLIC_URL is the one they were made under', async () => {
      setup = await deployment(backendName, { prefix: 'public-url-' });
      const first = setup.start();
      servers.push(first);
      await waitReady(first, 60_000);
      expect(first.output()).not.toContain(WARNING);
      const demo = JSON.parse(fs.readFileSync(path.join(setup.dataDir, 'demo-credentials.json'), 'utf8')) as { did: string };
      expect(demo.did).toMatch(/^did:web:127\.0\.0\.1%3A\d+:issuers:/);
      expect((await stopServer(first, 'SIGTERM')).code).toBe(0);

      const moved = setup.start({ PUBLIC_URL: first.baseUrl.replace('127.0.0.1', 'localhost') });
      servers.push(moved);
      await waitReady(moved, 60_000);
      const warning = moved
        .output()
        .split('\n')
        .filter((line) => line.includes(WARNING))
        .map((line) => JSON.parse(line) as { level: number; issuers: string[]; publicUrl: string });
      expect(warning).toEqual([
        expect.objectContaining({ level: 40, issuers: [demo.did], publicUrl: expect.stringContaining('localhost') }),
      ]);
    }, 180_000);
  });
});
