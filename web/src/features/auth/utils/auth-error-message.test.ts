import { describe, expect, it } from 'vitest';

import {
  ACCOUNT_LOCKED,
  authErrorMessage,
  INVITED_NOT_SIGNED_IN,
  RESET_UNFINISHED,
  TEMPORARY_PASSWORD_EXPIRED,
} from '@/features/auth/utils/auth-error-message';

function cognitoError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('authErrorMessage', () => {
  it('explains a locked account, with the wait and whom to ask', () => {
    const refusal = cognitoError(
      'UserLambdaValidationException',
      'PreAuthentication failed with error Account locked. Try again later.',
    );
    expect(authErrorMessage(refusal, 'credentials')).toBe(ACCOUNT_LOCKED);
    expect(ACCOUNT_LOCKED).toMatch(/locked.*15 minutes.*ask an admin/);
  });

  it('tells someone changing their password what went wrong, in their terms', () => {
    const cases: [string, string, string][] = [
      ['NotAuthorizedException', 'Incorrect username or password.', 'Your current password is not right.'],
      [
        'NotAuthorizedException',
        'Access Token has been revoked',
        'Your session has ended. Please sign in again.',
      ],
      [
        'NotAuthorizedException',
        'Password attempts exceeded',
        'Too many attempts. Wait a few minutes and try again.',
      ],
      [
        'LimitExceededException',
        'Attempt limit exceeded, please try after some time.',
        'Too many attempts. Wait a few minutes and try again.',
      ],
      [
        'InvalidPasswordException',
        'Password does not conform to policy: Password not long enough',
        'That password is not allowed: Password not long enough',
      ],
      [
        'PasswordHistoryPolicyViolationException',
        'The password has been used before.',
        'You have used that password before. Choose one you have not used here.',
      ],
    ];
    for (const [name, message, shown] of cases)
      expect(authErrorMessage(cognitoError(name, message), 'change')).toBe(shown);
  });

  it('gives the same answer for a wrong password and an unknown account', () => {
    const wrong = cognitoError('NotAuthorizedException', 'Incorrect username or password.');
    const unknown = cognitoError('UserNotFoundException', 'User does not exist.');
    expect(authErrorMessage(wrong, 'credentials')).toBe('Incorrect email or password.');
    expect(authErrorMessage(unknown, 'credentials')).toBe('Incorrect email or password.');
  });

  it('passes on the trigger message that sign-in is unavailable', () => {
    const down = cognitoError(
      'UserLambdaValidationException',
      'PreAuthentication failed with error Sign-in is unavailable right now. Try again in a minute.',
    );
    expect(authErrorMessage(down, 'credentials')).toBe(
      'Sign-in is unavailable right now. Try again in a minute.',
    );
  });

  it('says why a new password is refused', () => {
    const weak = cognitoError(
      'InvalidPasswordException',
      'Password does not conform to policy: Password must have symbol characters',
    );
    expect(authErrorMessage(weak, 'new-password')).toBe(
      'That password is not allowed: Password must have symbol characters',
    );
  });

  it('speaks of the e-mailed code, not the authenticator, when resetting a password', () => {
    const wrong = cognitoError(
      'CodeMismatchException',
      'Invalid verification code provided, please try again.',
    );
    expect(authErrorMessage(wrong, 'reset')).toBe(
      'That code is not right. Check the code in the email, or send a new one.',
    );
    expect(authErrorMessage(wrong, 'code')).toMatch(/authenticator app/);
    expect(
      authErrorMessage(
        cognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.'),
        'reset',
      ),
    ).toBe('That code has expired. Send a new one.');
    expect(
      authErrorMessage(
        cognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.'),
        'reset',
      ),
    ).toBe('Too many attempts. Wait a few minutes, then send a new code.');
    expect(
      authErrorMessage(
        cognitoError('PasswordHistoryPolicyViolationException', 'The password has been used previously.'),
        'reset',
      ),
    ).toMatch(/used that password before/);
  });

  it('sends someone invited who never signed in back to the invitation', () => {
    const refused = cognitoError(
      'NotAuthorizedException',
      'User password cannot be reset in the current state.',
    );
    expect(authErrorMessage(refused, 'reset')).toBe(INVITED_NOT_SIGNED_IN);
    expect(INVITED_NOT_SIGNED_IN).toMatch(/temporary password from your invitation email/);
  });

  it('sends someone whose temporary password expired to an admin, for the invitation again', () => {
    const expired = cognitoError(
      'NotAuthorizedException',
      'Temporary password has expired and must be reset by an administrator.',
    );
    expect(authErrorMessage(expired, 'credentials')).toBe(TEMPORARY_PASSWORD_EXPIRED);
  });

  it('tells someone whose reset could not be finished that the new password is likely set', () => {
    const failed = cognitoError(
      'UserLambdaValidationException',
      'PostConfirmation failed with error Sign-in is unavailable right now. Try again in a minute.',
    );
    expect(authErrorMessage(failed, 'reset')).toBe(RESET_UNFINISHED);
    expect(authErrorMessage(failed, 'credentials')).toBe(
      'Sign-in is unavailable right now. Try again in a minute.',
    );
  });
});
