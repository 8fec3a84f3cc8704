import { updatePassword } from 'aws-amplify/auth';
import { useEffect, useId, useRef, useState } from 'react';
import type { FormEvent } from 'react';

import { NewPasswordFields, useNewPassword } from '@/features/auth/components/new-password-fields';
import { authErrorMessage } from '@/features/auth/utils/auth-error-message';
import { useModalDialog } from '@/lib/use-modal-dialog';
import { BusyCancelButton } from '@/components/busy-cancel-button';

/** "Change password": the current one, then a new one under the pool's policy (Cognito ChangePassword). */
export function ChangePasswordButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button-secondary button-small" onClick={() => setOpen(true)}>
        Change password
      </button>
      {open && <ChangePasswordDialog onClose={() => setOpen(false)} />}
    </>
  );
}

function ChangePasswordDialog({ onClose }: { onClose(): void }) {
  const id = useId();
  const [current, setCurrent] = useState('');
  const next = useNewPassword(`${id}-new`);
  const [pending, setPending] = useState(false);
  const dialog = useModalDialog({ busy: pending });
  const [error, setError] = useState<string | null>(null);
  const [changed, setChanged] = useState(false);
  const doneButton = useRef<HTMLButtonElement>(null);

  // Changed: the form goes, and the keyboard focus in it with it; Done takes it rather than the page.
  useEffect(() => {
    const active = document.activeElement;
    if (changed && (active === null || active === document.body)) doneButton.current?.focus();
  }, [changed]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (pending) return;
    setError(null);
    if (!next.accepted()) return;
    setPending(true);
    try {
      await updatePassword({ oldPassword: current, newPassword: next.password });
      setChanged(true);
    } catch (caught) {
      setError(authErrorMessage(caught, 'change'));
    } finally {
      setPending(false);
    }
  }

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby={`${id}-heading`} onClose={onClose}>
      <h2 id={`${id}-heading`}>Change password</h2>
      {changed ? (
        <>
          <p id={`${id}-changed`} className="success" role="status">
            Your password is changed. Other devices stay signed in until their session ends: use &ldquo;Sign
            out everywhere&rdquo; to end them now.
          </p>
          <div className="actions dialog__actions">
            {/* Described by the outcome: it appears as the focus moves here, so a screen reader
                reads it with Done rather than as a live region it has not met before. */}
            <button ref={doneButton} type="button" onClick={onClose} aria-describedby={`${id}-changed`}>
              Done
            </button>
          </div>
        </>
      ) : (
        <form onSubmit={(event) => void submit(event)} aria-label="Change your password">
          <div className="field">
            <label htmlFor={`${id}-current`}>Current password</label>
            <input
              id={`${id}-current`}
              name="current-password"
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(event) => setCurrent(event.target.value)}
            />
          </div>
          <NewPasswordFields {...next.fields} />
          {(error ?? next.problem) && (
            <p id={next.problemId} className="error" role="alert">
              {error ?? next.problem}
            </p>
          )}
          <div className="actions dialog__actions">
            {/* aria-disabled, not disabled: a disabled button loses the keyboard focus. A click (or
                Enter in a field, or Escape) while the password is being changed does nothing. */}
            <BusyCancelButton busy={pending} onCancel={onClose} />
            <button type="submit" aria-disabled={pending || undefined}>
              {pending ? 'Changing…' : 'Change password'}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
