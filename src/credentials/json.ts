/** Reading untrusted JSON-LD: safe accessors that never call a hostile object's methods. */

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The id of a node given as a string or as an object with an `id` (issuer, verificationMethod, subject…). */
export const idOf = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : isObject(value) && typeof value.id === 'string' ? value.id : undefined;

/** JSON-LD's "one value or an array of values" as an array. */
export const asArray = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Text of a JSON scalar; never calls a hostile object's toString. */
export const textOf = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';

/** Untrusted JSON is refused beyond this depth, measured before parsing. */
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

/**
 * Every context a document refers to, wherever it is: `@context` values at the top or in any node (JSON-LD applies
 * embedded and scoped contexts too), and inside inline contexts their scoped `@context`s and `@import`s. Inline
 * context objects themselves are returned as objects; every URL any of them names is returned as a string.
 */
export function contextValues(value: unknown, found: unknown[] = [], depth = 0): unknown[] {
  if (depth > 64 || typeof value !== 'object' || value === null) return found;
  if (Array.isArray(value)) {
    for (const item of value) contextValues(item, found, depth + 1);
    return found;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === '@context') {
      for (const context of asArray(child)) {
        found.push(context);
        if (typeof context === 'object' && context !== null) contextValues(context, found, depth + 1);
      }
    } else if (key === '@import') found.push(child);
    else contextValues(child, found, depth + 1);
  }
  return found;
}

/**
 * JSON pointers (RFC 6901, relative to `value`) to the members for which `match(name, member)` holds, in document
 * order, at most `limit`. Context definitions (`@context` values) are not searched: they define terms, not data.
 */
export function findMembers(value: unknown, match: (name: string, member: unknown) => boolean, limit = 10): string[] {
  const found: string[] = [];
  const walk = (node: unknown, at: string, depth: number): void => {
    if (depth > MAX_JSON_DEPTH || typeof node !== 'object' || node === null) return;
    const isArray = Array.isArray(node);
    for (const [name, member] of isArray ? node.map((item, i) => [String(i), item] as const) : Object.entries(node)) {
      if (found.length >= limit) return;
      if (!isArray && name === '@context') continue;
      const pointer = `${at}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!isArray && match(name, member)) found.push(pointer);
      walk(member, pointer, depth + 1);
    }
  };
  walk(value, '', 0);
  return found;
}

/** Stable JSON (sorted keys): equal documents give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
