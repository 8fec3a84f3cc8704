import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUFFERED_RESPONSES_METRIC, SLOW_BUFFERED_RESPONSES_METRIC } from '../../lib/stacks/api-stack';
import { METRICS_HEADING, metricsTable, runbook } from './runbook-metrics';

/**
 * docs/runbook.md's metrics table names every metric the app publishes in its `Parley` namespace:
 * what the functions record with Powertools (`addMetric('…')`), Powertools' own cold-start count,
 * and the access log's metric filters. An operator paged by `Api5xxRate` should find
 * `DatabaseUnavailable` and `ServerErrors` there, not only in the code.
 */
const ROOT = join(import.meta.dirname, '../..');

/** The functions' source files, tests left out. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('node_modules'))
    .map((file) => join(dir, file));
}

/** Metric names in one file's `addMetric(<name>, …)` calls; a call with no literal name is an error. */
function addedMetrics(source: string, where = 'source'): string[] {
  return [...source.matchAll(/\.addMetric\(\s*([^,]+?),/g)].flatMap(([, first = '']) => {
    // A name, or a choice of names (`hit ? 'CacheHits' : 'CacheMisses'`); lower-case literals are
    // the values a choice compares with (`limit === 'quota'`), never a metric name.
    const names = [...first.matchAll(/'([A-Z][A-Za-z0-9]*)'/g)].map((m) => m[1] ?? '');
    if (names.length === 0)
      throw new Error(`${where}: addMetric(${first}, …) names its metric without a literal`);
    return names;
  });
}

/** Every metric the app publishes in `Parley`, with where each is published. */
function publishedMetrics(): Map<string, string[]> {
  const published = new Map<string, string[]>();
  const add = (name: string, where: string) => published.set(name, [...(published.get(name) ?? []), where]);
  for (const file of sourceFiles(join(ROOT, 'functions'))) {
    const source = readFileSync(file, 'utf8');
    const where = relative(ROOT, file);
    for (const name of addedMetrics(source, where)) add(name, where);
    if (source.includes('.captureColdStartMetric(')) add('ColdStart', where);
  }
  add(BUFFERED_RESPONSES_METRIC, 'lib/stacks/api-stack.ts');
  add(SLOW_BUFFERED_RESPONSES_METRIC, 'lib/stacks/api-stack.ts');
  return published;
}

describe('docs/runbook.md metrics table', () => {
  const published = publishedMetrics();
  const table = metricsTable();
  const documented = new Set(table.flatMap((row) => row.names));

  it('exists under its heading', () => {
    expect(runbook).toContain(`${METRICS_HEADING}\n`);
    expect(table.length).toBeGreaterThan(0);
  });

  it('names every metric the app publishes', () => {
    expect(published.size).toBeGreaterThan(20);
    const missing = [...published]
      .filter(([name]) => !documented.has(name))
      .map(([name, where]) => `${name} (${[...new Set(where)].join(', ')})`);
    expect(missing, 'add these metrics to the table in docs/runbook.md').toEqual([]);
  });

  it('names no metric the app does not publish', () => {
    expect([...documented].filter((name) => !published.has(name))).toEqual([]);
  });

  it('says, for each, who publishes it, its dimensions, what it means and what to do', () => {
    for (const { names, cells } of table) {
      expect(names.length, `a row without a metric name: ${cells.join(' | ')}`).toBeGreaterThan(0);
      expect(cells, `the row of ${names.join(', ')}`).toHaveLength(5);
      for (const cell of cells) expect(cell, `a cell of ${names.join(', ')}`).not.toBe('');
    }
  });
});

describe('addedMetrics', () => {
  it('reads a name, a choice of names, and leaves compared values out', () => {
    expect(addedMetrics("metrics.addMetric('Requests', MetricUnit.Count, 1);")).toEqual(['Requests']);
    expect(addedMetrics("m.addMetric(hit ? 'CacheHits' : 'CacheMisses', MetricUnit.Count, 1)")).toEqual([
      'CacheHits',
      'CacheMisses',
    ]);
    expect(
      addedMetrics("m.addMetric(limit === 'quota' ? 'QuotaRejections' : 'RateLimitRejections', u, 1)"),
    ).toEqual(['QuotaRejections', 'RateLimitRejections']);
  });

  it('refuses a name it cannot read', () => {
    expect(() => addedMetrics('m.addMetric(name, MetricUnit.Count, 1)', 'x.ts')).toThrow(/x\.ts/);
  });
});
