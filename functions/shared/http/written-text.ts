import { hasControlCharacters, hasVisibleCharacter } from '../domain/text';
import * as z from '../zod';

/**
 * Text a person writes in a form field (a comment, instructions): trimmed, 1 to `max`
 * characters of which at least one shows (zero-width spaces, fillers or lone combining marks alone
 * are empty text, refused with `empty`), line breaks and tabs allowed, no other control character
 * (NUL included). The
 * messages say what to send instead of a wrong type (`expected`) and of an empty text (`empty`).
 */
export function writtenText(max: number, messages: { readonly expected: string; readonly empty: string }) {
  return z.string({ message: messages.expected }).check(
    z.trim(),
    z.minLength(1, messages.empty),
    z.maxLength(max, `must be at most ${max} characters`),
    // An empty text is told once, by minLength.
    z.refine((text: string) => text.length === 0 || hasVisibleCharacter(text), messages.empty),
    z.refine(
      (text: string) => !hasControlCharacters(text),
      'must not contain control characters (NUL included)',
    ),
  );
}
