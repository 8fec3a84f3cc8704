import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { fullJitterDelay, retryAfterMs } from './backoff';

const headers = (entries: Record<string, string>) => new Headers(entries);

describe('fullJitterDelay', () => {
  it('stays between zero and the exponential cap, never above the maximum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, baseMs, maxMs, r) => {
          const delay = fullJitterDelay(retry, { baseMs, maxMs, random: () => r });
          const cap = Math.min(maxMs, baseMs * 2 ** (retry - 1));
          return Number.isInteger(delay) && delay >= 0 && delay <= cap && delay <= maxMs;
        },
      ),
    );
  });

  it('doubles the cap with every retry until the maximum', () => {
    // Prepare: the largest random value shows the cap itself.
    const random = () => 0.999_999;

    // Act
    const delays = [1, 2, 3, 4, 5].map((retry) =>
      fullJitterDelay(retry, { baseMs: 100, maxMs: 1000, random }),
    );

    // Assess
    expect(delays).toEqual([99, 199, 399, 799, 999]);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads Retry-After as seconds', () => {
    expect(retryAfterMs(headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterMs(headers({ 'retry-after': '0.5' }), now)).toBe(500);
  });

  it('reads Retry-After as an HTTP date, relative to now and never negative', () => {
    expect(retryAfterMs(headers({ 'retry-after': 'Sun, 01 Jun 2025 12:00:07 GMT' }), now)).toBe(7000);
    expect(retryAfterMs(headers({ 'retry-after': 'Sun, 01 Jun 2025 11:00:00 GMT' }), now)).toBe(0);
  });

  it("prefers OpenAI's retry-after-ms, which is more precise", () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '1250.4', 'retry-after': '2' }), now)).toBe(1251);
  });

  it('is undefined when the header is absent or unreadable', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs(headers({}), now)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after-ms': 'x', 'retry-after': '-1' }), now)).toBeUndefined();
  });
});
