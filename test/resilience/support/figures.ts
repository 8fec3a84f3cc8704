import type { TestContext } from 'vitest';

/** One measured figure of a resilience test: shown in the closing summary and its JSON. */
export interface Figure {
  readonly name: string;
  readonly value: number | string;
  /** What it had to be, in words ("0", "< 10 %", "≤ 10 s"). */
  readonly target?: string;
}

declare module 'vitest' {
  interface TaskMeta {
    figures?: Figure[];
  }
}

/** Records figures on the running test; the summary reporter prints them after the run. */
export function record(context: Pick<TestContext, 'task'>, ...figures: Figure[]): void {
  context.task.meta.figures = [...(context.task.meta.figures ?? []), ...figures];
}

/** A bounded setting from the environment: RESILIENCE_<NAME>, else the default. */
export function setting(name: string, fallback: number): number {
  const raw = process.env[`RESILIENCE_${name}`];
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The p-th percentile (0-100) of some numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}
