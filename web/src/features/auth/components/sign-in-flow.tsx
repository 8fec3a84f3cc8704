import { NewPasswordForm } from '@/features/auth/components/new-password-form';
import { SignInForm } from '@/features/auth/components/sign-in-form';
import { TotpCodeForm } from '@/features/auth/components/totp-code-form';
import { TotpSetupForm } from '@/features/auth/components/totp-setup-form';
import { useSignInFlow } from '@/features/auth/hooks/use-sign-in-flow';

/** Every step from the sign-in form to a session; calls onSignedIn once Cognito says DONE. */
export function SignInFlow({ onSignedIn }: { onSignedIn(): void }) {
  const flow = useSignInFlow(onSignedIn);
  const { step, pending, error } = flow;

  switch (step.kind) {
    case 'credentials':
      return (
        <SignInForm
          initialEmail={flow.email}
          pending={pending}
          error={error}
          onSubmit={flow.submitCredentials}
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
