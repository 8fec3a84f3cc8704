/**
 * How CommonMark reads a line's blocks, as far as containers, fences and paragraphs go: what the
 * Markdown export needs to close a fence a reply left open (`openFenceAtEnd`, export.ts) and to
 * write raw HTML as text (the exports group's raw-html.ts). One reading for both, so they agree.
 */

/** The line with each tab as the spaces to the next multiple of 4, as CommonMark counts columns. */
export function expandTabs(line: string): string {
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(4 - (out.length % 4)) : ch;
  return out;
}

export const indentOf = (line: string) => line.length - line.trimStart().length;

/** A block quote marker, with the one space after it that belongs to it. */
export const QUOTE_MARKER = /^ {0,3}> ?/;
/** A list item's marker, the spaces after it and its text (`-text` is no item: no space). */
export const LIST_MARKER = /^( {0,3})([-+*]|\d{1,9}[.)])( *)(.*)$/;
/** 3+ backticks or tildes indented 3 spaces at most; a backtick fence's info string has no backtick. */
export const OPENING_FENCE = /^( {0,3})(`{3,}(?=[^`]*$)|~{3,})/;
export const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ ]*\1){2,}[ ]*$/;
export const ATX_HEADING = /^ {0,3}#{1,6}(?: |$)/;
export const SETEXT_UNDERLINE = /^ {0,3}(?:=+|-+)[ ]*$/;

/** An item opened empty (`-` alone) ends at a blank line: it may begin with one blank line at most. */
export type Container =
  { readonly quote: true } | { readonly quote: false; readonly width: number; openedEmpty: boolean };

/**
 * The list item `rest` starts, if any, with the columns its marker and spaces take. Where it would
 * interrupt a paragraph (in the paragraph's own container), CommonMark wants it non-empty and, if
 * ordered, numbered 1. A thematic break (`* * *`) wins over a list item.
 */
export function listItemAt(
  rest: string,
  interrupting: boolean,
): { width: number; consumed: number; empty: boolean } | undefined {
  const item = LIST_MARKER.exec(rest);
  if (!item || THEMATIC_BREAK.test(rest)) return undefined;
  const [, indent = '', marker = '', spaces = '', content = ''] = item;
  if (spaces === '' && content !== '') return undefined;
  if (interrupting && (content === '' || !/^(?:[-+*]|0*1[.)])$/.test(marker))) return undefined;
  // Text 5+ columns after the marker is indented code: the item's own indent is then one column.
  const gap = content === '' || spaces.length > 4 ? 1 : spaces.length;
  return {
    width: indent.length + marker.length + gap,
    consumed: indent.length + marker.length + Math.min(gap, spaces.length),
    empty: content === '',
  };
}

/** Whether `rest`, outside an open paragraph's containers, starts a block rather than continuing it. */
export const interruptsParagraph = (rest: string) =>
  QUOTE_MARKER.test(rest) ||
  THEMATIC_BREAK.test(rest) ||
  ATX_HEADING.test(rest) ||
  OPENING_FENCE.test(rest) ||
  listItemAt(rest, false) !== undefined;
