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

/**
 * Says why the next sign-out happens, for code that signs out outside React (the API client, on a
 * 401: the session was revoked). The auth hook takes it when Amplify reports the sign-out.
 */
export function noteSignOutReason(reason: SignOutReason): void {
  noted = reason;
}

export function takeSignOutReason(): SignOutReason | null {
  const reason = noted;
  noted = null;
  return reason;
}
