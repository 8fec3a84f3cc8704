/** The longest name a download gets, in characters before its extension (as exportFileName). */
const NAME_MAX_CHARS = 60;

/**
 * A file name from the title in its own letters: letters, marks and digits of any script, words
 * joined by dashes, lower case, never empty. Everything else goes: slashes, dots and colons (no
 * path, no second extension), quotes, control and format characters (a right-to-left override
 * would show `evil‮gpj.exe` as `evilexe.jpg`), emoji and punctuation.
 */
export function unicodeFileName(title: string, extension: string): string {
  const words = title
    .normalize('NFC')
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/[\s_-]+/gu, '-')
    .toLowerCase();
  const base = Array.from(words.replace(/^-+/, '')).slice(0, NAME_MAX_CHARS).join('').replace(/-+$/, '');
  return `${base || 'conversation'}.${extension}`;
}

/**
 * The Content-Disposition of a download (RFC 6266). `asciiName` is ours (letters, digits, dashes
 * and a dot), so it needs no quoting beyond the quotes; every client reads it. A title in other
 * letters (会议纪要, Привет, Straße) loses them there, so its own name goes beside it as
 * `filename*` in UTF-8 (RFC 8187), which browsers prefer: percent-encoded, a header holds ASCII
 * only, and the name has no character the encoding leaves as it is but letters, digits, `-`, `.`.
 */
export function attachmentDisposition(asciiName: string, title: string): string {
  const extension = asciiName.slice(asciiName.lastIndexOf('.') + 1);
  const own = unicodeFileName(title, extension);
  const plain = `attachment; filename="${asciiName}"`;
  return own === asciiName ? plain : `${plain}; filename*=UTF-8''${encodeURIComponent(own)}`;
}
