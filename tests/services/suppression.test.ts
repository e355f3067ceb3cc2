/**
 * Small-count suppression of completion reports and their CSV form (src/services/programmes.ts), as pure
 * functions: counts under k are hidden, one more cell is hidden where an achievement's total would reveal the
 * only hidden one, totals under k are hidden; the CSV is RFC 4180 and cannot be evaluated as a spreadsheet formula.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completionsCsv, suppressSmallCounts, type CompletionReport, type CompletionRow } from '../../src/services/programmes.js';

interface Cell {
  readonly group: string;
  readonly period: string;
  readonly status: string;
  readonly count: number;
}

const cell = (group: string, period: string, count: number, status = 'active'): Cell => ({ group, period, status, count });
const shownOf = (cells: ReadonlyArray<Cell & { shown: boolean }>) => cells.map((c) => (c.shown ? c.count : null));

/** A minimal RFC 4180 reader: CRLF records, quoted fields with doubled quotes, commas and line breaks inside quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i += 1;
      } else {
        field += ch;
        i += 1;
      }
    } else if (ch === '"') {
      if (field !== '') throw new Error(`a quote inside an unquoted field at ${i}`);
      quoted = true;
      i += 1;
    } else if (ch === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (ch === '\r' || ch === '\n') {
      throw new Error(`a bare line break outside quotes at ${i}`);
    } else {
      field += ch;
      i += 1;
    }
  }
  if (quoted) throw new Error('an unterminated quoted field');
  if (field !== '' || record.length > 0) throw new Error('the last record does not end with CRLF');
  return records;
}

/** The raw (unparsed) text of each field: what a spreadsheet sees before unquoting. */
function rawFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

const report = (rows: CompletionRow[], minimumCellSize = 10): CompletionReport => ({ minimumCellSize, period: 'month', rows, totals: [] });
const row = (overrides: Partial<CompletionRow> = {}): CompletionRow => ({
  achievementId: 'ach-1',
  achievementName: 'Formative Assessment',
  kind: 'micro-credential',
  period: '2026-10',
  status: 'active',
  count: 12,
  ...overrides,
});
const HEADER = ['achievement_id', 'achievement_name', 'kind', 'period', 'status', 'count', 'suppressed'];
const FORMULA_START = /^[=+\-@\t\r]/;

describe('suppressSmallCounts', () => {
  it('hides every count under k and shows counts of k and more', () => {
    const { cells, totals } = suppressSmallCounts(
      [cell('a', '2026-09', 10), cell('a', '2026-10', 25), cell('b', '2026-10', 9), cell('b', '2026-11', 2), cell('c', '2026-10', 40)],
      10,
    );
    expect(shownOf(cells)).toEqual([10, 25, null, null, 40]);
    expect(totals).toEqual(
      new Map([
        ['a', 35],
        ['b', 11],
        ['c', 40],
      ]),
    );
  });

  it('keeps every field of the input cells, in the input order', () => {
    const input = [cell('x', '2026-10', 3, 'revoked'), cell('x', '2026-10', 30, 'active')];
    const { cells } = suppressSmallCounts(input, 10);
    expect(cells).toEqual([
      { ...input[0], shown: false },
      { ...input[1], shown: false },
    ]);
  });

  it('hides the next smallest visible cell of an achievement with exactly one hidden cell', () => {
    const { cells, totals } = suppressSmallCounts(
      [cell('a', '2026-08', 40), cell('a', '2026-09', 3), cell('a', '2026-10', 15), cell('a', '2026-11', 22)],
      10,
    );
    // 3 is under k; 15 is the next smallest, hidden so that the total (80) does not give 3 away.
    expect(shownOf(cells)).toEqual([40, null, null, 22]);
    expect(totals.get('a')).toBe(80);
  });

  it('hides only one of two equal next-smallest cells', () => {
    const { cells } = suppressSmallCounts([cell('a', '2026-09', 1), cell('a', '2026-10', 12), cell('a', '2026-11', 12)], 10);
    expect(cells.filter((c) => !c.shown)).toHaveLength(2);
    expect(cells[0]!.shown).toBe(false);
  });

  it('hides no further cell when two or more are hidden and they add up to k or more', () => {
    const { cells, totals } = suppressSmallCounts(
      [cell('a', '2026-09', 4), cell('a', '2026-10', 6), cell('a', '2026-11', 11), cell('a', '2026-12', 30)],
      10,
    );
    expect(shownOf(cells)).toEqual([null, null, 11, 30]);
    expect(totals.get('a')).toBe(51);
  });

  it('hides the smallest shown cell too while the hidden ones add up to less than k', () => {
    const { cells, totals } = suppressSmallCounts(
      [cell('a', '2026-09', 4), cell('a', '2026-10', 5), cell('a', '2026-11', 11), cell('a', '2026-12', 30)],
      10,
    );
    expect(shownOf(cells)).toEqual([null, null, null, 30]);
    expect(totals.get('a')).toBe(50);
  });

  it('hides a total under k (and then needs no secondary cell)', () => {
    const { cells, totals } = suppressSmallCounts([cell('y', '2026-10', 3), cell('z', '2026-09', 2), cell('z', '2026-10', 7)], 10);
    expect(shownOf(cells)).toEqual([null, null, null]);
    expect(totals.get('y')).toBeNull();
    expect(totals.get('z')).toBeNull();
  });

  it('treats achievements separately', () => {
    const { cells, totals } = suppressSmallCounts(
      [cell('a', '2026-10', 1), cell('a', '2026-10', 50, 'revoked'), cell('b', '2026-10', 12)],
      10,
    );
    expect(shownOf(cells)).toEqual([null, null, 12]);
    expect(totals).toEqual(
      new Map([
        ['a', 51],
        ['b', 12],
      ]),
    );
  });

  it('returns nothing for no cells', () => {
    const { cells, totals } = suppressSmallCounts([], 10);
    expect(cells).toEqual([]);
    expect(totals.size).toBe(0);
  });

  const cellsArb = fc.array(
    fc.record({
      group: fc.constantFrom('a', 'b', 'c', 'd'),
      period: fc.constantFrom('2026-08', '2026-09', '2026-10', '2026-Q4', '2026', 'all'),
      status: fc.constantFrom('active', 'revoked', 'suspended'),
      count: fc.integer({ min: 1, max: 60 }),
    }),
    { maxLength: 24 },
  );

  it('never lets a total reveal a hidden cell, never shows a count under k, and hides extra cells smallest first', () => {
    fc.assert(
      fc.property(cellsArb, fc.integer({ min: 2, max: 20 }), (input, k) => {
        const { cells, totals } = suppressSmallCounts(input, k);
        expect(cells).toHaveLength(input.length);
        cells.forEach((c, i) => {
          expect({ group: c.group, period: c.period, status: c.status, count: c.count }).toEqual(input[i]);
          if (c.count < k) expect(c.shown).toBe(false);
          if (c.shown) expect(c.count).toBeGreaterThanOrEqual(k);
        });
        const groups = new Set(input.map((c) => c.group));
        expect(new Set(totals.keys())).toEqual(groups);
        for (const group of groups) {
          const members = cells.filter((c) => c.group === group);
          const sum = members.reduce((s, c) => s + c.count, 0);
          const total = totals.get(group);
          // A shown total is the true total and at least k; a hidden one is under k.
          expect(total).toBe(sum >= k ? sum : null);
          const hiddenCells = members.filter((c) => !c.shown);
          const hidden = hiddenCells.length;
          const hiddenSum = hiddenCells.reduce((s, c) => s + c.count, 0);
          expect(hidden === 0 || hidden >= 2 || total === null).toBe(true);
          // With the total shown, what is hidden adds up to at least k: total minus shown pins no cell down.
          if (total !== null && hidden > 0 && members.some((c) => c.shown)) expect(hiddenSum).toBeGreaterThanOrEqual(k);
          // Cells beyond those under k are hidden smallest first.
          const extra = hiddenCells.filter((c) => c.count >= k).map((c) => c.count);
          const visible = members.filter((c) => c.shown).map((c) => c.count);
          for (const v of visible) for (const e of extra) expect(v).toBeGreaterThanOrEqual(e);
        }
      }),
      { numRuns: 500 },
    );
  });

  // Report rows come from GROUP BY, so every cell counts at least 1. Two hidden cells under a shown total whose
  // hidden part is 2 can only be 1 and 1: the total gives both away, which is what suppression is meant to prevent.
  it('does not let a shown total pin down hidden cells that can only be 1 each', () => {
    const { cells, totals } = suppressSmallCounts([cell('a', '2026-08', 1), cell('a', '2026-09', 1), cell('a', '2026-10', 12)], 10);
    const total = totals.get('a');
    const hidden = cells.filter((c) => !c.shown);
    const shownSum = cells.filter((c) => c.shown).reduce((s, c) => s + c.count, 0);
    const hiddenSum = (total ?? 0) - shownSum;
    // Either the total is hidden, or what is hidden adds up to more than one per hidden cell (so no cell is known).
    expect(
      total === null || hiddenSum > hidden.length,
      `total ${total} minus shown ${shownSum} leaves ${hiddenSum} for ${hidden.length} hidden cells of at least 1 each: every one is 1`,
    ).toBe(true);
  });
});

describe('completionsCsv', () => {
  it('writes the header and one CRLF-terminated record per row, suppressed counts empty with suppressed=true', () => {
    const csv = completionsCsv(
      report([
        row({ count: 12 }),
        row({ status: 'revoked', count: null }),
        row({ achievementId: 'stack-1', achievementName: 'Assessment Pathway', kind: 'stack', period: '2026-09', count: null }),
      ]),
    );
    expect(csv).toBe(
      'achievement_id,achievement_name,kind,period,status,count,suppressed\r\n' +
        'ach-1,Formative Assessment,micro-credential,2026-10,active,12,false\r\n' +
        'ach-1,Formative Assessment,micro-credential,2026-10,revoked,,true\r\n' +
        'stack-1,Assessment Pathway,stack,2026-09,active,,true\r\n',
    );
  });

  it('writes only the header for an empty report', () => {
    expect(completionsCsv(report([]))).toBe(`${HEADER.join(',')}\r\n`);
  });

  it('quotes names with commas, quotes and line breaks as RFC 4180 says', () => {
    const names = ['Reading, Writing and Feedback', 'The "Exit Ticket" Routine', 'Line one\nline two', 'CR\r\nLF', 'Plain name'];
    const csv = completionsCsv(report(names.map((achievementName) => row({ achievementName }))));
    const lines = csv.split('\r\n');
    expect(lines[1]).toBe('ach-1,"Reading, Writing and Feedback",micro-credential,2026-10,active,12,false');
    expect(lines[2]).toBe('ach-1,"The ""Exit Ticket"" Routine",micro-credential,2026-10,active,12,false');
    const records = parseCsv(csv);
    expect(records[0]).toEqual(HEADER);
    expect(records.slice(1).map((r) => r[1])).toEqual(names);
    for (const r of records) expect(r).toHaveLength(HEADER.length);
  });

  it.each(['=HYPERLINK("https://evil.example","Click")', '+1+1', '-2+3', '@SUM(A1:A9)', '=1,2'])(
    'neutralises a name starting with a formula character: %s',
    (achievementName) => {
      const csv = completionsCsv(report([row({ achievementName })]));
      const record = parseCsv(csv)[1]!;
      expect(record[1]).toBe(`'${achievementName}`);
      const raw = rawFields(csv.split('\r\n')[1]!)[1]!;
      expect(raw).not.toMatch(FORMULA_START);
      expect(raw.replace(/^"/, '')).not.toMatch(FORMULA_START);
    },
  );

  it('leaves names with formula characters elsewhere alone', () => {
    const csv = completionsCsv(report([row({ achievementName: 'Grades 3-5 Math = Fun @ Home' })]));
    expect(parseCsv(csv)[1]![1]).toBe('Grades 3-5 Math = Fun @ Home');
  });

  it('round-trips any names: one record per row, names intact (formula-neutralised), never evaluable', () => {
    const nameArb = fc.oneof(
      fc.string({ minLength: 1, maxLength: 30 }),
      fc.string({ unit: fc.constantFrom('a', ' ', ',', '"', '\n', '\r', '\t', '=', '+', '-', '@', "'", 'é'), minLength: 1, maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(fc.record({ name: nameArb, count: fc.option(fc.integer({ min: 10, max: 500 })) }), { maxLength: 8 }), (rows) => {
        const csv = completionsCsv(report(rows.map(({ name, count }) => row({ achievementName: name, count }))));
        const records = parseCsv(csv);
        expect(records[0]).toEqual(HEADER);
        expect(records).toHaveLength(rows.length + 1);
        rows.forEach(({ name, count }, i) => {
          const record = records[i + 1]!;
          expect(record).toHaveLength(HEADER.length);
          expect(record[1]).toBe(FORMULA_START.test(name) ? `'${name}` : name);
          expect(record[5]).toBe(count === null ? '' : String(count));
          expect(record[6]).toBe(String(count === null));
          for (const field of record) expect(field).not.toMatch(FORMULA_START);
        });
      }),
      { numRuns: 300 },
    );
  });
});
