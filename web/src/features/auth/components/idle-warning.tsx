import { useModalDialog } from '@/lib/use-modal-dialog';

/** "Still there?": shown before an idle session ends, with the seconds left. */
export function IdleWarning({ secondsLeft, onStay }: { secondsLeft: number; onStay(): void }) {
  const dialog = useModalDialog();
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby="idle-warning-heading"
      aria-describedby="idle-warning-text"
      // Escape counts as being there, as the button does.
      onClose={onStay}
      data-testid="idle-warning"
    >
      <h2 id="idle-warning-heading">Still there?</h2>
      <p id="idle-warning-text">
        For your security, you will be signed out in {secondsLeft} second{secondsLeft === 1 ? '' : 's'}{' '}
        without activity.
      </p>
      <div className="actions dialog__actions">
        <button type="button" onClick={onStay} autoFocus>
          Stay signed in
        </button>
      </div>
    </dialog>
  );
}
