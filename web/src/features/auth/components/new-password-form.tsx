import { useId } from 'react';
import type { FormEvent } from 'react';

import { FormError } from '@/features/auth/components/form-error';
import { NewPasswordFields, useNewPassword } from '@/features/auth/components/new-password-fields';
import { BusyCancelButton } from '@/components/busy-cancel-button';
import { useDocumentTitle } from '@/lib/use-document-title';

export function NewPasswordForm({
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  pending: boolean;
  error: string | null;
  onSubmit(password: string): void;
  onCancel(): void;
}) {
  const id = useId();
  useDocumentTitle('Choose a new password');
  const newPassword = useNewPassword(id);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending && newPassword.accepted()) onSubmit(newPassword.password);
  }

  return (
    <form className="auth-form" onSubmit={submit} aria-busy={pending} aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Choose a new password</h1>
      <p>Welcome to Parley. Replace the temporary password you were sent with one of your own.</p>
      <NewPasswordFields {...newPassword.fields} />
      <FormError id={newPassword.problemId} message={newPassword.problem ?? error} />
      {/* aria-disabled, not disabled, while it runs: a disabled button loses the keyboard focus. */}
      <div className="actions">
        <button type="submit" aria-disabled={pending || undefined}>
          {pending ? 'Saving…' : 'Set password and sign in'}
        </button>
        <BusyCancelButton busy={pending} label="Back" onCancel={onCancel} />
      </div>
    </form>
  );
}
