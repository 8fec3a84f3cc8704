// The lockout the sign-in triggers apply, for the wait the message names.
import { LOCKOUT_POLICY } from '../../../../../functions/auth/domain/lockout';

/** Which form the error came from: the same Cognito error means different things in each. */
export type AuthErrorContext = 'credentials' | 'code' | 'new-password' | 'reset' | 'change';

const TRY_LATER = 'Too many attempts. Wait a few minutes and try again.';

/**
 * The pre-authentication trigger refuses a locked account, and a disabled one given its right
 * password, with one message (it tells nobody which, nor whether the account exists).
 */
export const ACCOUNT_LOCKED = `This account is locked, after too many wrong passwords or by an admin. Wait ${
  LOCKOUT_POLICY.lockMs / 60_000
} minutes and try again; if it stays locked, ask an admin.`;

/** Cognito refuses a reset to someone invited who never signed in: the invitation holds their password. */
export const INVITED_NOT_SIGNED_IN =
  'This account has not been used yet: sign in with the temporary password from your invitation email. If it has expired, ask an admin to send your invitation again.';

/**
 * A reset whose post-confirmation trigger failed (it could not end the earlier sessions): Cognito
 * has set the new password by then, and the code is spent.
 */
export const RESET_UNFINISHED =
  'Your new password is probably set, but the reset could not be finished. Sign in with the new password; if that fails, send a new code.';

/** Cognito's answer to a temporary password used after its 3 days. */
export const TEMPORARY_PASSWORD_EXPIRED =
  'Your temporary password has expired. Ask an admin to send your invitation again.';

/**
 * A sentence for a person from an Amplify/Cognito error. A wrong password and an unknown user get
 * the same answer, so the form does not tell anyone which email addresses have accounts.
 */
export function authErrorMessage(error: unknown, context: AuthErrorContext): string {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : '';

  switch (name) {
    case 'EmptySignInUsername':
    case 'EmptySignInPassword':
      return 'Enter your email and password.';
    case 'UserNotFoundException':
      return 'Incorrect email or password.';
    case 'NotAuthorizedException':
      if (context === 'change') {
        if (/attempts exceeded|locked/i.test(message)) return TRY_LATER;
        if (/revoked|expired|invalid access token/i.test(message))
          return 'Your session has ended. Please sign in again.';
        return 'Your current password is not right.';
      }
      if (/cannot be reset in the current state/i.test(message)) return INVITED_NOT_SIGNED_IN;
      if (/temporary password has expired/i.test(message)) return TEMPORARY_PASSWORD_EXPIRED;
      if (/disabled/i.test(message)) return 'This account is disabled. Ask an admin to enable it.';
      if (/attempts exceeded|locked/i.test(message)) return TRY_LATER;
      if (/session/i.test(message)) return 'Your sign-in took too long. Please start again.';
      return context === 'credentials'
        ? 'Incorrect email or password.'
        : 'Sign-in was refused. Please start again.';
    case 'InvalidPasswordException':
      // cognito-local answers a wrong password with this; real Cognito uses it for the policy.
      if (context === 'credentials') return 'Incorrect email or password.';
      return `That password is not allowed: ${message.replace(/^Password does not conform to policy: /i, '')}`;
    case 'CodeMismatchException':
    case 'EnableSoftwareTokenMFAException':
      if (context === 'reset')
        return 'That code is not right. Check the code in the email, or send a new one.';
      return 'That code is not right. Enter the current 6-digit code from your authenticator app.';
    case 'PasswordHistoryPolicyViolationException':
      return 'You have used that password before. Choose one you have not used here.';
    case 'ExpiredCodeException':
      if (context === 'reset') return 'That code has expired. Send a new one.';
      return 'That code has expired or was already used. Wait for the next one and try again.';
    case 'LimitExceededException':
      if (context === 'reset') return 'Too many attempts. Wait a few minutes, then send a new code.';
      return TRY_LATER;
    case 'TooManyRequestsException':
    case 'TooManyFailedAttemptsException':
      return TRY_LATER;
    case 'UserNotConfirmedException':
      return 'Your account is not confirmed yet. Ask an admin.';
    case 'PasswordResetRequiredException':
      return 'Your password has to be reset: choose "Forgot your password?" to get a code by email.';
    case 'EmptyResetPasswordUsername':
      return 'Enter your email.';
    case 'EmptyConfirmResetPasswordConfirmationCode':
      return 'Enter the code from the email.';
    case 'UserLambdaValidationException':
      // After a reset, post-confirmation ends the earlier sessions: the new password is set already.
      if (context === 'reset') return RESET_UNFINISHED;
      // Our sign-in triggers refuse locked and disabled accounts; the message is ours.
      if (/account locked/i.test(message)) return ACCOUNT_LOCKED;
      return message.replace(/^\w+ failed with error /, '') || 'Sign-in was refused.';
    case 'NetworkError':
      return 'The sign-in service could not be reached. Check your connection and try again.';
    default:
      return message ? `Sign-in failed: ${message}` : 'Sign-in failed. Please try again.';
  }
}
