import { useCallback, useState } from 'react';
import { confirmResetPassword, confirmSignIn, resetPassword } from 'aws-amplify/auth';
import type { SignInOutput } from 'aws-amplify/auth';

import { authErrorMessage } from '@/features/auth/utils/auth-error-message';
import type { AuthErrorContext } from '@/features/auth/utils/auth-error-message';
import { noteActivity } from '@/features/auth/utils/idle';
import { sharedStorage } from '@/features/auth/utils/shared-storage';
import { signInWithPassword } from '@/features/auth/utils/sign-in-with-password';

/** The issuer an authenticator app shows beside the account. */
export const TOTP_ISSUER = 'Parley';

export type SignInStep =
  | { readonly kind: 'credentials' }
  | { readonly kind: 'totp-code' }
  | { readonly kind: 'totp-setup'; readonly secret: string; readonly setupUri: string }
  | { readonly kind: 'new-password' }
  /** "Forgot your password?": where to send the code. */
  | { readonly kind: 'reset-request' }
  /** The code from the e-mail and the new password; `destination` as Cognito masks it. */
  | { readonly kind: 'reset-confirm'; readonly destination: string | null };

/** Said on the sign-in form once a reset went through. */
export const PASSWORD_CHANGED = 'Your password is changed. Sign in with the new one.';

export interface SignInFlow {
  readonly step: SignInStep;
  readonly email: string;
  readonly pending: boolean;
  readonly error: string | null;
  /** Good news for the sign-in form (a password just reset), until the next attempt. */
  readonly notice: string | null;
  submitCredentials(email: string, password: string): Promise<void>;
  /** The answer to the current challenge: a TOTP code, or the new password. */
  submitChallenge(response: string): Promise<void>;
  restart(): void;
  /** From the sign-in form to "Reset your password". */
  forgotPassword(): void;
  /** Asks Cognito to e-mail a reset code to `email`. */
  requestReset(email: string): Promise<void>;
  /** Sets the new password with the code; back to the sign-in form, the email filled in. */
  confirmReset(code: string, password: string): Promise<void>;
}

class UnsupportedStepError extends Error {
  override readonly name = 'UnsupportedStepError';
}

const UNSUPPORTED_STEP_MESSAGES: Partial<Record<SignInOutput['nextStep']['signInStep'], string>> = {
  CONFIRM_SIGN_UP: 'Your account is not confirmed yet. Ask an admin.',
};

/**
 * The Cognito sign-in conversation: password, then whichever challenge Cognito asks for (a TOTP
 * code, TOTP enrolment for an account that must have MFA, or a new password for an invited user).
 */
export function useSignInFlow(onSignedIn: () => void): SignInFlow {
  const [step, setStep] = useState<SignInStep>({ kind: 'credentials' });
  const [email, setEmail] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const follow = useCallback(
    async (output: SignInOutput, username: string): Promise<void> => {
      const next = output.nextStep;
      switch (next.signInStep) {
        case 'DONE':
          onSignedIn();
          return;
        case 'CONFIRM_SIGN_IN_WITH_TOTP_CODE':
          setStep({ kind: 'totp-code' });
          return;
        case 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP':
          setStep({
            kind: 'totp-setup',
            secret: next.totpSetupDetails.sharedSecret,
            setupUri: next.totpSetupDetails.getSetupUri(TOTP_ISSUER, username).toString(),
          });
          return;
        case 'CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED':
          setStep({ kind: 'new-password' });
          return;
        case 'RESET_PASSWORD':
          // An admin reset the password: Cognito has e-mailed the code already.
          setStep({ kind: 'reset-confirm', destination: null });
          return;
        case 'CONTINUE_SIGN_IN_WITH_MFA_SELECTION':
        case 'CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION':
          // Parley only offers TOTP, so there is nothing for the person to choose.
          if (next.allowedMFATypes?.includes('TOTP')) {
            return follow(await confirmSignIn({ challengeResponse: 'TOTP' }), username);
          }
          break;
        default:
          break;
      }
      throw new UnsupportedStepError(
        UNSUPPORTED_STEP_MESSAGES[next.signInStep] ??
          `This kind of sign-in (${next.signInStep}) is not supported. Ask an admin.`,
      );
    },
    [onSignedIn],
  );

  const run = useCallback(async (context: AuthErrorContext, action: () => Promise<void>) => {
    // Any step may end with a session stored: the idle sign-out must count it from now, in this
    // tab and in any other that sees the session, not from an activity noted days ago.
    noteActivity(sharedStorage(), Date.now());
    setPending(true);
    setError(null);
    setNotice(null);
    try {
      await action();
    } catch (caught) {
      if (caught instanceof UnsupportedStepError) {
        setStep({ kind: 'credentials' });
        setError(caught.message);
      } else {
        setError(authErrorMessage(caught, context));
        // An expired challenge session cannot be answered again: start from the password.
        if (
          caught instanceof Error &&
          caught.name === 'NotAuthorizedException' &&
          context !== 'credentials'
        ) {
          setStep({ kind: 'credentials' });
        }
      }
    } finally {
      setPending(false);
    }
  }, []);

  const submitCredentials = useCallback(
    (rawEmail: string, password: string) =>
      run('credentials', async () => {
        const username = rawEmail.trim();
        setEmail(username);
        const output = await signInWithPassword(username, password);
        await follow(output, username);
      }),
    [follow, run],
  );

  const submitChallenge = useCallback(
    (response: string) =>
      run(step.kind === 'new-password' ? 'new-password' : 'code', async () => {
        await follow(await confirmSignIn({ challengeResponse: response }), email);
      }),
    [email, follow, run, step.kind],
  );

  const restart = useCallback(() => {
    setStep({ kind: 'credentials' });
    setError(null);
  }, []);

  const forgotPassword = useCallback(() => {
    setStep({ kind: 'reset-request' });
    setError(null);
    setNotice(null);
  }, []);

  const requestReset = useCallback(
    (rawEmail: string) =>
      run('reset', async () => {
        const username = rawEmail.trim();
        setEmail(username);
        const output = await resetPassword({ username });
        setStep({
          kind: 'reset-confirm',
          destination: output.nextStep.codeDeliveryDetails?.destination ?? null,
        });
      }),
    [run],
  );

  const confirmReset = useCallback(
    (code: string, password: string) =>
      run('reset', async () => {
        await confirmResetPassword({ username: email, confirmationCode: code, newPassword: password });
        setStep({ kind: 'credentials' });
        setNotice(PASSWORD_CHANGED);
      }),
    [email, run],
  );

  return {
    step,
    email,
    pending,
    error,
    notice,
    submitCredentials,
    submitChallenge,
    restart,
    forgotPassword,
    requestReset,
    confirmReset,
  };
}
