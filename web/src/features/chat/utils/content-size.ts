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

/**
 * Control characters other than tab and line breaks (NUL included), which the API refuses in a
 * message: invisible, and usually pasted from a terminal (ESC) or a PDF (form feed).
 */
// eslint-disable-next-line no-control-regex -- the point is to find control characters
const CONTROL_BUT_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** `text` without the control characters the API refuses. */
export function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL_BUT_LINE_BREAKS, '');
}

/** Why `text` cannot be sent as it is (its size, or characters the API refuses), or null. */
export function contentProblem(text: string): string | null {
  const tooLong = contentTooLong(text);
  if (tooLong) return tooLong;
  if (withoutControlCharacters(text) !== text)
    return 'Holds invisible control characters (pasted from a terminal or a PDF, say) that cannot be sent: remove them.';
  return null;
}
