export interface BusyCancelButtonProps {
  /** The dialog's action is in flight: a click does nothing until it has ended. */
  readonly busy: boolean;
  onCancel(): void;
}

/**
 * A dialog's Cancel, which waits while the dialog's action is in flight. aria-disabled, not
 * disabled: a disabled button loses the keyboard focus.
 */
export function BusyCancelButton({ busy, onCancel }: BusyCancelButtonProps) {
  return (
    <button
      type="button"
      className="button-secondary"
      onClick={() => {
        if (!busy) onCancel();
      }}
      aria-disabled={busy || undefined}
    >
      Cancel
    </button>
  );
}
