/**
 * The W3C suites `npm run conformance` runs, and the localConfig.cjs that points them at our service.
 *
 * Every suite selects the endpoints of an implementation by tag (vc-test-suite-implementations' filterByTag):
 * `vc-api` (VC-API issuer and verifier suites), `vc2.0` (VC Data Model 2.0), `eddsa-rdfc-2022` (vc-di-eddsa),
 * `Ed25519Signature2020` (vc-di-ed25519signature2020) and `BitstringStatusList` (status list suite). A suite takes the
 * first endpoint carrying its tag, so the eddsa issuer carries every tag but Ed25519Signature2020, and a second
 * issuer (an issuer created with `--proof Ed25519Signature2020`) carries that one alone.
 */

export interface SuiteSpec {
  /** Folder name under CONFORMANCE_DIR, and the repository's name. */
  readonly dir: string;
  /** owner/name of the public repository (for the "how to get it" message). */
  readonly repo: string;
  /** Short label for the table. */
  readonly label: string;
}

export const SUITES: readonly SuiteSpec[] = [
  { dir: 'vc-api-issuer-test-suite', repo: 'w3c-ccg/vc-api-issuer-test-suite', label: 'vc-api-issuer' },
  { dir: 'vc-api-verifier-test-suite', repo: 'w3c-ccg/vc-api-verifier-test-suite', label: 'vc-api-verifier' },
  { dir: 'vc-data-model-2.0-test-suite', repo: 'w3c/vc-data-model-2.0-test-suite', label: 'vc-data-model-2.0' },
  { dir: 'vc-di-eddsa-test-suite', repo: 'w3c/vc-di-eddsa-test-suite', label: 'vc-di-eddsa' },
  { dir: 'vc-di-ed25519signature2020-test-suite', repo: 'w3c/vc-di-ed25519signature2020-test-suite', label: 'vc-di-ed25519signature2020' },
  { dir: 'vc-bitstring-status-list-test-suite', repo: 'w3c/vc-bitstring-status-list-test-suite', label: 'vc-bitstring-status-list' },
];

export interface IssuerIdentity {
  /** The issuer's did:key: the suites put it in `credential.issuer`. */
  readonly did: string;
  /** Bearer API key of that issuer. */
  readonly apiKey: string;
}

export interface LocalImplementation {
  readonly baseUrl: string;
  readonly eddsa: IssuerIdentity;
  readonly ed25519: IssuerIdentity;
}

export const IMPLEMENTATION_NAME = 'Microcredential Issuer (local)';

/**
 * The implementation manifest (vc-test-suite-implementations' format). Endpoint `headers` are sent with every request
 * to that endpoint; endpoint `options` (unused here) would be sent as the request body's `options`.
 */
export function implementationManifest(impl: LocalImplementation): Record<string, unknown> {
  const { baseUrl } = impl;
  const verifierTags = ['vc-api', 'vc2.0', 'eddsa-rdfc-2022', 'Ed25519Signature2020', 'BitstringStatusList', 'Revocation'];
  const bearer = (identity: IssuerIdentity) => ({ Authorization: `Bearer ${identity.apiKey}` });
  return {
    name: IMPLEMENTATION_NAME,
    implementation: 'microcredential-issuer',
    issuers: [
      {
        id: impl.eddsa.did,
        endpoint: `${baseUrl}/credentials/issue`,
        headers: bearer(impl.eddsa),
        supports: { vc: ['1.1', '2.0'] },
        tags: ['vc-api', 'vc2.0', 'eddsa-rdfc-2022', 'BitstringStatusList', 'Revocation', 'localhost'],
      },
      {
        id: impl.ed25519.did,
        endpoint: `${baseUrl}/credentials/issue`,
        headers: bearer(impl.ed25519),
        supports: { vc: ['1.1', '2.0'] },
        tags: ['Ed25519Signature2020', 'localhost'],
      },
    ],
    verifiers: [
      {
        id: `${baseUrl}/credentials/verify`,
        endpoint: `${baseUrl}/credentials/verify`,
        supports: { vc: ['1.1', '2.0'] },
        tags: [...verifierTags, 'localhost'],
      },
    ],
    vpVerifiers: [
      {
        id: `${baseUrl}/presentations/verify`,
        endpoint: `${baseUrl}/presentations/verify`,
        supports: { vc: ['1.1', '2.0'] },
        tags: ['vc-api', 'vc2.0', 'eddsa-rdfc-2022', 'localhost'],
      },
    ],
    // Only the status list suite's (currently unused) updateStatus helper reads these two.
    setStatusLists: [
      {
        id: `${baseUrl}/credentials/status`,
        endpoint: `${baseUrl}/credentials/status`,
        headers: bearer(impl.eddsa),
        tags: ['BitstringStatusList'],
      },
    ],
    publishStatusLists: [
      {
        id: `${baseUrl}/status-lists`,
        endpoint: `${baseUrl}/status-lists`,
        headers: bearer(impl.eddsa),
        tags: ['BitstringStatusList'],
      },
    ],
  };
}

/** The text of a suite's localConfig.cjs: only our implementation, no interop against the public list. */
export function localConfigSource(impl: LocalImplementation): string {
  const config = {
    settings: { enableInteropTests: false, testAllImplementations: false },
    implementations: [implementationManifest(impl)],
  };
  return (
    '// Written by microcredential-issuer scripts/conformance.ts for one run; it holds a throw-away API key.\n' +
    `module.exports = ${JSON.stringify(config, null, 2)};\n`
  );
}
