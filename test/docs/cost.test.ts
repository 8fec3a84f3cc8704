import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handlerGroups, routes } from '#api/index';
import { ROUTE_BUDGETS } from '#shared/http/route-budgets';
import { metricsTable, runbook as runbookText } from './runbook-metrics';

/**
 * docs/cost.md's dev idle floor is given three times: in the table, item by item, and as the start
 * of the no-NAT lever's arithmetic. They must be one figure, and the lever's sum must add up.
 */
const cost = readFileSync(join(import.meta.dirname, '../../docs/cost.md'), 'utf8').replace(/\s+/g, ' ');
const dollars = (text: string) => [...text.matchAll(/\$(\d+(?:\.\d+)?)/g)].map((m) => Number(m[1]));

describe("docs/cost.md's dev idle floor", () => {
  const table = Number(/\| dev \([^|]*\) \| ≈ \$(\d+) \|/.exec(cost)?.[1]);
  const items = /Dev's idle floor, item by item: ([^.]*(?:\.\d+[^.]*)*)\./.exec(cost)?.[1] ?? '';
  const lever = /Idle floor: (≈ \$\d+[^*]*)\*\*\$(\d+)\/month\*\*/.exec(cost);

  it('is the sum of its items', () => {
    // The composite alarm's $0.50 is inside CloudWatch's ~$10, not an item of its own.
    const itemised = dollars(items.replace(/\([^)]*\)/g, ''));
    expect(itemised.length).toBeGreaterThan(5);
    expect(itemised.reduce((a, b) => a + b, 0)).toBe(table);
  });

  it('is the figure the no-NAT lever starts from, and its sum is right', () => {
    expect(lever, 'the lever\'s "Idle floor: ≈ $… ≈ **$…/month**"').not.toBeNull();
    const [, sum = '', result = ''] = lever ?? [];
    const terms = [...sum.matchAll(/([−+-]?) ?\$(\d+)/g)].map(([, sign, n]) =>
      sign === '−' || sign === '-' ? -Number(n) : Number(n),
    );
    expect(terms[0]).toBe(table);
    expect(terms.reduce((a, b) => a + b, 0)).toBe(Number(result));
  });
});

/**
 * A custom metric is billed per metric name and dimension set. The runbook's table says each
 * metric's dimensions and who publishes it; one with `route` is a metric a route, for every route
 * of the functions that record it. The most a stage can publish is then derived from the table.
 */
function mostCustomMetrics(): number {
  // The Cognito triggers, as the runbook's alarm row names them (`trigger-{a,b,…}-…`).
  const triggers = (/`parley-<stage>-trigger-\{([^}]*)\}/.exec(runbookText)?.[1] ?? '').split(',').length;
  /** The routes a metric's publishers record it on: every route, their groups', the budgeted ones. */
  const routesOf = (publishers: string): ReadonlySet<string> => {
    if (publishers.includes('every API function')) return new Set(routes.map((r) => r.id));
    const groups = handlerGroups.filter((g) => new RegExp(`\\b${g}\\b`).test(publishers));
    return new Set([
      ...routes.filter((r) => groups.includes(r.group)).map((r) => r.id),
      ...(publishers.includes('a route with a budget') ? Object.keys(ROUTE_BUDGETS) : []),
    ]);
  };
  return metricsTable().reduce((sum, { names, cells }) => {
    const [, publishedBy = '', dimensions = ''] = cells;
    const publishers = publishedBy.replace(/`[^`]*`/g, '');
    const series = dimensions.includes('`route`')
      ? routesOf(publishers).size + (publishers.includes('Cognito triggers') ? triggers : 0)
      : dimensions.includes('`function_name`')
        ? handlerGroups.length
        : 1;
    return sum + names.length * series;
  }, 0);
}

describe("docs/cost.md's custom metrics", () => {
  const most = mostCustomMetrics();

  it('gives the most a stage can publish, and what that costs, as the runbook lists them', () => {
    expect(most).toBeGreaterThan(routes.length);
    const said = /at most (\d+) custom metrics a stage[^$]*\$(\d+) a month/.exec(cost);
    expect(said, 'cost.md: "at most N custom metrics a stage … $M a month"').not.toBeNull();
    expect(Number(said?.[1])).toBe(most);
    expect(Number(said?.[2])).toBe(Math.round(most * 0.3));
  });

  it("breaks prod's CloudWatch at load down into parts that add up, its custom metrics within that most", () => {
    const breakdown = /Breakdown at 1,000 daily users in prod.*?CloudWatch ~\$(\d+) \(([^)]*)\)/.exec(cost);
    expect(breakdown, 'the prod breakdown\'s "CloudWatch ~$N (…)"').not.toBeNull();
    const parts = dollars(breakdown?.[2] ?? '');
    expect(Math.abs(parts.reduce((a, b) => a + b, 0) - Number(breakdown?.[1]))).toBeLessThanOrEqual(1);
    const metrics = /~(\d+) custom metrics ~\$(\d+)/.exec(breakdown?.[2] ?? '');
    expect(metrics, '"~N custom metrics ~$M" among the parts').not.toBeNull();
    expect(Number(metrics?.[1])).toBeLessThanOrEqual(most);
    expect(Number(metrics?.[2])).toBe(Math.round(Number(metrics?.[1]) * 0.3));
  });
});
