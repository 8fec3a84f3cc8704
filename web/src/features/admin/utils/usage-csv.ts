import { csvText } from '@/lib/csv';
import type { UsageReport } from '@/features/admin/api/get-usage';

/** The report as a CSV file: one row per user or day, then the totals; cost in US dollars. */
export function usageCsv(report: UsageReport): string {
  const keyColumn = report.groupBy === 'user' ? 'userId' : 'day';
  const header = [
    keyColumn,
    'email',
    'requests',
    'promptTokens',
    'completionTokens',
    'totalTokens',
    'costUsd',
  ];
  const rows = report.items.map((row) => [
    row.key,
    row.email ?? null,
    row.requests,
    row.promptTokens,
    row.completionTokens,
    row.totalTokens,
    row.costUsd,
  ]);
  const { totals } = report;
  rows.push([
    'total',
    null,
    totals.requests,
    totals.promptTokens,
    totals.completionTokens,
    totals.totalTokens,
    totals.costUsd,
  ]);
  return csvText(header, rows);
}

/** `parley-usage-<from>-to-<to>-by-<user|day>.csv` (the report's own days, checked to be days). */
export function usageFileName(report: Pick<UsageReport, 'from' | 'to' | 'groupBy'>): string {
  const day = (value: string) => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? value : 'unknown');
  return `parley-usage-${day(report.from)}-to-${day(report.to)}-by-${report.groupBy === 'day' ? 'day' : 'user'}.csv`;
}
