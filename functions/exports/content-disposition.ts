import { fileNameBase } from '#chat/domain/export';

/** A file name from the title in its own letters (fileNameBase: the words the ASCII name takes). */
export function unicodeFileName(title: string, extension: string): string {
  return `${fileNameBase(title, 'any')}.${extension}`;
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
