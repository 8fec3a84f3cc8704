import { cutText, hasVisibleCharacter, trimInvisible, withoutBidiControls } from './text';

/** How long a display name may be (the column has no limit; the UI needs one). */
const MAX = 200;

/**
 * The given name when there is one that shows, else the e-mail's local part. The name is
 * Cognito's `name` attribute, set outside Parley (users cannot write it), so it is made harmless
 * rather than refused: bidirectional embeddings, overrides and isolates are left out (one would
 * make a name in the admin console read as another's), blanks that show nothing are trimmed off
 * its ends, and a name of invisible characters alone counts as none. The e-mail's local part,
 * when it stands in, is made harmless the same way.
 */
export function displayNameFor(email: string, name?: string | null): string {
  const harmless = (text: string) => trimInvisible(withoutBidiControls(text));
  const trimmed = name === null || name === undefined ? '' : harmless(name);
  if (hasVisibleCharacter(trimmed)) return cutText(trimmed, MAX);
  const local = harmless(email.split('@')[0] ?? '');
  return cutText(hasVisibleCharacter(local) ? local : harmless(email), MAX);
}
