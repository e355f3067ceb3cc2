/**
 * Request validation that never rewrites input (STYLE §3): bodies are checked without coercion, defaults or
 * removal of unknown properties, because a credential is an open-world document and a typo in our own
 * envelopes should be a 400, not silently dropped. Query strings and path parameters are coerced (they
 * arrive as text) and may take defaults.
 */
import { Ajv, type AnySchema } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export function installValidators(app: FastifyInstance, shared: readonly AnySchema[]): void {
  const make = (coerce: boolean) => {
    const ajv = new Ajv({
      allErrors: false,
      coerceTypes: coerce ? 'array' : false,
      useDefaults: coerce,
      removeAdditional: false,
      strict: false,
    });
    addFormats(ajv);
    for (const schema of shared) ajv.addSchema(schema);
    return ajv;
  };
  const bodyAjv = make(false);
  const paramsAjv = make(true);
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramsAjv).compile(schema as AnySchema));
}
