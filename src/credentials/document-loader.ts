/**
 * The JSON-LD document loader used for signing and verifying. It serves the contexts shipped in `contexts/`
 * (checked against their sha256 in manifest.json when loaded) and DID documents and verification methods from
 * an injected DID resolver. It never fetches a context: an unknown context URL is an error, so a credential
 * that depends on one does not verify (and cannot smuggle in term definitions).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface RemoteDocument {
  contextUrl: null;
  documentUrl: string;
  document: unknown;
}

export type DocumentLoader = ((url: string) => Promise<RemoteDocument>) & {
  /** Whether `url` is a JSON-LD context we ship (the only contexts ever used). */
  readonly isShippedContext: (url: string) => boolean;
};

/** Returns the DID document for a DID (without fragment). */
export type DidResolver = (did: string) => Promise<Record<string, unknown>>;

interface ManifestEntry {
  readonly url: string;
  readonly file: string;
  readonly sha256: string;
}

export class UnknownContextError extends Error {
  constructor(readonly url: string) {
    super(`JSON-LD context ${url} is not one this service ships (contexts/); remote contexts are never fetched`);
    this.name = 'UnknownContextError';
  }
}

/** A DID document could not be retrieved (network, timeout, refused address): the answer is unknown, not "no". */
export class DidResolutionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DidResolutionError';
  }
}

/**
 * Reads every context listed in `<dir>/manifest.json`.
 * @throws {Error} when a file is missing or its sha256 differs from the manifest.
 */
export function loadContexts(dir: string): ReadonlyMap<string, Readonly<Record<string, unknown>>> {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as ManifestEntry[];
  const byFile = new Map<string, Record<string, unknown>>();
  const contexts = new Map<string, Readonly<Record<string, unknown>>>();
  for (const entry of manifest) {
    let document = byFile.get(entry.file);
    if (document === undefined) {
      const bytes = fs.readFileSync(path.join(dir, entry.file));
      const digest = crypto.createHash('sha256').update(bytes).digest('hex');
      if (digest !== entry.sha256) throw new Error(`contexts/${entry.file} does not match its sha256 in manifest.json`);
      document = deepFreeze(JSON.parse(bytes.toString('utf8')) as Record<string, unknown>);
      byFile.set(entry.file, document);
    }
    contexts.set(entry.url, document);
  }
  return contexts;
}

/** A loader over shipped contexts and a DID resolver. */
export function createDocumentLoader(options: { contexts: ReadonlyMap<string, unknown>; resolveDid: DidResolver }): DocumentLoader {
  const { contexts, resolveDid } = options;
  if (!(contexts instanceof Map)) throw new TypeError('contexts must be a Map');
  if (typeof resolveDid !== 'function') throw new TypeError('resolveDid must be a function');
  const load = async (url: string): Promise<RemoteDocument> => {
    const context = contexts.get(url);
    if (context !== undefined) return { contextUrl: null, documentUrl: url, document: context };
    if (url.startsWith('did:')) {
      const [did, fragment] = url.split('#', 2) as [string, string | undefined];
      const didDocument = await resolveDid(did);
      if (fragment === undefined) return { contextUrl: null, documentUrl: url, document: didDocument };
      const method = findVerificationMethod(didDocument, url);
      if (method === undefined) throw new Error(`Verification method ${url} is not in the DID document of ${did}`);
      return {
        contextUrl: null,
        documentUrl: url,
        document: { '@context': didDocument['@context'], ...method },
      };
    }
    throw new UnknownContextError(url);
  };
  return Object.assign(load, { isShippedContext: (url: string) => contexts.has(url) });
}

function findVerificationMethod(didDocument: Record<string, unknown>, id: string): Record<string, unknown> | undefined {
  const did = String(didDocument.id ?? '');
  const methods = Array.isArray(didDocument.verificationMethod) ? didDocument.verificationMethod : [];
  for (const method of methods) {
    if (typeof method !== 'object' || method === null) continue;
    const methodId = String((method as Record<string, unknown>).id ?? '');
    const absolute = methodId.startsWith('#') ? did + methodId : methodId;
    if (absolute === id) return { ...(method as Record<string, unknown>), id: absolute };
  }
  return undefined;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
