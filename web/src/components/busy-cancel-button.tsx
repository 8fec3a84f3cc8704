export interface BusyCancelButtonProps {
  /** The action is in flight: a click does nothing until it has ended. */
  readonly busy: boolean;
  /**
   * The button's text: "Close" for a dialog whose work is kept once done (nothing to cancel).
   * @default 'Cancel'
   */
  readonly label?: string;
  onCancel(): void;
}

/**
 * A dialog's Cancel (or Close), or a sign-in step's Back, which waits while the action is in
 * flight, so the person sees how it ends (or its error). aria-disabled, not disabled: a disabled
 * button loses the keyboard focus.
 */
export function BusyCancelButton({ busy, label = 'Cancel', onCancel }: BusyCancelButtonProps) {
  return (
    <button
      type="button"
      className="button-secondary"
      onClick={() => {
        if (!busy) onCancel();
      }}
      aria-disabled={busy || undefined}
    >
      {label}
    </button>
  );
}
