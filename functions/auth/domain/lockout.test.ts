import { describe, expect, it } from 'vitest';

import { decideAttempt, isLocked, LOCKOUT_POLICY, NO_ATTEMPTS, type AttemptState } from './lockout';

const t0 = new Date('2025-01-01T10:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);
const MIN = 60_000;

function attempts(n: number, start: AttemptState = NO_ATTEMPTS, stepMs = 1_000): AttemptState {
  let state = start;
  for (let i = 0; i < n; i++) {
    const decision = decideAttempt(state, later(i * stepMs));
    if (decision.kind === 'blocked') throw new Error('unexpectedly blocked');
    state = decision.next;
  }
  return state;
}

describe('decideAttempt', () => {
  it('counts the first attempt without locking', () => {
    const decision = decideAttempt(NO_ATTEMPTS, t0);
    expect(decision).toEqual({
      kind: 'allowed',
      lockedNow: false,
      next: { failedCount: 1, lastFailedAt: t0, lockedUntil: null },
    });
  });

  it('locks for 15 minutes on the 5th attempt within 15 minutes, and lets that attempt run', () => {
    const state = attempts(4);
    const at = later(10 * MIN);
    const decision = decideAttempt(state, at);
    expect(decision).toMatchObject({ kind: 'allowed', lockedNow: true });
    if (decision.kind !== 'allowed') return;
    expect(decision.next.lockedUntil).toEqual(new Date(at.getTime() + 15 * MIN));
    expect(isLocked(decision.next, later(24 * MIN))).toBe(true);
  });

  it('refuses every attempt while locked, without counting it', () => {
    const locked = attempts(5);
    const decision = decideAttempt(locked, later(5 * MIN));
    expect(decision).toEqual({ kind: 'blocked', lockedUntil: locked.lockedUntil });
  });

  it('starts again from zero after the lock expires', () => {
    const locked = attempts(5);
    const decision = decideAttempt(locked, later(16 * MIN));
    expect(decision).toMatchObject({
      kind: 'allowed',
      lockedNow: false,
      next: { failedCount: 1, lockedUntil: null },
    });
  });

  it('slides the window with each attempt: five attempts 14 minutes apart lock the account', () => {
    // Prepare: four attempts, each 14 minutes after the one before (42 minutes in all).
    const state = attempts(4, NO_ATTEMPTS, 14 * MIN);

    // Act
    const decision = decideAttempt(state, later(56 * MIN));

    // Assess
    expect(decision).toMatchObject({ kind: 'allowed', lockedNow: true, next: { failedCount: 5 } });
  });

  it('forgets the count once the last attempt is a whole window old', () => {
    const state = attempts(4);
    const decision = decideAttempt(state, later(4_000 + LOCKOUT_POLICY.windowMs));
    expect(decision).toMatchObject({ kind: 'allowed', lockedNow: false, next: { failedCount: 1 } });
  });

  it('lets an attempt run at the very instant the lock ends, counting from zero again', () => {
    // Prepare: locked by the 5th attempt (at 4 s) until 15 minutes after it
    const locked = attempts(5);
    const until = locked.lockedUntil ?? t0;
    expect(until).toEqual(later(4_000 + LOCKOUT_POLICY.lockMs));

    // Act
    const justBefore = decideAttempt(locked, new Date(until.getTime() - 1));
    const atTheEnd = decideAttempt(locked, until);

    // Assess
    expect(justBefore).toEqual({ kind: 'blocked', lockedUntil: until });
    expect(isLocked(locked, until)).toBe(false);
    expect(atTheEnd).toMatchObject({ kind: 'allowed', lockedNow: false, next: { failedCount: 1 } });
  });

  it("counts an attempt 1 ms inside the window, and starts again at the window's very end", () => {
    // Prepare: four attempts, the last at 3 s
    const state = attempts(4);
    const end = 3_000 + LOCKOUT_POLICY.windowMs;

    // Act
    const inside = decideAttempt(state, later(end - 1));
    const atTheEnd = decideAttempt(state, later(end));

    // Assess
    expect(inside).toMatchObject({ kind: 'allowed', lockedNow: true, next: { failedCount: 5 } });
    expect(atTheEnd).toMatchObject({ kind: 'allowed', lockedNow: false, next: { failedCount: 1 } });
  });

  it('follows a custom policy', () => {
    const decision = decideAttempt(NO_ATTEMPTS, t0, { maxAttempts: 1, windowMs: MIN, lockMs: MIN });
    expect(decision).toMatchObject({ kind: 'allowed', lockedNow: true, next: { lockedUntil: later(MIN) } });
  });
});
