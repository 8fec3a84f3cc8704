import type { AttemptDecision } from '../domain/lockout';

/** Lockout counters, keyed by `attemptKey(username)`. */
export interface SignInAttempts {
  /** Decides and records one attempt atomically (two concurrent attempts both count). */
  register(key: string, now: Date): Promise<AttemptDecision>;
  /** Forgets the failures and any lock (after a successful sign-in, or an admin's unlock). */
  reset(key: string, now: Date): Promise<void>;
}
