import { useId, useState } from 'react';
import type { FormEvent } from 'react';

import { EmailField } from '@/features/auth/components/email-field';
import { FormError } from '@/features/auth/components/form-error';
import { NewPasswordFields, useNewPassword } from '@/features/auth/components/new-password-fields';
import { normaliseCode, OtpCodeField } from '@/features/auth/components/otp-code-field';
import { BusyCancelButton } from '@/components/busy-cancel-button';
import { useDocumentTitle } from '@/lib/use-document-title';

/** "Forgot your password?": the address the reset code goes to. */
export function ResetCodeRequestForm({
  initialEmail,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  initialEmail: string;
  pending: boolean;
  error: string | null;
  onSubmit(email: string): void;
  onCancel(): void;
}) {
  const id = useId();
  useDocumentTitle('Reset your password');
  const [email, setEmail] = useState(initialEmail);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) onSubmit(email);
  }

  return (
    <form className="auth-form" onSubmit={submit} aria-busy={pending} aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Reset your password</h1>
      <p>Enter the email you sign in with. We will email you a code to set a new password.</p>
      <EmailField id={`${id}-email`} value={email} onChange={setEmail} autoFocus />
      <FormError message={error} />
      {/* aria-disabled, not disabled, while it runs: a disabled button loses the keyboard focus. */}
      <div className="actions">
        <button type="submit" aria-disabled={pending || undefined}>
          {pending ? 'Sending…' : 'Email me a code'}
        </button>
        <BusyCancelButton busy={pending} label="Back to sign-in" onCancel={onCancel} />
      </div>
    </form>
  );
}

/** The code from the e-mail and the new password. */
export function ResetPasswordForm({
  destination,
  pending,
  error,
  onSubmit,
  onResend,
  onCancel,
}: {
  /** Where Cognito says the code went, e.g. `a***@e***`. */
  destination: string | null;
  pending: boolean;
  error: string | null;
  onSubmit(code: string, password: string): void;
  onResend(): void;
  onCancel(): void;
}) {
  const id = useId();
  useDocumentTitle('Choose a new password');
  const [code, setCode] = useState('');
  const newPassword = useNewPassword(id);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending && newPassword.accepted()) onSubmit(normaliseCode(code), newPassword.password);
  }

  return (
    <form className="auth-form" onSubmit={submit} aria-busy={pending} aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Choose a new password</h1>
      <p role="status">
        {destination ? (
          <>
            If an account uses this email, a code is on its way to <strong>{destination}</strong>.
          </>
        ) : (
          'If an account uses this email, a code is on its way to it.'
        )}{' '}
        It is valid for an hour.
      </p>
      <OtpCodeField
        value={code}
        onChange={setCode}
        label="Code from the email"
        hint="The 6-digit code in the email from Parley."
      />
      <NewPasswordFields {...newPassword.fields} />
      <FormError id={newPassword.problemId} message={newPassword.problem ?? error} />
      {/* aria-disabled, not disabled, while it runs: a disabled button loses the keyboard focus. */}
      <div className="actions">
        <button type="submit" aria-disabled={pending || undefined}>
          {pending ? 'Saving…' : 'Set new password'}
        </button>
        <button
          type="button"
          className="button-secondary"
          onClick={() => {
            if (!pending) onResend();
          }}
          aria-disabled={pending || undefined}
        >
          Send a new code
        </button>
        <BusyCancelButton busy={pending} label="Back to sign-in" onCancel={onCancel} />
      </div>
    </form>
  );
}
