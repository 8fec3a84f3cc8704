import { microsToDollars, type UsageReport, type UsageTotals } from '../domain/usage';
import type { UsageQuery, UsageReports } from '../ports/usage-reports';

/** Tokens, requests and estimated cost from `from` to `to` (both included), by user or by day. */
export const makeGetUsage =
  (deps: { usage: UsageReports }) =>
  async (query: UsageQuery): Promise<UsageReport> => {
    const items = await deps.usage.summarise(query);
    const sum = (field: keyof UsageTotals) => items.reduce((total, row) => total + row[field], 0);
    return {
      from: query.from,
      to: query.to,
      groupBy: query.groupBy,
      items,
      totals: {
        requests: sum('requests'),
        promptTokens: sum('promptTokens'),
        completionTokens: sum('completionTokens'),
        totalTokens: sum('totalTokens'),
        // Summed in micro-dollars: no float drift across many rows.
        costUsd: microsToDollars(items.reduce((total, row) => total + Math.round(row.costUsd * 1e6), 0)),
      },
    };
  };
