/**
 * A reply's Markdown as a screen reader should hear it: the words, without the marks that format
 * them (`**`, `#`, backticks, a link's address, a list's dash). Pure and small, so the
 * announcement does not wait for the Markdown renderer, which loads in its own chunk.
 */
export function markdownToPlainText(markdown: string): string {
  return (
    markdown
      .replace(/\r\n?/g, '\n')
      // Fences: the code stays, the ``` lines and their language go.
      .replace(/^ {0,3}(`{3,}|~{3,})[^\n]*$/gm, '')
      // Images and links: their text (an image's alternative text), not their address.
      .replace(/!?\[([^\]\n]*)\]\([^)\n]*\)/g, '$1')
      .replace(/!?\[([^\]\n]*)\]\[[^\]\n]*\]/g, '$1')
      // Headings, quotes, list markers and rules at the start of a line.
      .replace(/^ {0,3}#{1,6}[ \t]+/gm, '')
      .replace(/[ \t]+#+[ \t]*$/gm, '')
      .replace(/^ {0,3}(?:>[ \t]?)+/gm, '')
      .replace(/^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?/gm, '')
      .replace(/^ {0,3}(?:[-*_][ \t]*){3,}$/gm, '')
      // Tables: cells apart, without their pipes and the line of dashes under the header.
      .replace(/^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*:?-*:?[ \t]*$/gm, '')
      .replace(/^[ \t]*\|[ \t]*|[ \t]*\|[ \t]*$/gm, '')
      .replace(/[ \t]*\|[ \t]*/g, ', ')
      // Emphasis, strikethrough and inline code: the text inside.
      .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '$1')
      .replace(/\*(?=\S)([^*\n]*?\S)\*/g, '$1')
      // Underscores emphasise only outside a word (snake_case stays).
      .replace(/(^|\W)__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1$2')
      .replace(/(^|\W)_(?=\S)([^_\n]*?\S)_(?!\w)/g, '$1$2')
      .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '$1')
      .replace(/`+([^`\n]+)`+/g, '$1')
      // Raw HTML shows as text in the reply, so it stays; runs of blank lines become one.
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}
