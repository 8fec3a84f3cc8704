import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** docs/runbook.md, and the heading of its table of every metric the app publishes. */
export const runbook = readFileSync(join(import.meta.dirname, '../../docs/runbook.md'), 'utf8');
export const METRICS_HEADING = '### Every metric (namespace `Parley`)';

/**
 * The rows of the runbook's metrics table: the metric names in the first cell, and every cell
 * (metric, published by, dimensions, means, do).
 */
export function metricsTable(): { names: string[]; cells: string[] }[] {
  const start = runbook.indexOf(`${METRICS_HEADING}\n`);
  if (start < 0) return [];
  const section = runbook.slice(start + METRICS_HEADING.length).split(/\n#{1,3} /)[0] ?? '';
  const rows = section.split('\n').filter((line) => line.startsWith('|'));
  return rows
    .slice(2) // the header and its rule
    .map((row) => {
      const cells = row
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim());
      const names = [...(cells[0] ?? '').matchAll(/`([A-Za-z0-9]+)`/g)].map((m) => m[1] ?? '');
      return { names, cells };
    });
}
