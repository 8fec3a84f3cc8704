import { describe, expect, it } from 'vitest';

import { layoutBars } from '@/features/admin/utils/bar-chart';

const options = { plotWidth: 400, barHeight: 20, gap: 8 };

describe('layoutBars', () => {
  it('gives the largest value the full width and scales the others linearly', () => {
    // Act
    const { bars, max } = layoutBars(
      [
        { label: 'a', value: 50 },
        { label: 'b', value: 200 },
        { label: 'c', value: 100 },
      ],
      options,
    );

    // Assess
    expect(max).toBe(200);
    expect(bars.map((bar) => bar.width)).toEqual([100, 400, 200]);
  });

  it('stacks the bars with the gap between them and sizes the chart to fit', () => {
    const { bars, height } = layoutBars(
      [
        { label: 'a', value: 1 },
        { label: 'b', value: 2 },
        { label: 'c', value: 3 },
      ],
      options,
    );
    expect(bars.map((bar) => bar.y)).toEqual([0, 28, 56]);
    expect(height).toBe(76);
  });

  it('draws nothing for zero, negative or non-finite values, and never divides by zero', () => {
    const { bars, max } = layoutBars(
      [
        { label: 'zero', value: 0 },
        { label: 'negative', value: -5 },
        { label: 'nan', value: Number.NaN },
      ],
      options,
    );
    expect(max).toBe(1);
    expect(bars.map((bar) => bar.width)).toEqual([0, 0, 0]);
  });

  it('keeps a tiny non-zero value visible', () => {
    const { bars } = layoutBars(
      [
        { label: 'big', value: 1_000_000 },
        { label: 'tiny', value: 1 },
      ],
      options,
    );
    expect(bars[1]?.width).toBe(1);
  });

  it('has no height without rows', () => {
    expect(layoutBars([], options)).toEqual({ bars: [], height: 0, max: 1 });
  });
});
