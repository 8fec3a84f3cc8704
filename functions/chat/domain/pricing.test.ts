import { describe, expect, it } from 'vitest';
import { estimateCostMicros, unpricedModels } from './pricing';

describe('estimateCostMicros', () => {
  it('prices a million tokens each way at the list prices', () => {
    expect(estimateCostMicros('gpt-4o-mini', 1_000_000, 1_000_000)).toBe(750_000);
    expect(estimateCostMicros('gpt-4o', 1_000_000, 0)).toBe(2_500_000);
    expect(estimateCostMicros('offline', 5_000, 5_000)).toBe(0);
  });

  it('prices a dated snapshot as its model, the longest name that fits', () => {
    expect(estimateCostMicros('gpt-4o-2024-08-06', 0, 1_000_000)).toBe(10_000_000);
    expect(estimateCostMicros('gpt-4o-mini-2024-07-18', 0, 1_000_000)).toBe(600_000);
  });

  it('prices nothing it does not know, prototype names included', () => {
    expect(estimateCostMicros('o3-pro', 1_000_000, 1_000_000)).toBe(0);
    expect(estimateCostMicros('gpt-4o-preview', 1_000_000, 1_000_000)).toBe(0);
    expect(estimateCostMicros('constructor', 1_000_000, 1_000_000)).toBe(0);
    expect(estimateCostMicros('__proto__-2024-01-01', 1_000_000, 1_000_000)).toBe(0);
  });
});

describe('unpricedModels', () => {
  it('names the offered models whose cost cannot be estimated', () => {
    expect(unpricedModels(['gpt-4o-mini', 'gpt-4o-2024-08-06', 'o3-pro', 'toString'])).toEqual([
      'o3-pro',
      'toString',
    ]);
  });
});
