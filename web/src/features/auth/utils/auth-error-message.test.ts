import { describe, expect, it } from 'vitest';

import { ACCOUNT_LOCKED, authErrorMessage } from '@/features/auth/utils/auth-error-message';

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
});
