import type { UsageGroupBy, UsageRow } from '../domain/usage';

export interface UsageQuery {
  /** First day, `YYYY-MM-DD`, included. */
  readonly from: string;
  /** Last day, `YYYY-MM-DD`, included. */
  readonly to: string;
  readonly groupBy: UsageGroupBy;
}

/** Sums of `usage_daily` by user or by day. */
export interface UsageReports {
  summarise(query: UsageQuery): Promise<UsageRow[]>;
}
