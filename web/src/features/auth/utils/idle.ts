/**
 * Signing out a person who has left the app alone (OWASP ASVS 3.3: an idle session ends). Activity
 * is shared by every tab of the app through localStorage, so working in one tab keeps the others
 * signed in too; they all end together.
 */

/** Where the time of the last activity (ms since the epoch) is kept for every tab. */
export const ACTIVITY_KEY = 'parley.activity';

/** How long before the sign-out the person is warned: a minute, or half the timeout when shorter. */
export function warningMs(timeoutMs: number): number {
  return Math.min(60_000, timeoutMs / 2);
}

export type IdleState =
  | { readonly kind: 'active' }
  | { readonly kind: 'warning'; readonly secondsLeft: number }
  | { readonly kind: 'expired' };

/** Where a session stands `now`, its last activity at `lastActivity`. */
export function idleState(lastActivity: number, now: number, timeoutMs: number): IdleState {
  const left = lastActivity + timeoutMs - now;
  if (left <= 0) return { kind: 'expired' };
  if (left <= warningMs(timeoutMs)) return { kind: 'warning', secondsLeft: Math.ceil(left / 1000) };
  return { kind: 'active' };
}

/** The last activity any tab noted; `fallback` when none did (or storage is unavailable). */
export function readActivity(storage: Pick<Storage, 'getItem'> | undefined, fallback: number): number {
  const value = Number(storage?.getItem(ACTIVITY_KEY));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
