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

/**
 * Whether a session found in storage when the app opens (a reload, a tab opened again, a tab the
 * browser discarded and reloads) has already been left alone for the whole timeout: closing every
 * tab must not get around the idle sign-out. No stored activity (storage cleared or refused) is
 * taken as activity now, so the session is kept.
 */
export function idleOnArrival(
  storage: Pick<Storage, 'getItem'> | undefined,
  now: number,
  timeoutMs: number | null,
): boolean {
  if (timeoutMs === null) return false;
  return idleState(readActivity(storage, now), now, timeoutMs).kind === 'expired';
}

/**
 * Notes activity now for every tab. A sign-in counts: it is written before the tokens are stored,
 * so neither this tab nor another one that sees the new session finds an old time and signs the
 * fresh session out at once.
 */
export function noteActivity(storage: Pick<Storage, 'setItem'> | undefined, now: number): void {
  try {
    storage?.setItem(ACTIVITY_KEY, String(now));
  } catch {
    // Storage full or refused: each tab still counts its own activity.
  }
}
