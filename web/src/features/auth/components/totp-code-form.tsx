import { useId, useState } from 'react';
import type { FormEvent } from 'react';

import { FormError } from '@/features/auth/components/form-error';
import { normaliseCode, OtpCodeField } from '@/features/auth/components/otp-code-field';
import { BusyCancelButton } from '@/components/busy-cancel-button';
import { useDocumentTitle } from '@/lib/use-document-title';

export function TotpCodeForm({
  email,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  email: string;
  pending: boolean;
  error: string | null;
  onSubmit(code: string): void;
  onCancel(): void;
}) {
  const id = useId();
  useDocumentTitle('Two-factor sign-in');
  const [code, setCode] = useState('');

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) onSubmit(normaliseCode(code));
  }

  return (
    <form className="auth-form" onSubmit={submit} aria-busy={pending} aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Two-factor sign-in</h1>
      <p>
        Signing in as <strong>{email}</strong>. Open your authenticator app and enter the code for Parley.
      </p>
      <OtpCodeField value={code} onChange={setCode} />
      <FormError message={error} />
      {/* aria-disabled, not disabled, while it runs: a disabled button loses the keyboard focus. */}
      <div className="actions">
        <button type="submit" aria-disabled={pending || undefined}>
          {pending ? 'Checking…' : 'Verify'}
        </button>
        <BusyCancelButton busy={pending} label="Back" onCancel={onCancel} />
      </div>
    </form>
  );
}
