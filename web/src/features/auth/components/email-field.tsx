/** The email a person signs in with (the pool's user name), for the browser's password manager too. */
export function EmailField({
  id,
  value,
  onChange,
  autoFocus = false,
}: {
  id: string;
  value: string;
  onChange(value: string): void;
  /** On a step reached by a button, where the email is what comes next. */
  autoFocus?: boolean;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>Email</label>
      <input
        id={id}
        name="email"
        type="email"
        autoComplete="username"
        required
        autoFocus={autoFocus}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}
