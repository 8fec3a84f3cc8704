import { describe, expect, it } from 'vitest';
import { ACTIVITY_KEY, idleState, readActivity, warningMs } from './idle';

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
