import {
  hasControlCharacters,
  hasVisibleCharacter,
  withoutControlCharacters,
} from '../../../../../functions/shared/domain/text';

/** The API's limit on one message, in characters (code points: an emoji is one). */
export const CONTENT_MAX = 32_000;
/**
 * The API's limit on one message in bytes as JSON text (UTF-8 and escapes, not the quotes): what
 * keeps a request within the WAF's 64 KB. About 20,000 characters of Chinese, Japanese or Korean.
 */
export const CONTENT_MAX_BYTES = 60_000;

const encoder = new TextEncoder();

/** The bytes `text` takes inside a JSON string, as the API counts them. */
export function contentBytes(text: string): number {
  return encoder.encode(JSON.stringify(text)).length - 2;
}

/**
 * The characters of `text` as the API counts them (zod's maxLength): code points, so a surrogate
 * pair (an emoji, say) is one, and so is a lone half of one.
 */
export function contentCharacters(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}

/**
 * Why `text` cannot be sent as it is (its size), or null. Of the two limits (characters, bytes as
 * JSON text) the one passed by more is said, so that shortening to it does not meet the other.
 */
export function contentTooLong(text: string): string | null {
  const characters = contentCharacters(text);
  const bytes = contentBytes(text);
  const overCharacters = characters / CONTENT_MAX;
  const overBytes = bytes / CONTENT_MAX_BYTES;
  if (overCharacters <= 1 && overBytes <= 1) return null;
  if (overCharacters > overBytes) {
    return `Too long to send: ${characters.toLocaleString('en')} of ${CONTENT_MAX.toLocaleString('en')} characters. Shorten it or send it in parts.`;
  }
  return `Too long to send: ${bytes.toLocaleString('en')} of ${CONTENT_MAX_BYTES.toLocaleString('en')} bytes (some scripts take three bytes a character). Shorten it or send it in parts.`;
}

/**
 * Whether `text` has a character that shows, as the API requires of a message, a title and a
 * comment (the API's own check): white space, zero-width and other invisible characters alone are
 * refused as empty, so the app sends none of them. The server stays the authority.
 */
export { hasVisibleCharacter, withoutControlCharacters };

/** What the composer says of a message holding control characters the API refuses. */
export const CONTROL_CHARACTERS_PROBLEM =
  'Holds invisible control characters (pasted from a terminal or a PDF, say) that cannot be sent: remove them.';

/** Why `text` cannot be sent as it is (its size, or characters the API refuses), or null. */
export function contentProblem(text: string): string | null {
  return contentTooLong(text) ?? (hasControlCharacters(text) ? CONTROL_CHARACTERS_PROBLEM : null);
}
