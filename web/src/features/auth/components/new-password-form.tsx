import { useId, useState } from 'react';
import type { FormEvent } from 'react';

import { FormError } from '@/features/auth/components/form-error';

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
  const [password, setPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [mismatch, setMismatch] = useState(false);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    if (password !== confirmation) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    onSubmit(password);
  }

  return (
    <form className="auth-form" onSubmit={submit} aria-busy={pending} aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Choose a new password</h1>
      <p>Welcome to Parley. Replace the temporary password you were sent with one of your own.</p>
      <div className="field">
        <label htmlFor={`${id}-password`}>New password</label>
        <input
          id={`${id}-password`}
          name="new-password"
          type="password"
          autoComplete="new-password"
          required
          aria-describedby={`${id}-hint`}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <p id={`${id}-hint`} className="hint">
          A long password you use nowhere else. If it does not meet the policy, you will be told why.
        </p>
      </div>
      <div className="field">
        <label htmlFor={`${id}-confirmation`}>Repeat the new password</label>
        <input
          id={`${id}-confirmation`}
          name="new-password-confirmation"
          type="password"
          autoComplete="new-password"
          required
          value={confirmation}
          onChange={(event) => setConfirmation(event.target.value)}
        />
      </div>
      <FormError message={mismatch ? 'The two passwords are not the same.' : error} />
      <div className="actions">
        <button type="submit" disabled={pending}>
          {pending ? 'Saving…' : 'Set password and sign in'}
        </button>
        <button type="button" className="button-secondary" onClick={onCancel} disabled={pending}>
          Back
        </button>
      </div>
    </form>
  );
}
