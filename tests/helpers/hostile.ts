/**
 * Shared pieces of the hostile-input property tests (tests/app/hostile-input*.test.ts): JSON path surgery, and
 * generators of text, bytes and hosts that no request should be able to turn into a 5xx.
 */
import dns from 'node:dns';
import fc from 'fast-check';
import { vi } from 'vitest';

type Json = Record<string, unknown>;
export type Path = Array<string | number>;

export const JSON_MEDIA_TYPES = ['application/json', 'application/ld+json', 'application/vc+ld+json', 'application/vc'];
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);
export const isLoopbackName = (host: string) => LOOPBACK_NAMES.has(host);
/** Hosts a test may let the service look up: `.invalid` names (answered NXDOMAIN) and loopback. */
export const mayLookUp = (host: string) => host.endsWith('.invalid') || isLoopbackName(host);

// ---- JSON paths -------------------------------------------------------------------------------------------

export const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const isContainer = (v: unknown): v is Json | unknown[] => typeof v === 'object' && v !== null;

/** Paths of every node below the root; with `objectsOnly`, of the root and every object. */
export function paths(value: unknown, objectsOnly = false, path: Path = []): Path[] {
  const own = objectsOnly ? (kind(value) === 'object' ? [path] : []) : path.length > 0 ? [path] : [];
  if (!isContainer(value)) return own;
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [...own, ...entries.flatMap(([k, v]) => paths(v, objectsOnly, [...path, k]))];
}
export const getAt = (value: unknown, path: Path): unknown => path.reduce<unknown>((node, key) => (node as Json)[key as string], value);
export function setAt<T>(value: T, path: Path, replacement: unknown): T {
  if (path.length === 0) return replacement as T;
  const copy = structuredClone(value);
  (getAt(copy, path.slice(0, -1)) as Json)[path.at(-1) as string] = replacement;
  return copy;
}

export function dropAt<T>(value: T, path: Path): T {
  const copy = structuredClone(value);
  const parent = getAt(copy, path.slice(0, -1));
  if (Array.isArray(parent)) parent.splice(path.at(-1) as number, 1);
  else delete (parent as Json)[path.at(-1) as string];
  return copy;
}

// ---- generators -------------------------------------------------------------------------------------------

export const unicode = fc.string({ unit: 'binary', maxLength: 40 });
export const nested = (depth: number, shape: 'array' | 'object', leaf: unknown) => {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = shape === 'array' ? [value] : { a: value };
  return value;
};
/** Printable ASCII, as a header value may hold. */
export const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
/** An RFC 9110 token (media types, parameter names). */
export const mediaToken = fc.stringMatching(/^[A-Za-z0-9!#$&^_.+-]{1,20}$/);
/** Bytes a JSON parser must refuse (or that parse to something no schema accepts). */
export const rawBytes = (valid: unknown) => {
  const text = JSON.stringify(valid);
  return fc.oneof(
    fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
    fc.integer({ min: 0, max: text.length - 1 }).map((n) => Buffer.from(text.slice(0, n))),
    fc.constantFrom('', 'hello', '{', '{"a":1,}', "{'a':1}", 'NaN', '[1,2', '\ufeff{}', 'null', '\u0000').map((s) => Buffer.from(s)),
  );
};
/** A host under `.invalid` (RFC 6761: never resolves), in either case. */
export const invalidHost = fc.tuple(fc.domain(), fc.boolean()).map(([domain, upper]) => `${upper ? domain.toUpperCase() : domain}.invalid`);
/** Content types a route does not parse (`parsed` are the ones it does): named ones, random ones, and header noise. */
export const foreignContentType = (parsed: readonly string[]) =>
  fc
    .oneof(
      fc.constantFrom(
        'text/plain',
        'text/plain; charset=utf-8',
        'text/html',
        'text/json',
        'application/xml',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=----x',
        'application/octet-stream',
        'application/javascript',
        'application/jsonl',
        'application/json-patch+json',
        'application/vc+jwt',
        'image/png',
        'garbage',
        '/',
        ';',
        'application/',
        '',
        'application/jwt',
      ),
      fc
        .tuple(mediaToken, mediaToken, fc.option(fc.tuple(mediaToken, mediaToken)))
        .map(([type, sub, param]) => `${type}/${sub}${param ? `; ${param[0]}=${param[1]}` : ''}`),
      headerText,
    )
    .filter((ct) => !parsed.includes(ct.split(';')[0]!.trim().toLowerCase()));

export interface LookupSpy {
  readonly mock: { calls: unknown[][] };
  mockRestore(): void;
}

/**
 * Replaces node:dns lookups for the test: loopback names resolve as usual, every other name is NXDOMAIN, and the spy
 * records what was asked (so a test can check nothing but `.invalid` and loopback was looked up).
 */
export function fakeDnsLookup(): LookupSpy {
  const realLookup = dns.lookup;
  const fakeLookup = (hostname: string, options: unknown, callback?: unknown) => {
    const done = (typeof options === 'function' ? options : callback) as (error: NodeJS.ErrnoException) => void;
    if (isLoopbackName(hostname)) return (realLookup as (...args: unknown[]) => unknown)(hostname, options, callback);
    const error: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
    });
    process.nextTick(() => done(error));
  };
  return vi.spyOn(dns, 'lookup').mockImplementation(fakeLookup as unknown as typeof dns.lookup);
}
