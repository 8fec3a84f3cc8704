import { hasControlCharacters, withoutControlCharacters } from '../../../../../functions/shared/domain/text';

/** The API's limit on one message, in characters. */
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

/** Why `text` cannot be sent as it is (its size), or null. */
export function contentTooLong(text: string): string | null {
  const bytes = contentBytes(text);
  if (bytes <= CONTENT_MAX_BYTES) return null;
  return `Too long to send: ${bytes.toLocaleString('en')} of ${CONTENT_MAX_BYTES.toLocaleString('en')} bytes (some scripts take three bytes a character). Shorten it or send it in parts.`;
}

export { withoutControlCharacters };

/** What the composer says of a message holding control characters the API refuses. */
export const CONTROL_CHARACTERS_PROBLEM =
  'Holds invisible control characters (pasted from a terminal or a PDF, say) that cannot be sent: remove them.';

/** Why `text` cannot be sent as it is (its size, or characters the API refuses), or null. */
export function contentProblem(text: string): string | null {
  return contentTooLong(text) ?? (hasControlCharacters(text) ? CONTROL_CHARACTERS_PROBLEM : null);
}
