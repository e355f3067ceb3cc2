/**
 * The JSON body parser: prototype-poisoning safe (fastify's own parser) and depth-limited. Depth is measured on
 * the text before parsing, in one pass, so a document nested 100,000 levels deep costs no more than its length
 * and never reaches a recursive routine. JSON-LD media types are JSON too.
 */
import type { FastifyInstance } from 'fastify';
import { Problem } from '../errors.js';

export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of objects and arrays in a JSON text (strings skipped). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'application/ld+json', 'application/vc+ld+json', 'application/vc'],
    { parseAs: 'string' },
    (request, body, done) => {
      const text = body as string;
      if (jsonDepth(text) > MAX_JSON_DEPTH) {
        done(new Problem('validation-failed', `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
        return;
      }
      parse(request, text, done);
    },
  );
}
