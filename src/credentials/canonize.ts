/**
 * RDFC-1.0 canonicalisation for our proof suites, with JSON-LD context processing done once instead of per call.
 *
 * Why: in stock jsonld.js 9, signing a 6 KB OB 3.0 credential spends ~90% of its time cloning active contexts.
 * Every type-scoped context (OB 3.0 has one per class) is processed against a fresh clone of the active context,
 * and reverting it clones again, so the library's own processed-context cache (keyed by context identity) never
 * hits (jsonld.js issue #414). The result: ~10 ms per credential, where ~0.7 ms is the real work.
 *
 * What this does: it loads a second, private instance of the same jsonld.js files and, before the rest of that
 * instance loads, wraps two pure functions of its context module:
 * - `process(activeCtx, localCtx, …)` is memoised per active-context object and (local context, propagate,
 *   override-protected, base, processing mode), in safe mode only (the only mode used for proofs);
 * - `revertToPreviousContext()` returns one clone per previous context instead of a new clone each call,
 *   so the memo above sees stable identities.
 * Both rely on active contexts never being mutated after they are made, which holds in jsonld.js: context
 * processing clones before it defines terms, and the only later write is the lazily computed inverse context
 * (used by compaction, a pure function of the mappings). The stock `jsonld` everyone else imports (the
 * @digitalbazaar libraries, the verifier in tests) is untouched.
 *
 * The fast path takes only documents whose contexts are all URLs from their top-level `@context` list (every
 * credential this service signs, embedded endorsements included, and the usual credential to verify). Then every
 * context processed comes from the shipped context files, so the memo holds a small, bounded set of results.
 * Anything else (an inline context object, a nested context naming other URLs, `@import`) goes to stock jsonld.js: what a document defines for itself is never memoised, so it can
 * neither grow the memo nor change what another document means. Like jsonld.js's own cache of static contexts, the
 * memo is shared by every document loader (jsonld-signatures wraps the loader anew on every call): a context URL,
 * once processed, is not loaded again. Every loader here serves the same shipped, sha256-pinned contexts.
 *
 * The output is checked, not assumed: tests sign and canonicalise many varied credentials both ways and
 * require byte-identical N-Quads and proofs (tests/credentials/canonize.test.ts).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as rdfCanonize from 'rdf-canonize';

type ActiveContext = object;
interface ProcessArgs {
  activeCtx: ActiveContext;
  localCtx: unknown;
  options: { safe?: boolean; base?: unknown; processingMode?: unknown };
  propagate?: boolean;
  overrideProtected?: boolean;
  cycles?: Set<unknown>;
}
type Process = (args: ProcessArgs) => Promise<ActiveContext>;
interface ContextModule {
  process: Process;
  getInitialContext(options: { processingMode?: string }): ActiveContext & {
    revertToPreviousContext: (this: ActiveContext & { previousContext?: ActiveContext & { clone(): ActiveContext } }) => ActiveContext;
  };
}
interface JsonLd {
  toRDF(input: unknown, options: Record<string, unknown>): Promise<unknown>;
}

/** Results kept per active context, oldest dropped first; and in all, past which the memo starts afresh. */
const MEMO_PER_CONTEXT = 64;
const MEMO_TOTAL = 500;

function memoise(original: Process): Process {
  let memo = new WeakMap<ActiveContext, Map<string, Promise<ActiveContext>>>();
  let total = 0;
  return async function process(args) {
    const { activeCtx, localCtx, options, propagate = true, overrideProtected = false, cycles } = args;
    // Only the plain case: safe mode (events that would throw do so on the first call and are never cached) and
    // no remote-context recursion in progress.
    if (options.safe !== true || (cycles !== undefined && cycles.size > 0)) return original(args);
    let key: string;
    try {
      key = JSON.stringify([localCtx, propagate, overrideProtected, options.base ?? null, options.processingMode ?? null]);
    } catch {
      return original(args);
    }
    let entries = memo.get(activeCtx);
    const hit = entries?.get(key);
    if (hit !== undefined) {
      entries!.delete(key);
      entries!.set(key, hit);
      return hit;
    }
    const result = original(args);
    if (++total > MEMO_TOTAL) {
      memo = new WeakMap();
      total = 0;
      return result;
    }
    if (entries === undefined) memo.set(activeCtx, (entries = new Map()));
    entries.set(key, result);
    if (entries.size > MEMO_PER_CONTEXT) entries.delete(entries.keys().next().value!);
    // A failure is never cached: the next call processes (and fails) again.
    result.catch(() => {
      if (entries.get(key) === result) entries.delete(key);
    });
    return result;
  };
}

function stableRevert(context: ContextModule): void {
  const clones = new WeakMap<ActiveContext, ActiveContext>();
  for (const processingMode of [undefined, 'json-ld-1.0', 'json-ld-1.1']) {
    // The initial contexts are cached in the module; every active context copies its methods from them.
    const initial = context.getInitialContext({ processingMode });
    initial.revertToPreviousContext = function revertToPreviousContext() {
      const previous = this.previousContext;
      if (previous === undefined) return this;
      let clone = clones.get(previous);
      if (clone === undefined) clones.set(previous, (clone = previous.clone()));
      return clone;
    };
  }
}

/** A private instance of jsonld.js with the two wrappers installed; the shared module cache is left as found. */
function loadFastJsonLd(): JsonLd {
  const require = createRequire(import.meta.url);
  const lib = path.join(path.dirname(require.resolve('jsonld/package.json')), 'lib') + path.sep;
  const ours = () => Object.keys(require.cache).filter((file) => file.startsWith(lib));
  const shared = new Map(ours().map((file) => [file, require.cache[file]]));
  for (const file of shared.keys()) delete require.cache[file];
  try {
    const context = require(path.join(lib, 'context.js')) as ContextModule;
    context.process = memoise(context.process);
    stableRevert(context);
    const jsonld = require(path.join(lib, 'index.js')) as JsonLd;
    if (typeof jsonld.toRDF !== 'function') throw new Error('jsonld.js layout changed: no toRDF');
    return jsonld;
  } finally {
    for (const file of ours()) delete require.cache[file];
    for (const [file, module] of shared) require.cache[file] = module;
  }
}

let fast: JsonLd | undefined;
let stock: JsonLd | undefined;

/**
 * Whether every context in the document is a URL from its top-level `@context` list: the top-level list itself, and
 * nested ones (an embedded endorsement credential) naming only URLs from it. See the notes above.
 */
export function hasOnlyTopLevelContextUrls(document: unknown): boolean {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return false;
  const urlsOf = (context: unknown) => (Array.isArray(context) ? context : [context]);
  const top = urlsOf((document as Record<string, unknown>)['@context']);
  if (!top.every((url) => typeof url === 'string')) return false;
  const allowed = new Set(top);
  const nestedOk = (value: unknown): boolean => {
    if (Array.isArray(value)) return value.every(nestedOk);
    if (typeof value !== 'object' || value === null) return true;
    return Object.entries(value).every(([key, child]) =>
      key === '@context' ? urlsOf(child).every((url) => typeof url === 'string' && allowed.has(url)) : nestedOk(child),
    );
  };
  return Object.entries(document).every(([key, child]) => key === '@context' || nestedOk(child));
}

/**
 * What both proof suites do to canonicalise (eddsa-rdfc-2022's `canonize`, LinkedDataSignature's `_canonize`):
 * JSON-LD to RDF in safe mode with no base, then RDFC-1.0 to N-Quads.
 */
export async function canonize(input: unknown, options: Record<string, unknown>): Promise<string> {
  const jsonld = hasOnlyTopLevelContextUrls(input)
    ? (fast ??= loadFastJsonLd())
    : (stock ??= createRequire(import.meta.url)('jsonld') as JsonLd);
  const settings = { algorithm: 'RDFC-1.0', format: 'application/n-quads', base: null, safe: true, ...options };
  const toRdf: Record<string, unknown> = { rdfDirection: 'i18n-datatype', ...settings, produceGeneralizedRdf: false };
  delete toRdf.format;
  const dataset = await jsonld.toRDF(input, toRdf);
  return rdfCanonize.canonize(dataset, settings) as Promise<string>;
}
