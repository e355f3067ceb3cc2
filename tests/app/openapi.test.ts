import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderOpenApi } from '../../scripts/openapi-document.js';

describe('openapi.yaml', () => {
  it('matches the document generated from the route schemas (run npm run openapi after changing a route)', async () => {
    expect(fs.readFileSync('openapi.yaml', 'utf8')).toBe(await renderOpenApi());
  });

  it('names every shared schema as a component and gives every operation an id, summary and error responses', async () => {
    const document = parse(await renderOpenApi());
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['IssueRequest', 'AchievementDefinition', 'Problem', 'VerificationResult']),
    );
    for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        expect(operation.operationId, `${method} ${path}`).toBeTypeOf('string');
        expect(operation.summary, `${method} ${path}`).toBeTypeOf('string');
        if (method === 'post') expect(Object.keys(operation.responses), `${method} ${path}`).toContain('400');
      }
    }
  });
});
