/** Usage totals for one row of a report (a user or a day). */
export interface UsageTotals {
  readonly requests: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  /** Estimated cost in US dollars (from the stored micro-dollars). */
  readonly costUsd: number;
}

export type UsageGroupBy = 'user' | 'day';

export interface UsageRow extends UsageTotals {
  /** The user's id (groupBy=user) or the date (groupBy=day). */
  readonly key: string;
  /** The user's e-mail (groupBy=user). */
  readonly email?: string;
  /**
   * true: the line of every erased person's usage together (groupBy=user, key `erased`, no
   * e-mail); their usage stays after the erasure, without them.
   */
  readonly erased?: true;
}

export interface UsageReport {
  readonly from: string;
  readonly to: string;
  readonly groupBy: UsageGroupBy;
  readonly items: readonly UsageRow[];
  readonly totals: UsageTotals;
}

/** Micro-dollars (exact integers in the database) to dollars, rounded to the micro-dollar. */
export function microsToDollars(micros: number): number {
  return Math.round(micros) / 1_000_000;
}
