/**
 * A cohort CSV → batch items (pure; the `npm run batch` tool posts them to POST /batches).
 *
 * The file is RFC 4180 CSV (UTF-8, optional BOM, comma separated, quotes doubled inside quoted fields, CRLF or
 * LF) with a header row. Columns, by header name (case-insensitive; unknown columns are an error, so a typo
 * does not silently drop data):
 *
 *   identity (or email)        the educator's identifier: required
 *   identityType               OB 3.0 IdentifierTypeEnum, default emailAddress
 *   name, did                  display name; the educator's DID
 *   achievementId, achievementVersion
 *                              default: the tool's --achievement
 *   evidenceUrl, evidenceName, evidenceGenre, evidenceNarrative
 *                              one evidence item (several: evidenceUrl2, evidenceName2, …)
 *   result:<criterion>         the rubric level key achieved on <criterion>
 *   assessorName, assessorQualification
 *   assessedAt, awardedAt, validFrom, validUntil
 *                              RFC 3339 date-times with a zone
 *   narrative, creditsEarned
 *   idempotencyKey             default: derived from the achievement and the educator (see `itemKey`), so
 *                              running the same file again issues nothing twice
 *
 * Values are checked by the service (the whole batch is refused with pointers if any row is invalid); here only
 * the file's shape is checked, with the row number in every message.
 */
import crypto from 'node:crypto';

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

/** A record of the file and the line it starts on (a quoted field may span lines). */
export interface CsvRow {
  readonly line: number;
  readonly fields: string[];
}

/** Parses RFC 4180 CSV into rows of fields. @throws {CsvError} on an unterminated quote or stray quote. */
export function parseCsv(text: string): string[][] {
  return parseCsvRows(text).map((row) => row.fields);
}

/** As parseCsv, with the line each row starts on. @throws {CsvError} naming the line of the quote at fault. */
export function parseCsvRows(text: string): CsvRow[] {
  const input = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let quoteLine = 1;
  let i = 0;
  const endField = () => {
    fields.push(field);
    field = '';
  };
  const endRow = () => {
    endField();
    rows.push({ line: rowLine, fields });
    fields = [];
  };
  while (i < input.length) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const after = input[i];
        if (after !== undefined && after !== ',' && after !== '\n' && after !== '\r') {
          throw new CsvError(`Line ${line}: a closing quote must end the field`);
        }
        continue;
      }
      if (c === '\n' || (c === '\r' && input[i + 1] !== '\n')) line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (field !== '') throw new CsvError(`Line ${line}: a quote inside an unquoted field (quote the whole field)`);
      quoted = true;
      quoteLine = line;
      i++;
    } else if (c === ',') {
      endField();
      i++;
    } else if (c === '\r' || c === '\n') {
      endRow();
      i += c === '\r' && input[i + 1] === '\n' ? 2 : 1;
      line++;
      rowLine = line;
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new CsvError(`Line ${quoteLine}: a quoted field is not closed`);
  if (field !== '' || fields.length > 0) endRow();
  // Blank lines (a trailing newline, an empty line between rows) are not rows.
  return rows.filter((r) => !(r.fields.length === 1 && r.fields[0] === ''));
}

export interface BatchItem {
  readonly idempotencyKey: string;
  readonly request: Record<string, unknown>;
}

/** A batch item and the file line it came from (the line is for messages; it is not sent). */
export interface LineItem {
  readonly line: number;
  readonly item: BatchItem;
}

const SIMPLE = {
  identity: 'identity',
  email: 'identity',
  identitytype: 'identityType',
  name: 'name',
  did: 'did',
  achievementid: 'achievementId',
  achievementversion: 'achievementVersion',
  assessorname: 'assessorName',
  assessorqualification: 'assessorQualification',
  assessedat: 'assessedAt',
  awardedat: 'awardedAt',
  validfrom: 'validFrom',
  validuntil: 'validUntil',
  narrative: 'narrative',
  creditsearned: 'creditsEarned',
  idempotencykey: 'idempotencyKey',
} as const;
type Simple = (typeof SIMPLE)[keyof typeof SIMPLE];

type Column =
  | { kind: 'simple'; field: Simple }
  | { kind: 'evidence'; index: number; field: 'url' | 'name' | 'genre' | 'narrative' }
  | { kind: 'result'; criterion: string };

function column(header: string): Column | undefined {
  const h = header.trim();
  const lower = h.toLowerCase();
  if (Object.hasOwn(SIMPLE, lower)) return { kind: 'simple', field: SIMPLE[lower as keyof typeof SIMPLE] };
  const evidence = /^evidence(url|name|genre|narrative)([1-9]\d?)?$/.exec(lower);
  if (evidence) return { kind: 'evidence', index: Number(evidence[2] ?? 1), field: evidence[1] as 'url' | 'name' | 'genre' | 'narrative' };
  const result = /^result:(.+)$/i.exec(h);
  if (result) return { kind: 'result', criterion: result[1]!.trim() };
  return undefined;
}

/**
 * The default Idempotency-Key of a row: one educator earns one achievement once, so the key is a hash of the
 * achievement and the identifier (normalised like the service normalises emails). Hashed: keys are stored and
 * logged, identifiers must not be.
 */
export function itemKey(achievementId: string, identityType: string, identity: string): string {
  const normalised = identityType === 'emailAddress' ? identity.trim().toLowerCase() : identity.trim();
  return `csv-${crypto.createHash('sha256').update(`${achievementId}\n${identityType}\n${normalised}`).digest('hex').slice(0, 40)}`;
}

/**
 * Maps parsed rows (header first) to batch items.
 * @throws {CsvError} naming the line for an unknown column, a missing identity or achievement, or a bad number.
 */
export function rowsToItems(rows: readonly string[][], defaults: { achievementId?: string }): BatchItem[] {
  return linesToItems(
    rows.map((fields, i) => ({ line: i + 1, fields })),
    defaults,
  ).map((l) => l.item);
}

/** As rowsToItems, over parseCsvRows' rows, keeping each item's file line. */
export function linesToItems(rows: readonly CsvRow[], defaults: { achievementId?: string }): LineItem[] {
  const [headerRow, ...body] = rows;
  if (headerRow === undefined) throw new CsvError('The file is empty: the first line must name the columns');
  const header = headerRow.fields;
  const named = new Map<string, number>();
  const columns = header.map((h, i) => {
    const c = column(h);
    if (c === undefined) throw new CsvError(`Column ${i + 1} "${h}" is not one this tool reads (see npm run batch -- --help)`);
    const key = c.kind === 'simple' ? c.field : c.kind === 'result' ? `result:${c.criterion}` : `evidence${c.field}${c.index}`;
    const first = named.get(key);
    if (first !== undefined) throw new CsvError(`Columns ${first + 1} and ${i + 1} both give ${key}`);
    named.set(key, i);
    return c;
  });
  if (!columns.some((c) => c.kind === 'simple' && c.field === 'identity')) {
    throw new CsvError('The header needs an "identity" (or "email") column');
  }
  return body.map(({ line, fields: cells }) => {
    if (cells.length !== columns.length) throw new CsvError(`Line ${line}: ${cells.length} fields, the header has ${columns.length}`);
    const simple: Partial<Record<Simple, string>> = {};
    const evidence = new Map<number, Record<string, string>>();
    const results: Array<{ criterion: string; level: string }> = [];
    cells.forEach((raw, i) => {
      const value = raw.trim();
      if (value === '') return;
      const c = columns[i]!;
      if (c.kind === 'simple') simple[c.field] = value;
      else if (c.kind === 'result') results.push({ criterion: c.criterion, level: value });
      else evidence.set(c.index, { ...evidence.get(c.index), [c.field]: value });
    });
    const identity = simple.identity;
    if (identity === undefined) throw new CsvError(`Line ${line}: no identity`);
    const achievementId = simple.achievementId ?? defaults.achievementId;
    if (achievementId === undefined) throw new CsvError(`Line ${line}: no achievementId (add the column or pass --achievement)`);
    const number = (field: 'achievementVersion' | 'creditsEarned') => {
      const text = simple[field];
      if (text === undefined) return undefined;
      if (!/^\d+(\.\d+)?$/.test(text)) throw new CsvError(`Line ${line}: ${field} "${text}" is not a decimal number`);
      return Number(text);
    };
    const identityType = simple.identityType ?? 'emailAddress';
    const version = number('achievementVersion');
    const credits = number('creditsEarned');
    const request: Record<string, unknown> = {
      achievement: { id: achievementId, ...(version !== undefined ? { version } : {}) },
      recipient: {
        identity,
        ...(simple.identityType !== undefined ? { identityType } : {}),
        ...(simple.name !== undefined ? { name: simple.name } : {}),
        ...(simple.did !== undefined ? { did: simple.did } : {}),
      },
      ...(evidence.size > 0 ? { evidence: [...evidence.entries()].sort(([a], [b]) => a - b).map(([, e]) => e) } : {}),
      ...(results.length > 0 ? { results } : {}),
      ...(simple.assessorName !== undefined
        ? {
            assessor: {
              name: simple.assessorName,
              ...(simple.assessorQualification !== undefined ? { qualification: simple.assessorQualification } : {}),
            },
          }
        : {}),
      ...Object.fromEntries(
        (['assessedAt', 'awardedAt', 'validFrom', 'validUntil', 'narrative'] as const)
          .filter((f) => simple[f] !== undefined)
          .map((f) => [f, simple[f]]),
      ),
      ...(credits !== undefined ? { creditsEarned: credits } : {}),
    };
    return { line, item: { idempotencyKey: simple.idempotencyKey ?? itemKey(achievementId, identityType, identity), request } };
  });
}
