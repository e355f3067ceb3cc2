import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createKeyring } from '../../src/keys/keyring.js';
import { createSecretBox } from '../../src/keys/master-key.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest } from '../helpers/factories.js';

describe('request logs', () => {
  it('write one line per request with its id, and never an API key or a recipient identifier', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const database = await createTestDatabase();
    const box = createSecretBox(Buffer.alloc(32, 3));
    const app = await buildApp({
      config: {
        publicUrl: 'http://localhost:3999',
        allowPrivateFetch: false,
        fetchTimeoutMs: 1000,
        fetchMaxBytes: 65_536,
        bodyLimitBytes: 262_144,
      },
      db: database.db,
      keyring: createKeyring(box),
      box,
      logger: createLogger({ logLevel: 'info' }, sink),
    });
    try {
      const issuer = await createIssuer(app.services);
      const { id } = await createAchievement(app, issuer);
      const res = await app.inject({
        method: 'POST',
        url: '/credentials?email=teacher.one@district.example',
        headers: { ...issuer.auth, 'x-request-id': 'trace-123' },
        payload: issueRequest(id),
      });
      expect(res.statusCode).toBe(201);
      await app.inject({ method: 'POST', url: '/credentials', headers: { authorization: 'Bearer mck_wrong' }, payload: issueRequest(id) });
      const log = lines.join('\n');
      const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
      expect(requests).toHaveLength(3); // create achievement, issue, refused issue
      expect(requests[1]).toMatchObject({ reqId: 'trace-123', method: 'POST', path: '/credentials', status: 201 });
      expect(log).not.toContain(issuer.apiKey);
      expect(log).not.toContain('mck_');
      expect(log.toLowerCase()).not.toContain('teacher.one@district.example');
      expect(log).not.toContain('Jordan Rivera');
    } finally {
      await app.close();
      await database.close();
    }
  });
});
