import { sharedStorage } from '@/features/auth/utils/shared-storage';

/** Why the person is looking at the sign-in form again, said above it. */
export type SignOutReason = 'signed-out' | 'signed-out-everywhere' | 'session-ended' | 'idle';

export const SIGN_OUT_NOTICES: Record<SignOutReason, string> = {
  'signed-out': 'You have signed out.',
  'signed-out-everywhere': 'You have signed out on every device.',
  'session-ended':
    'Your session has ended: it expired, or an admin or a password reset ended it. Please sign in again.',
  idle: 'You were signed out after a while without activity, for your security. Please sign in again.',
};

let noted: SignOutReason | null = null;

/** Where the reason is left for the other tabs, which see the same sign-out (shared session). */
export const SHARED_REASON_KEY = 'parley.sign-out';
/**
 * How long a reason left by another tab explains a sign-out seen here: from the note to Amplify
 * clearing the tokens (after a revoke call, which may be slow), with room to spare.
 */
const SHARED_FOR_MS = 30_000;

/**
 * Says why the next sign-out happens, for code that signs out outside React (the API client, on a
 * 401: the session was revoked). The auth hook takes it when Amplify reports the sign-out; the
 * other tabs read it from `storage` when theirs follows.
 */
export function noteSignOutReason(
  reason: SignOutReason,
  storage: Pick<Storage, 'setItem'> | undefined = sharedStorage(),
  now: number = Date.now(),
): void {
  noted = reason;
  try {
    storage?.setItem(SHARED_REASON_KEY, JSON.stringify({ reason, at: now }));
  } catch {
    // Storage full or refused: the other tabs then say only that the person signed out.
  }
}

/** The reason another tab noted for a sign-out just now; null when there is none this recent. */
export function sharedSignOutReason(
  storage: Pick<Storage, 'getItem'> | undefined,
  now: number,
): SignOutReason | null {
  let value: unknown;
  try {
    value = JSON.parse(storage?.getItem(SHARED_REASON_KEY) ?? 'null');
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || !('reason' in value) || !('at' in value)) return null;
  const { reason, at } = value;
  if (typeof reason !== 'string' || !Object.hasOwn(SIGN_OUT_NOTICES, reason)) return null;
  if (typeof at !== 'number' || now - at < 0 || now - at > SHARED_FOR_MS) return null;
  return reason as SignOutReason;
}

export function takeSignOutReason(): SignOutReason | null {
  const reason = noted;
  noted = null;
  return reason;
}
