import { describe, expect, it } from 'vitest';

import { listDate } from '@/features/conversations/utils/list-date';

const at = { now: new Date('2026-03-14T16:00:00Z'), locale: 'en-GB', timeZone: 'UTC' };

describe('listDate', () => {
  it('shows only the time for a conversation of today', () => {
    expect(listDate('2026-03-14T09:05:00Z', at)).toBe('09:05');
  });

  it('shows the day and the time for an earlier day this year', () => {
    expect(listDate('2026-03-13T23:59:00Z', at)).toBe('13 Mar, 23:59');
  });

  it('adds the year for another year', () => {
    expect(listDate('2025-12-31T08:00:00Z', at)).toBe('31 Dec 2025, 08:00');
  });

  it('tells apart two conversations of the same day by their time', () => {
    expect(listDate('2026-03-10T10:00:00Z', at)).not.toBe(listDate('2026-03-10T10:01:00Z', at));
  });

  it('decides "today" in the reader\'s time zone, not UTC', () => {
    const tokyo = { ...at, timeZone: 'Asia/Tokyo' };
    // 16:00 UTC on the 14th is already the 15th in Tokyo; 14:30 UTC on the 14th is still the 14th.
    expect(listDate('2026-03-14T14:30:00Z', tokyo)).toBe('14 Mar, 23:30');
  });
});
