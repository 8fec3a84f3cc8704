import { useId, useState } from 'react';
import type { FormEvent } from 'react';

import { FormError } from '@/features/auth/components/form-error';
import { PasswordChecklist } from '@/features/auth/components/password-checklist';
import { passwordRules } from '@/features/auth/utils/password-rules';

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
  const [problem, setProblem] = useState<string | null>(null);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    const missing = passwordRules(password).filter((rule) => !rule.met);
    if (missing.length > 0) {
      setProblem(`The password needs: ${missing.map((rule) => rule.label.toLowerCase()).join(', ')}.`);
      return;
    }
    if (password !== confirmation) {
      setProblem('The two passwords are not the same.');
      return;
    }
    setProblem(null);
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
          aria-describedby={`${id}-hint ${id}-rules`}
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <p id={`${id}-hint`} className="hint">
          A long password you use nowhere else, with:
        </p>
        <PasswordChecklist id={`${id}-rules`} password={password} />
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
      <FormError message={problem ?? error} />
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
