import { useId, useState } from 'react';
import type { FormEvent } from 'react';

import { FormError } from '@/features/auth/components/form-error';
import { normaliseCode, OtpCodeField } from '@/features/auth/components/otp-code-field';
import { TotpQrCode } from '@/features/auth/components/totp-qr-code';
import { BusyCancelButton } from '@/components/busy-cancel-button';
import { useDocumentTitle } from '@/lib/use-document-title';

/** The base32 secret in groups of four, as authenticator apps ask for it when typed by hand. */
function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export function TotpSetupForm({
  secret,
  setupUri,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  secret: string;
  setupUri: string;
  pending: boolean;
  error: string | null;
  onSubmit(code: string): void;
  onCancel(): void;
}) {
  const id = useId();
  useDocumentTitle('Set up two-factor sign-in');
  const [code, setCode] = useState('');

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!pending) onSubmit(normaliseCode(code));
  }

  return (
    <form className="auth-form" onSubmit={submit} aria-busy={pending} aria-labelledby={`${id}-heading`}>
      <h1 id={`${id}-heading`}>Set up two-factor sign-in</h1>
      <p>Your account needs an authenticator app (such as 1Password, Google Authenticator or Authy).</p>
      <ol className="steps">
        <li>
          In the app, add an account by scanning this QR code:
          <TotpQrCode uri={setupUri} />
          or by typing this setup key:
          <code className="secret" data-testid="totp-secret" aria-label="Setup key">
            {groupSecret(secret)}
          </code>
          or, on this device, <a href={setupUri}>open it in your authenticator app</a>.
          <details className="setup-uri">
            <summary>Show the setup link</summary>
            <code data-testid="totp-uri">{setupUri}</code>
          </details>
        </li>
        <li>Enter the 6-digit code the app then shows.</li>
      </ol>
      <OtpCodeField value={code} onChange={setCode} />
      <FormError message={error} />
      {/* aria-disabled, not disabled, while it runs: a disabled button loses the keyboard focus. */}
      <div className="actions">
        <button type="submit" aria-disabled={pending || undefined}>
          {pending ? 'Checking…' : 'Verify and sign in'}
        </button>
        <BusyCancelButton busy={pending} label="Back" onCancel={onCancel} />
      </div>
    </form>
  );
}
