import { describe, expect, it } from 'vitest';

import type { UsageReport } from '@/features/admin/api/get-usage';
import { usageCsv, usageFileName } from './usage-csv';

const report: UsageReport = {
  from: '2026-03-01',
  to: '2026-03-31',
  groupBy: 'user',
  items: [
    {
      key: 'u-1',
      email: '=evil@example.org',
      requests: 3,
      promptTokens: 10,
      completionTokens: 20,
      totalTokens: 30,
      costUsd: 0.0123,
    },
    { key: 'robot', requests: 1, promptTokens: 1, completionTokens: 2, totalTokens: 3, costUsd: 0 },
  ],
  totals: { requests: 4, promptTokens: 11, completionTokens: 22, totalTokens: 33, costUsd: 0.0123 },
};

describe('usageCsv', () => {
  it('writes a row per user, then the totals, with an inert address and numbers as numbers', () => {
    const lines = usageCsv(report).slice(1).trimEnd().split('\r\n');
    expect(lines).toEqual([
      'userId,email,requests,promptTokens,completionTokens,totalTokens,costUsd',
      "u-1,'=evil@example.org,3,10,20,30,0.0123",
      'robot,,1,1,2,3,0',
      'total,,4,11,22,33,0.0123',
    ]);
  });

  it('names the key column by the grouping', () => {
    expect(
      usageCsv({ ...report, groupBy: 'day', items: [] })
        .slice(1)
        .split('\r\n')[0],
    ).toMatch(/^day,/);
  });
});

describe('usageFileName', () => {
  it('names the period and the grouping, and only days in the name', () => {
    expect(usageFileName(report)).toBe('parley-usage-2026-03-01-to-2026-03-31-by-user.csv');
    expect(usageFileName({ from: '../x', to: '2026-03-31\u0000', groupBy: 'day' })).toBe(
      'parley-usage-unknown-to-unknown-by-day.csv',
    );
  });
});
