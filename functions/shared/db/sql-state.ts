/**
 * The PostgreSQL SQLSTATE of a failed query on either driver (pg puts it in `code`; the Data API
 * only in the message, as "...; SQLState: 23505"), e.g. '23505' for a unique violation.
 */
export function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? /SQLState: ([0-9A-Z]{5})/.exec(message)?.[1] : undefined;
}
