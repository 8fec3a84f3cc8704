/** An error announced by screen readers as soon as it appears. */
export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="error" role="alert" data-testid="auth-error">
      {message}
    </p>
  );
}
