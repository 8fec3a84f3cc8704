export interface FormStatusProps {
  /** What went wrong with the last action, announced at once; null for nothing. */
  readonly error: string | null;
  /** What the last action did, announced politely; null for nothing. */
  readonly done: string | null;
}

/** The outcome of a form's or a dialog's last action, in a live region screen readers follow. */
export function FormStatus({ error, done }: FormStatusProps) {
  return (
    <div aria-live="polite">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {done && (
        <p className="success" role="status">
          {done}
        </p>
      )}
    </div>
  );
}
