/**
 * What the app does about Amplify's `auth` Hub events. Amplify sends `tokenRefresh_failure` for
 * every failed refresh, but only ends the session (clears the tokens) when Cognito refused the
 * refresh token; a dropped connection, throttling or a 5xx leave the session in storage, and the
 * next request refreshes again. `signedIn` and `signedOut` also come from other tabs, which share
 * the session through localStorage.
 */

/**
 * The errors with which Cognito refuses a refresh token for good: the ones Amplify clears the
 * tokens for (TokenOrchestrator's isAuthenticationError), matched by prefix as Amplify does.
 */
export const SESSION_ENDING_ERRORS = [
  'NotAuthorizedException',
  'TokenRevokedException',
  'UserNotFoundException',
  'PasswordResetRequiredException',
  'UserNotConfirmedException',
  'RefreshTokenReuseException',
] as const;

/** Whether a refresh failed because the session is over, rather than for a passing reason. */
export function endsSession(error: unknown): boolean {
  const name =
    typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
      ? error.name
      : '';
  return SESSION_ENDING_ERRORS.some((ending) => name.startsWith(ending));
}

export type AuthEventAction =
  /** Read the session again: someone signed in (here or in another tab). */
  | { readonly kind: 'refresh' }
  /** The session is over and its tokens must go, with this notice above the sign-in form. */
  | { readonly kind: 'end-session' }
  /** The tokens are gone already (signed out here or in another tab): show the sign-in form. */
  | { readonly kind: 'signed-out' }
  | { readonly kind: 'none' };

/** The Hub payload's part that matters here (Amplify's `data` differs per event). */
export interface AuthEvent {
  readonly event: string;
  readonly data?: unknown;
}

export function authEventAction(payload: AuthEvent): AuthEventAction {
  switch (payload.event) {
    case 'signedIn':
      return { kind: 'refresh' };
    case 'signedOut':
      return { kind: 'signed-out' };
    case 'tokenRefresh_failure': {
      const data = payload.data;
      const error = typeof data === 'object' && data !== null && 'error' in data ? data.error : undefined;
      // A passing failure keeps the person signed in; the request that needed the token fails and
      // says so where the app shows API errors.
      return endsSession(error) ? { kind: 'end-session' } : { kind: 'none' };
    }
    default:
      return { kind: 'none' };
  }
}
