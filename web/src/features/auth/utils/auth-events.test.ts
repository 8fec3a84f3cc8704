import { describe, expect, it } from 'vitest';

import { authEventAction, endsSession, SESSION_ENDING_ERRORS } from '@/features/auth/utils/auth-events';

/** An error as Amplify reports it: an AuthError whose name is Cognito's exception. */
function named(name: string): Error {
  const error = new Error('refresh failed');
  error.name = name;
  return error;
}

const refreshFailure = (error: unknown) => ({ event: 'tokenRefresh_failure', data: { error } });

describe('endsSession', () => {
  it('is true for the errors with which Cognito refuses a refresh token, as Amplify matches them', () => {
    for (const name of SESSION_ENDING_ERRORS) expect(endsSession(named(name))).toBe(true);
    expect(endsSession({ name: 'NotAuthorizedException' })).toBe(true);
  });

  it('is false for a passing failure: no connection, throttling, a server error, or no error at all', () => {
    for (const name of [
      'NetworkError',
      'TooManyRequestsException',
      'LimitExceededException',
      'InternalErrorException',
      'ServiceUnavailableException',
      'Unknown',
    ]) {
      expect(endsSession(named(name))).toBe(false);
    }
    expect(endsSession(undefined)).toBe(false);
    expect(endsSession('NotAuthorizedException')).toBe(false);
  });
});

describe('authEventAction', () => {
  it('ends the session when the refresh token was refused', () => {
    expect(authEventAction(refreshFailure(named('NotAuthorizedException')))).toEqual({ kind: 'end-session' });
    expect(authEventAction(refreshFailure(named('TokenRevokedException')))).toEqual({ kind: 'end-session' });
  });

  it('stays signed in when a refresh failed for a passing reason, so a dropped connection is no sign-out', () => {
    expect(authEventAction(refreshFailure(named('NetworkError')))).toEqual({ kind: 'none' });
    expect(authEventAction(refreshFailure(named('TooManyRequestsException')))).toEqual({ kind: 'none' });
    expect(authEventAction({ event: 'tokenRefresh_failure' })).toEqual({ kind: 'none' });
  });

  it('reads the session again on a sign-in, here or in another tab, instead of leaving that tab on the form', () => {
    expect(authEventAction({ event: 'signedIn', data: { userId: 'u1', username: 'ada' } })).toEqual({
      kind: 'refresh',
    });
  });

  it('shows the sign-in form on a sign-out, and ignores the other events', () => {
    expect(authEventAction({ event: 'signedOut' })).toEqual({ kind: 'signed-out' });
    expect(authEventAction({ event: 'tokenRefresh' })).toEqual({ kind: 'none' });
    expect(authEventAction({ event: 'customOAuthState', data: 'x' })).toEqual({ kind: 'none' });
  });
});
