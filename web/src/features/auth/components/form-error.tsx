/** An error announced by screen readers as soon as it appears; `id` for the field it is about to point at. */
export function FormError({ message, id }: { message: string | null; id?: string }) {
  if (!message) return null;
  return (
    <p id={id} className="error" role="alert" data-testid="auth-error">
      {message}
    </p>
  );
}
