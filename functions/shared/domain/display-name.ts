import { cutText } from './text';

/** How long a display name may be (the column has no limit; the UI needs one). */
const MAX = 200;

/** The given name when there is one, else the e-mail's local part. */
export function displayNameFor(email: string, name?: string | null): string {
  const trimmed = name?.trim();
  if (trimmed) return cutText(trimmed, MAX);
  const local = email.split('@')[0]?.trim();
  return cutText(local || email, MAX);
}
