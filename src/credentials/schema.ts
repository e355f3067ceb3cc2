/**
 * OB 3.0 JSON Schema validation (draft 2019-09), against the schemas shipped in `schemas/` (never fetched).
 * Used before signing (a failure is a 422 listing the errors) and by the verifier as the `schema` check for
 * credentials that declare a 1EdTechJsonSchemaValidator2019 credentialSchema we ship.
 */
import { asArray, isObject } from './json.js';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2019, type ValidateFunction } from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2019) => Ajv2019;

export interface SchemaError {
  readonly pointer: string;
  readonly detail: string;
}

export interface SchemaRegistry {
  /** Ids of the schemas shipped. */
  readonly ids: readonly string[];
  /** @returns errors (empty when valid), or undefined when the schema is not shipped. */
  validate(schemaId: string, document: unknown): SchemaError[] | undefined;
}

/** Loads and compiles every schema in `<dir>/manifest.json`. */
export function loadSchemas(dir: string): SchemaRegistry {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Array<{ id: string; file: string }>;
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();
  for (const entry of manifest) {
    const schema = JSON.parse(fs.readFileSync(path.join(dir, entry.file), 'utf8')) as Record<string, unknown>;
    compiled.set(entry.id, ajv.compile({ ...schema, $id: entry.id }));
  }
  return {
    ids: [...compiled.keys()],
    validate(schemaId, document) {
      const validateFn = compiled.get(schemaId);
      if (validateFn === undefined) return undefined;
      if (validateFn(document)) return [];
      return (validateFn.errors ?? []).map((e) => ({
        pointer: `#${e.instancePath}`,
        detail: `${e.instancePath || 'credential'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? `: ${JSON.stringify(e.params.allowedValues)}` : ''}`,
      }));
    },
  };
}

/** The ids of the 1EdTechJsonSchemaValidator2019 schemas a credential declares in `credentialSchema`. */
export function declaredSchemaIds(credential: Record<string, unknown>): string[] {
  return asArray(credential.credentialSchema)
    .filter(
      (s): s is { id: string; type: string } => isObject(s) && s.type === '1EdTechJsonSchemaValidator2019' && typeof s.id === 'string',
    )
    .map((s) => s.id);
}
