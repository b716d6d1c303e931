/**
 * Statistics and formatting shared by the server benchmarks: medians over rounds,
 * percentiles of latency samples, and result lines that show a ratio and its target.
 */

/** Returns the median of `values`, NaN when there are none. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Returns the p-th percentile of `values` by the nearest-rank method, NaN when empty. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;

  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);

  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** A ratio's goal: at least `value`, or at most `value` when `atMost` is set. */
export interface Target {
  value: number;
  atMost?: boolean;
}

/** Counts the targets checked and missed in one benchmark, for its closing line. */
export class TargetTally {
  checked = 0;
  missed: string[] = [];

  /** Returns "ok" or "MISSED" for `ratio` against `target`, and records the outcome. */
  check(name: string, ratio: number, target: Target): string {
    this.checked++;
    const met = target.atMost === true ? ratio <= target.value : ratio >= target.value;
    if (met) return 'ok';

    this.missed.push(name);
    return 'MISSED';
  }

  /** Returns the closing line: all targets met, or which were missed. */
  summary(): string {
    if (this.missed.length === 0) return `All ${this.checked} targets met`;

    return `${this.missed.length} of ${this.checked} targets missed: ${this.missed.join(', ')}`;
  }
}

/** Formats a rate such as 12,345/s, right-aligned in 10 columns. */
export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')}/s`.padStart(10);
}

/** Formats milliseconds with two decimals, right-aligned in 9 columns. */
export function formatMs(ms: number): string {
  return `${ms.toFixed(2)} ms`.padStart(9);
}

/** Formats a target as ">= 0.8x" or "<= 1.1x". */
export function formatTarget(target: Target): string {
  return `${target.atMost === true ? '<=' : '>='} ${target.value}x`;
}

const LABEL_WIDTH = 36;

/** Formats a line with a label and measured values, such as a baseline's. */
export function formatValueLine(label: string, values: string): string {
  return `  ${label.padEnd(LABEL_WIDTH)} ${values}`;
}

/** Formats one result line: label, measured values, ratio, target and outcome. */
export function formatRatioLine(
  label: string,
  values: string,
  ratio: number,
  target: Target | undefined,
  tally: TargetTally,
): string {
  const head = `${formatValueLine(label, values)}  ratio ${ratio.toFixed(3)}`;
  if (target === undefined) return `${head}  (reference)`;

  return `${head}  target ${formatTarget(target)} ${tally.check(label, ratio, target)}`;
}
