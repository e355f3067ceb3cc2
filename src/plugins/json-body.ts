/**
 * The JSON body parser: prototype-poisoning safe (fastify's own parser) and depth-limited. Depth is measured on
 * the text before parsing, in one pass, so a document nested 100,000 levels deep costs no more than its length
 * and never reaches a recursive routine. JSON-LD media types are JSON too.
 */
import type { FastifyInstance } from 'fastify';
import { Problem } from '../errors.js';
import { jsonDepth, MAX_JSON_DEPTH } from '../credentials/json.js';

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
  // A VC-JWT is sent as itself (OB 3.0 API and VC-JOSE-COSE): its text is the body.
  app.addContentTypeParser(['application/vc+jwt', 'application/jwt'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, (body as string).trim()),
  );
}
