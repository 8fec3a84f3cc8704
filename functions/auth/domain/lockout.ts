/**
 * Account lockout, as pure rules. Cognito has no "failed sign-in" trigger, so every attempt counts
 * (pre-authentication) until a successful sign-in resets the counter (post-authentication).
 */
export interface LockoutPolicy {
  /**
   * Attempts, each within `windowMs` of the one before, that lock the account; the attempt that
   * reaches it still runs.
   */
  readonly maxAttempts: number;
  /**
   * A gap this long since the last counted attempt starts the count again. The window slides with
   * each attempt (no fixed window from the first): attempts 14 minutes apart keep counting, which
   * is stricter than "5 within any 15 minutes" and holds off a slow guesser too.
   */
  readonly windowMs: number;
  /** How long a lock lasts. */
  readonly lockMs: number;
}

/**
 * 5 attempts, none more than 15 minutes after the one before, lock the account for 15 minutes
 * (OWASP-style throttling).
 */
export const LOCKOUT_POLICY: LockoutPolicy = {
  maxAttempts: 5,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
};

export interface AttemptState {
  readonly failedCount: number;
  readonly lastFailedAt: Date | null;
  readonly lockedUntil: Date | null;
}

export const NO_ATTEMPTS: AttemptState = { failedCount: 0, lastFailedAt: null, lockedUntil: null };

export function isLocked(state: AttemptState, now: Date): boolean {
  return state.lockedUntil !== null && state.lockedUntil.getTime() > now.getTime();
}

export type AttemptDecision =
  | { readonly kind: 'blocked'; readonly lockedUntil: Date }
  | { readonly kind: 'allowed'; readonly next: AttemptState; readonly lockedNow: boolean };

/**
 * Decides one sign-in attempt: refused while locked; otherwise counted (a count whose last attempt
 * is older than the window, or that ended in an expired lock, starts again at zero) and, when the
 * count reaches the threshold, the account is locked from now on.
 */
export function decideAttempt(
  state: AttemptState,
  now: Date,
  policy: LockoutPolicy = LOCKOUT_POLICY,
): AttemptDecision {
  if (isLocked(state, now) && state.lockedUntil) return { kind: 'blocked', lockedUntil: state.lockedUntil };
  const lockExpired = state.lockedUntil !== null;
  const withinWindow =
    state.lastFailedAt !== null && now.getTime() - state.lastFailedAt.getTime() < policy.windowMs;
  const failedCount = (withinWindow && !lockExpired ? state.failedCount : 0) + 1;
  const lockedNow = failedCount >= policy.maxAttempts;
  return {
    kind: 'allowed',
    lockedNow,
    next: {
      failedCount,
      lastFailedAt: now,
      lockedUntil: lockedNow ? new Date(now.getTime() + policy.lockMs) : null,
    },
  };
}
