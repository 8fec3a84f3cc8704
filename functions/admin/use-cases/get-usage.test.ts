import { describe, expect, it } from 'vitest';
import type { UsageQuery } from '../ports/usage-reports';
import { makeGetUsage } from './get-usage';

describe('getUsage', () => {
  it('adds up the rows into totals, cost in dollars without float drift', async () => {
    const seen: UsageQuery[] = [];
    const row = (key: string, costUsd: number) => ({
      key,
      requests: 1,
      promptTokens: 10,
      completionTokens: 5,
      totalTokens: 15,
      costUsd,
    });
    const getUsage = makeGetUsage({
      usage: {
        summarise: async (query) => {
          seen.push(query);
          return [row('2026-03-01', 0.1), row('2026-03-02', 0.2)];
        },
      },
    });

    const report = await getUsage({ from: '2026-03-01', to: '2026-03-31', groupBy: 'day' });

    expect(seen).toEqual([{ from: '2026-03-01', to: '2026-03-31', groupBy: 'day' }]);
    expect(report.totals).toEqual({
      requests: 2,
      promptTokens: 20,
      completionTokens: 10,
      totalTokens: 30,
      costUsd: 0.3,
    });
    expect(report.items).toHaveLength(2);
  });
});
