import { useId } from 'react';

/** Six digits; spaces a person pastes from their authenticator app are dropped. */
export function normaliseCode(raw: string): string {
  return raw.replace(/\s+/g, '');
}

export function OtpCodeField({
  value,
  onChange,
  label = 'Authentication code',
  hint = 'The 6-digit code your authenticator app shows for Parley.',
}: {
  value: string;
  onChange(value: string): void;
  label?: string;
  hint?: string;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name="code"
        type="text"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="\s*(\d\s*){6}"
        required
        // The step was reached by submitting the form before: the code box is where the person goes next.
        autoFocus
        className="otp-code"
        aria-describedby={hintId}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
      <p id={hintId} className="hint">
        {hint}
      </p>
    </div>
  );
}
