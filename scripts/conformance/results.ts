/** Mocha JSON reports → per-suite counts, the table, and one line per failing test. */
import fs from 'node:fs';

export interface Failure {
  readonly title: string;
  readonly message: string;
}

export type SuiteOutcome =
  | {
      readonly kind: 'ran';
      readonly passed: number;
      readonly failed: number;
      readonly pending: number;
      readonly failures: readonly Failure[];
      readonly note?: string;
    }
  | { readonly kind: 'not-run'; readonly reason: string }
  | { readonly kind: 'error'; readonly reason: string };

interface MochaTest {
  fullTitle?: string;
  title?: string;
  err?: { message?: string; actual?: unknown; expected?: unknown };
}

/** When an assertion was about an HTTP error (chai prints it as "HTTPError … { …(6) }"), its status and our reason. */
function httpDetail(actual: unknown): string {
  if (typeof actual !== 'object' || actual === null) return '';
  const { name, status, data } = actual as { name?: unknown; status?: unknown; data?: unknown };
  if (name !== 'HTTPError' || typeof status !== 'number') return '';
  let reason = '';
  if (typeof data === 'object' && data !== null) {
    const d = data as { errors?: unknown; detail?: unknown; title?: unknown; message?: unknown };
    const first = Array.isArray(d.errors) ? d.errors[0] : undefined;
    const text = typeof first === 'string' ? first : (first as { message?: unknown } | undefined)?.message;
    reason = String(text ?? d.detail ?? d.message ?? d.title ?? JSON.stringify(data));
  } else if (data !== undefined) {
    reason = String(data);
  }
  return ` [HTTP ${status}${reason ? `: ${reason}` : ''}]`;
}

interface MochaReport {
  stats?: { passes?: number; failures?: number; pending?: number };
  failures?: MochaTest[];
  pending?: MochaTest[];
}

const oneLine = (text: string, max = 240) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** Reads a mocha `--reporter json` file; null when it is missing or unreadable (the run crashed or timed out). */
export function readMochaReport(file: string, implementationName: string): Omit<Extract<SuiteOutcome, { kind: 'ran' }>, 'kind'> | null {
  let report: MochaReport;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8')) as MochaReport;
  } catch {
    return null;
  }
  const failures = (report.failures ?? []).map((test) => ({
    // The implementation name is in every title; drop it to keep lines short.
    title: oneLine((test.fullTitle ?? test.title ?? '?').split(` ${implementationName} `).join(' › '), 200),
    message: oneLine(`${test.err?.message ?? '(no message)'}${httpDetail(test.err?.actual)}`, 400),
  }));
  return {
    passed: report.stats?.passes ?? 0,
    failed: report.stats?.failures ?? failures.length,
    pending: report.stats?.pending ?? (report.pending ?? []).length,
    failures,
  };
}

/** The per-suite table. */
export function formatTable(rows: readonly { label: string; outcome: SuiteOutcome; seconds?: number }[]): string {
  const header = ['suite', 'passed', 'failed', 'pending', 'status'];
  const body = rows.map(({ label, outcome, seconds }) => {
    const time = seconds === undefined ? '' : ` (${seconds} s)`;
    switch (outcome.kind) {
      case 'ran':
        return [
          label,
          String(outcome.passed),
          String(outcome.failed),
          String(outcome.pending),
          `ran${time}${outcome.note ? `; ${outcome.note}` : ''}`,
        ];
      case 'not-run':
        return [label, '-', '-', '-', 'NOT RUN'];
      case 'error':
        return [label, '-', '-', '-', `ERROR${time}`];
    }
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt)].join('\n');
}
