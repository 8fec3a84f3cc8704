import { NewPasswordForm } from '@/features/auth/components/new-password-form';
import { ResetCodeRequestForm, ResetPasswordForm } from '@/features/auth/components/reset-password-forms';
import { SignInForm } from '@/features/auth/components/sign-in-form';
import { TotpCodeForm } from '@/features/auth/components/totp-code-form';
import { TotpSetupForm } from '@/features/auth/components/totp-setup-form';
import { useSignInFlow } from '@/features/auth/hooks/use-sign-in-flow';
import { SIGN_OUT_NOTICES } from '@/features/auth/utils/sign-out-reason';
import type { SignOutReason } from '@/features/auth/utils/sign-out-reason';

export interface SignInFlowProps {
  /** Calls once Cognito says DONE. */
  onSignedIn(): void;
  /** Why the last session ended here, said above the form until a sign-in starts. */
  readonly signedOutReason?: SignOutReason | null;
}

/** Every step from the sign-in form to a session. */
export function SignInFlow({ onSignedIn, signedOutReason = null }: SignInFlowProps) {
  const flow = useSignInFlow(onSignedIn);
  const { step, pending, error } = flow;

  switch (step.kind) {
    case 'credentials':
      return (
        <>
          {flow.notice && (
            <p className="notice-banner" role="status" data-testid="auth-notice">
              {flow.notice}
            </p>
          )}
          {signedOutReason && !flow.notice && !error && !pending && (
            <p
              className={
                signedOutReason === 'session-ended' ? 'notice-banner notice-banner--warning' : 'notice-banner'
              }
              role="status"
              data-testid="signed-out-notice"
            >
              {SIGN_OUT_NOTICES[signedOutReason]}
            </p>
          )}
          <SignInForm
            initialEmail={flow.email}
            pending={pending}
            error={error}
            onSubmit={flow.submitCredentials}
            onForgotPassword={flow.forgotPassword}
          />
        </>
      );
    case 'reset-request':
      return (
        <ResetCodeRequestForm
          initialEmail={flow.email}
          pending={pending}
          error={error}
          onSubmit={flow.requestReset}
          onCancel={flow.restart}
        />
      );
    case 'reset-confirm':
      return (
        <ResetPasswordForm
          destination={step.destination}
          pending={pending}
          error={error}
          onSubmit={flow.confirmReset}
          onResend={() => void flow.requestReset(flow.email)}
          onCancel={flow.restart}
        />
      );
    case 'totp-code':
      return (
        <TotpCodeForm
          email={flow.email}
          pending={pending}
          error={error}
          onSubmit={flow.submitChallenge}
          onCancel={flow.restart}
        />
      );
    case 'totp-setup':
      return (
        <TotpSetupForm
          secret={step.secret}
          setupUri={step.setupUri}
          pending={pending}
          error={error}
          onSubmit={flow.submitChallenge}
          onCancel={flow.restart}
        />
      );
    case 'new-password':
      return (
        <NewPasswordForm
          pending={pending}
          error={error}
          onSubmit={flow.submitChallenge}
          onCancel={flow.restart}
        />
      );
  }
}
