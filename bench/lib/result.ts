/**
 * What each suite reports to `run.ts`: rows of the final table. A suite runs in its own
 * process and prints one line `BENCH_RESULT <json>` on stdout; everything else it prints
 * is progress for humans.
 */

export interface BenchRow {
  /** Section, e.g. "1. Engine". */
  section: string;
  /** What is measured, with its unit, e.g. "character-ticks / CPU-s @ 1,000". */
  metric: string;
  value: number;
  /** The baseline measured side by side in the same run, and what it is. */
  baseline: number | null;
  baselineLabel: string;
  /** value ÷ baseline, computed by the suite so "lower is better" metrics read right. */
  ratio: number | null;
  /** The target as text, e.g. "≥ 200,000", and whether it was met (null: no target). */
  target: string;
  met: boolean | null;
  note?: string;
}

export interface SuiteResult {
  suite: string;
  rows: BenchRow[];
  /** Extra material for docs/benchmarks.md: plots, definitions, before/after notes. */
  details?: string;
  /** Series for plots, by name. */
  series?: Record<string, { x: number; y: number }[]>;
  error?: string;
}

export const RESULT_PREFIX = 'BENCH_RESULT ';

export function report(result: SuiteResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

export function row(r: Omit<BenchRow, 'ratio'> & { ratio?: number | null }): BenchRow {
  const ratio =
    r.ratio !== undefined
      ? r.ratio
      : r.baseline && Number.isFinite(r.baseline) && r.baseline !== 0
        ? r.value / r.baseline
        : null;
  return { ...r, ratio };
}
