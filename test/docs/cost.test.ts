import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
