import { cutText, hasVisibleCharacter, withoutBidiControls } from './text';

/** How long a display name may be (the column has no limit; the UI needs one). */
const MAX = 200;

/**
 * The given name when there is one that shows, else the e-mail's local part. The name is
 * Cognito's `name` attribute, set outside Parley (users cannot write it), so it is made harmless
 * rather than refused: bidirectional embeddings, overrides and isolates are left out (one would
 * make a name in the admin console read as another's), and a name of invisible characters alone
 * counts as none.
 */
export function displayNameFor(email: string, name?: string | null): string {
  const trimmed = name === null || name === undefined ? '' : withoutBidiControls(name).trim();
  if (hasVisibleCharacter(trimmed)) return cutText(trimmed, MAX);
  const local = email.split('@')[0]?.trim();
  return cutText(local || email, MAX);
}
