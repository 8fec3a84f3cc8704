import { cutText, hasVisibleCharacter, trimInvisible, withoutBidiControls } from '#shared/domain/text';

/** The longest title taken from a first message (the title limit itself is 200). */
const TITLE_FROM_MESSAGE_MAX = 80;

/**
 * A conversation's title from its first message: the first line with a visible character,
 * whitespace collapsed and blanks that show nothing trimmed off its ends, control characters and bidirectional embeddings, overrides and isolates
 * dropped (a title given by hand may not hold them; a message may, so here they are removed
 * rather than refused), cut at a word boundary near 80 characters. Empty when nothing visible is
 * left (the default title then stays).
 */
export function titleFromMessage(content: string): string {
  const line =
    withoutBidiControls(content)
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, '')
      .split(/\r?\n/)
      .map((l) => trimInvisible(l.replace(/\s+/g, ' ')))
      .find(hasVisibleCharacter) ?? '';
  if (line.length <= TITLE_FROM_MESSAGE_MAX) return line;
  const cut = cutText(line, TITLE_FROM_MESSAGE_MAX);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_FROM_MESSAGE_MAX / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
