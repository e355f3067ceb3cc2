import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe(loadConfig.name, () => {
  it('defaults to port 3000, the embedded database and a localhost public URL', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      publicUrl: 'http://localhost:3000',
      logLevel: 'info',
      allowPrivateFetch: false,
      seedDemo: true,
    });
    expect(config.dataDir).toMatch(/\/data$/);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('normalises PUBLIC_URL without a trailing slash', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://badges.example.org/' }).publicUrl).toBe('https://badges.example.org');
    expect(loadConfig({ PUBLIC_URL: 'https://example.org/badges/' }).publicUrl).toBe('https://example.org/badges');
  });

  it('reports every invalid variable at once', () => {
    try {
      loadConfig({ PORT: 'eighty', PUBLIC_URL: 'ftp://x', LOG_LEVEL: 'loud', ALLOW_PRIVATE_FETCH: 'maybe', DATABASE_URL: 'mysql://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'PUBLIC_URL', 'LOG_LEVEL', 'ALLOW_PRIVATE_FETCH', 'DATABASE_URL', 'MASTER_KEY'])
        expect(problems).toContain(name);
    }
  });

  it('requires a 32-byte master key with PostgreSQL and turns the demo seed off', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db/x' })).toThrow(/MASTER_KEY/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://db/x', MASTER_KEY: Buffer.alloc(16).toString('base64') })).toThrow(/32 bytes/);
    const config = loadConfig({ DATABASE_URL: 'postgres://db/x', MASTER_KEY: Buffer.alloc(32, 1).toString('base64') });
    expect(config.seedDemo).toBe(false);
  });
});
