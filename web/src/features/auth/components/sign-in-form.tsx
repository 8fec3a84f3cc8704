import { useId, useState } from 'react';
import type { FormEvent } from 'react';

import { EmailField } from '@/features/auth/components/email-field';
import { FormError } from '@/features/auth/components/form-error';
import { useDocumentTitle } from '@/lib/use-document-title';

export function SignInForm({
  initialEmail,
  pending,
  error,
  onSubmit,
  onForgotPassword,
}: {
  initialEmail: string;
  pending: boolean;
  error: string | null;
  onSubmit(email: string, password: string): void;
  onForgotPassword(): void;
}) {
  const id = useId();
  useDocumentTitle('Sign in');
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) onSubmit(email, password);
  }

  return (
    <form className="auth-form" onSubmit={submit} aria-busy={pending} aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Sign in</h1>
      <EmailField id={`${id}-email`} value={email} onChange={setEmail} />
      <div className="field">
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </div>
      <FormError message={error} />
      {/* aria-disabled, not disabled, while it runs: a disabled button loses the keyboard focus. */}
      <div className="actions">
        <button type="submit" aria-disabled={pending || undefined}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
        <button
          type="button"
          className="button-secondary"
          onClick={() => {
            if (!pending) onForgotPassword();
          }}
          aria-disabled={pending || undefined}
        >
          Forgot your password?
        </button>
      </div>
    </form>
  );
}
