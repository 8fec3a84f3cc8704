import { describe, expect, it } from 'vitest';

import {
  attemptKey,
  MAX_ATTEMPT_KEY_LENGTH,
  decideAttempt,
  isLocked,
  LOCKOUT_POLICY,
  NO_ATTEMPTS,
  type AttemptState,
} from './lockout';

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

  it('forgets attempts older than the window', () => {
    const state = attempts(4);
    const decision = decideAttempt(state, later(4_000 + LOCKOUT_POLICY.windowMs));
    expect(decision).toMatchObject({ kind: 'allowed', lockedNow: false, next: { failedCount: 1 } });
  });

  it('follows a custom policy', () => {
    const decision = decideAttempt(NO_ATTEMPTS, t0, { maxAttempts: 1, windowMs: MIN, lockMs: MIN });
    expect(decision).toMatchObject({ kind: 'allowed', lockedNow: true, next: { lockedUntil: later(MIN) } });
  });
});

describe('attemptKey', () => {
  it('lower-cases and trims the e-mail', () => {
    expect(attemptKey('  Alice@Example.COM ')).toBe('alice@example.com');
  });

  it('gives a name holding NUL or a lone surrogate a key PostgreSQL can store, of its own', () => {
    expect(attemptKey('A\u0000b@example.test')).toBe('a\ufffdb@example.test');
    expect(attemptKey('a\u0000b@example.test')).not.toBe(attemptKey('ab@example.test'));
    expect(attemptKey('\ud800a\udfff@example.test')).toBe('\ufffda\ufffd@example.test');
    // A surrogate pair is one character, kept.
    expect(attemptKey('\u{1F600}@example.test')).toBe('\u{1F600}@example.test');
  });

  it('keeps the longest e-mail address as it is, and turns a longer name into its digest', () => {
    const longest = `${'l'.repeat(64)}@${'d'.repeat(255)}`;
    expect(longest).toHaveLength(MAX_ATTEMPT_KEY_LENGTH);
    expect(attemptKey(longest)).toBe(longest);
    const longer = attemptKey(`${longest}x`);
    expect(longer).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Case-insensitive like any name, and one counter per name.
    expect(attemptKey(`${longest.toUpperCase()}X`)).toBe(longer);
    expect(attemptKey(`${longest}y`)).not.toBe(longer);
    expect(attemptKey('\u0000'.repeat(100_000))).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
