import { describe, expect, it } from 'vitest';
import { isRealInstant } from './calendar';

describe('isRealInstant', () => {
  it.each([
    '2026-12-03T07:00:00Z',
    '2024-02-29T23:59:59.999999Z',
    // Years 0-99 are years of their own, not 1900-1999 (as Date.UTC would read them).
    '0001-01-01T00:00:00Z',
    '0099-12-31T12:00:00Z',
    '9999-12-31T23:59:59Z',
  ])('takes %s', (at) => {
    expect(isRealInstant(at)).toBe(true);
  });

  it.each([
    '2026-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2026-12-03T24:00:00Z',
    '2026-12-03T07:60:00Z',
    '2026-12-03T07:00:60Z',
    '2026-12-03T07:00:00',
    '2026-12-03T07:00:00.1234567Z',
    '2026-12-03T07:00:00+01:00',
  ])('refuses %s', (at) => {
    expect(isRealInstant(at)).toBe(false);
  });
});
