import { cutText } from '#shared/domain/text';

/** The longest title taken from a first message (the title limit itself is 200). */
const TITLE_FROM_MESSAGE_MAX = 80;

/**
 * A conversation's title from its first message: the first line, whitespace collapsed, control
 * characters dropped, cut at a word boundary near 80 characters. Empty when nothing printable is
 * left (the default title then stays).
 */
export function titleFromMessage(content: string): string {
  const line =
    content
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, '')
      .split(/\r?\n/)
      .map((l) => l.replace(/\s+/g, ' ').trim())
      .find((l) => l.length > 0) ?? '';
  if (line.length <= TITLE_FROM_MESSAGE_MAX) return line;
  const cut = cutText(line, TITLE_FROM_MESSAGE_MAX);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_FROM_MESSAGE_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
