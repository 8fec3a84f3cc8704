import { useState } from 'react';

import { apiErrorMessage } from '@/lib/api-client';
import { useApiClient } from '@/lib/api-client-context';
import { signOutEverywhere } from '@/features/me/api/sign-out-everywhere';
import { useModalDialog } from '@/lib/use-modal-dialog';
import { BusyCancelButton } from '@/components/busy-cancel-button';

export interface SignOutEverywhereButtonProps {
  /** The API has revoked every session: end this one locally too. */
  onSignedOut(): Promise<void>;
}

/** "Sign out everywhere": asks first, revokes every session through the API, then signs out here. */
export function SignOutEverywhereButton({ onSignedOut }: SignOutEverywhereButtonProps) {
  const [asking, setAsking] = useState(false);
  return (
    <>
      <button type="button" className="button-secondary button-small" onClick={() => setAsking(true)}>
        Sign out everywhere
      </button>
      {asking && <ConfirmDialog onSignedOut={onSignedOut} onClose={() => setAsking(false)} />}
    </>
  );
}

function ConfirmDialog({ onSignedOut, onClose }: SignOutEverywhereButtonProps & { onClose(): void }) {
  const api = useApiClient();
  const [pending, setPending] = useState(false);
  const dialog = useModalDialog({ busy: pending });
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    if (pending) return;
    setPending(true);
    setError(null);
    try {
      await signOutEverywhere(api);
      await onSignedOut();
    } catch (caught) {
      setError(apiErrorMessage(caught));
      setPending(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="sign-out-everywhere-heading" onClose={onClose}>
      <h2 id="sign-out-everywhere-heading">Sign out everywhere?</h2>
      <p>You will be signed out on every device and browser, including this one.</p>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <div className="actions dialog__actions">
        {/* A click (or Escape) while the sessions are being ended does nothing. */}
        <BusyCancelButton busy={pending} onCancel={onClose} />
        <button
          type="button"
          className="button-danger"
          onClick={() => void confirm()}
          aria-disabled={pending || undefined}
        >
          {pending ? 'Signing out…' : 'Sign out everywhere'}
        </button>
      </div>
    </dialog>
  );
}
