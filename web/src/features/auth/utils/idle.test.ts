import { describe, expect, it } from 'vitest';
import { ACTIVITY_KEY, idleOnArrival, idleState, noteActivity, readActivity, warningMs } from './idle';

const MINUTE = 60_000;

describe('idleState', () => {
  it('is active until the warning, warns with the seconds left, then expires at the timeout', () => {
    const timeout = 30 * MINUTE;
    expect(idleState(0, 29 * MINUTE - 1, timeout)).toEqual({ kind: 'active' });
    expect(idleState(0, 29 * MINUTE, timeout)).toEqual({ kind: 'warning', secondsLeft: 60 });
    expect(idleState(0, 30 * MINUTE - 1_500, timeout)).toEqual({ kind: 'warning', secondsLeft: 2 });
    expect(idleState(0, 30 * MINUTE, timeout)).toEqual({ kind: 'expired' });
    expect(idleState(0, 31 * MINUTE, timeout)).toEqual({ kind: 'expired' });
  });

  it('warns for half a short timeout', () => {
    expect(warningMs(12_000)).toBe(6_000);
    expect(idleState(0, 5_999, 12_000)).toEqual({ kind: 'active' });
    expect(idleState(0, 6_000, 12_000)).toEqual({ kind: 'warning', secondsLeft: 6 });
  });

  it('starts again from new activity', () => {
    expect(idleState(25 * MINUTE, 30 * MINUTE, 30 * MINUTE)).toEqual({ kind: 'active' });
  });
});

describe('readActivity', () => {
  it('reads the shared time, and falls back on nothing, garbage or no storage', () => {
    const storage = (value: string | null) => ({
      getItem: (key: string) => (key === ACTIVITY_KEY ? value : null),
    });
    expect(readActivity(storage('1700000000000'), 5)).toBe(1_700_000_000_000);
    expect(readActivity(storage(null), 5)).toBe(5);
    expect(readActivity(storage('soon'), 5)).toBe(5);
    expect(readActivity(storage('-3'), 5)).toBe(5);
    expect(readActivity(undefined, 5)).toBe(5);
  });
});

describe('idleOnArrival', () => {
  const now = 1_700_000_000_000;
  const stored = (value: number | null) => ({
    getItem: (key: string) => (key === ACTIVITY_KEY && value !== null ? String(value) : null),
  });

  it('signs out a session whose last activity in any tab is older than the timeout', () => {
    expect(idleOnArrival(stored(now - 31 * MINUTE), now, 30 * MINUTE)).toBe(true);
    expect(idleOnArrival(stored(now - 30 * MINUTE), now, 30 * MINUTE)).toBe(true);
  });

  it('keeps a session used within the timeout, e.g. a reload a few minutes later', () => {
    expect(idleOnArrival(stored(now - 5 * MINUTE), now, 30 * MINUTE)).toBe(false);
    expect(idleOnArrival(stored(now - 29 * MINUTE), now, 30 * MINUTE)).toBe(false);
  });

  it('keeps a session when no activity is stored, storage is unavailable, or there is no timeout', () => {
    expect(idleOnArrival(stored(null), now, 30 * MINUTE)).toBe(false);
    expect(idleOnArrival(undefined, now, 30 * MINUTE)).toBe(false);
    expect(idleOnArrival(stored(now - 31 * MINUTE), now, null)).toBe(false);
  });
});

describe('noteActivity', () => {
  it('writes the time for every tab, and ignores storage that refuses it', () => {
    // Prepare
    const values = new Map<string, string>();
    const storage = { setItem: (key: string, value: string) => void values.set(key, value) };
    const full = {
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
    };

    // Act
    noteActivity(storage, 1_700_000_000_000);
    noteActivity(full, 1_700_000_000_000);
    noteActivity(undefined, 1_700_000_000_000);

    // Assess
    expect(values.get(ACTIVITY_KEY)).toBe('1700000000000');
    expect(readActivity({ getItem: (key) => values.get(key) ?? null }, 0)).toBe(1_700_000_000_000);
  });
});
