import { describe, expect, it } from 'vitest';

import { usageRowLabel } from './usage-row-label';

describe('usageRowLabel', () => {
  it('names a person by e-mail, a day by its date, and erased people’s line as such', () => {
    expect(usageRowLabel({ key: 'u-1', email: 'ada@example.test' })).toBe('ada@example.test');
    expect(usageRowLabel({ key: '2026-03-01' })).toBe('2026-03-01');
    expect(usageRowLabel({ key: 'erased', erased: true })).toBe('Erased users');
  });
});
