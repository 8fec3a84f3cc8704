/**
 * Raw HTML in a message, made text for the Markdown export. The web app shows a message's raw
 * HTML as text (it never parses it), and one document holds every message of an export: an
 * unclosed `<!--`, `<script>` or `<textarea>` would hide the rest of the file from a Markdown
 * reader, a `<details>` would fold it away, and another viewer might run what the model wrote.
 * So a `<` that starts raw HTML, in CommonMark or in the readers that are looser than it (marked
 * takes an unclosed inline `<!--` to the end of its paragraph), is written `&lt;`, which every
 * reader shows as `<`. An entity rather than a backslash: GFM's bare links (`https://x\<b>`)
 * take a backslash into the link and leave the tag after it. Code (fenced, indented and inline)
 * is left as written, and so are autolinks; a `<` that starts no HTML (`a<b`, as maths often has
 * it) is left too. Blocks are read as `openFenceAtEnd` (chat's `domain/export.ts`) reads them; the
 * exports group applies this to what its repository hands the Markdown export (see wiring.ts).
 */

import {
  ATX_HEADING,
  expandTabs,
  indentOf,
  interruptsParagraph,
  listItemAt,
  OPENING_FENCE,
  QUOTE_MARKER,
  SETEXT_UNDERLINE,
  THEMATIC_BREAK,
  type Container,
} from '#chat/domain/markdown-blocks';

/** The block-level tags of CommonMark's HTML block of type 6 (with `meta` and `search`, as marked has). */
const BLOCK_TAGS =
  'address|article|aside|base|basefont|blockquote|body|caption|center|col|colgroup|dd|details|dialog|dir|div|dl|dt|fieldset|figcaption|figure|footer|form|frame|frameset|h[1-6]|head|header|hr|html|iframe|legend|li|link|main|menu|menuitem|meta|nav|noframes|ol|optgroup|option|p|param|search|section|summary|table|tbody|td|tfoot|th|thead|title|tr|track|ul';
/**
 * The start of an HTML block of types 1 to 6: these need no whole tag (`<div` alone will do) and
 * interrupt a paragraph, so they are HTML even inside what would otherwise be inline code. Taken
 * at any indent: readers disagree on the columns of a lazy line in a list in a quote (marked
 * counts them for the list item, CommonMark does not).
 */
const HTML_BLOCK_START = new RegExp(
  `^\\s*<(?:(?:script|pre|style|textarea)(?:\\s|>|$)|!--|\\?|![A-Za-z]|!\\[CDATA\\[|/?(?:${BLOCK_TAGS})(?:\\s|/?>|$))`,
  'i',
);

/** A whole open or closing tag, as CommonMark's raw HTML has it (attributes may span lines). */
const TAG =
  /<(?:[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?)*\s*\/?|\/[A-Za-z][A-Za-z0-9-]*\s*)>/y;
/** Comments, processing instructions, declarations and CDATA: their start is enough. */
const MARKUP_START = /<(?:!--|\?|![A-Za-z]|!\[CDATA\[)/y;
/** URI and e-mail autolinks: links, not HTML. A URI runs to a space, a control character or `<>`. */
const AUTOLINK =
  // eslint-disable-next-line no-control-regex
  /<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\u0000-\u0020<>]*|[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)>/y;
const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;

const matchesAt = (pattern: RegExp, text: string, at: number) => {
  pattern.lastIndex = at;
  return pattern.exec(text);
};

/** Where GFM's bare links start (as marked finds them): they run to the next space or `<`. */
const BARE_LINK = /(?:(?:https?|ftp):\/\/|(?<![^\s*_~(])www\.)(?=[A-Za-z0-9-])/iy;

/** How a reader may pair backticks and read bare links: readers differ, so each way is tried. */
interface Reading {
  /** GFM's bare links, read before code spans. */
  readonly bareLinks: boolean;
  /** Code spans end at the line (a block another reader sees there) or at a `|` (a table cell). */
  readonly lineLocal: boolean;
}

const READINGS: readonly Reading[] = [
  { bareLinks: false, lineLocal: false },
  { bareLinks: false, lineLocal: true },
  { bareLinks: true, lineLocal: false },
  { bareLinks: true, lineLocal: true },
];

/**
 * Where `text` (inline Markdown: a paragraph, a heading's text) holds a `<` that starts raw HTML
 * outside code spans and autolinks, read one way, as offsets of the `<` (or of a `\<` before raw
 * HTML: written `&lt;` it reads the same, where a bare link before it would take the backslash
 * and leave the tag) and the characters to replace. Code spans are found as CommonMark finds
 * them: a backtick run not escaped, up to the next run of the same length. A bare link (and any
 * backtick or backslash in it) runs past the `<`s that will be `&lt;`: that is how a GFM reader
 * reads the text once escaped.
 */
function htmlStartsIn(text: string, reading: Reading): Map<number, number> {
  /** Where each backtick run starts, by its length: the candidates to close a code span. */
  const runs = new Map<number, { readonly starts: number[]; next: number }>();
  for (const run of text.matchAll(/`+/g)) {
    const length = run[0].length;
    const known = runs.get(length) ?? { starts: [], next: 0 };
    known.starts.push(run.index);
    runs.set(length, known);
  }
  const barriers = reading.lineLocal ? [...text.matchAll(/[\r\n|]/g)].map((m) => m.index) : [];
  let barrier = 0;
  const startsHtml = (at: number) => matchesAt(TAG, text, at) || matchesAt(MARKUP_START, text, at);
  const escapes = new Map<number, number>();
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (reading.bareLinks && matchesAt(BARE_LINK, text, i)) {
      for (i = BARE_LINK.lastIndex; i < text.length && !/\s/.test(text[i] ?? ''); i += 1)
        if (text[i] === '<') {
          if (!startsHtml(i)) break;
          escapes.set(i, 1);
        }
    } else if (char === '\\') {
      if (text[i + 1] === '<' && startsHtml(i + 1)) escapes.set(i, 2);
      i += ASCII_PUNCTUATION.test(text[i + 1] ?? '') ? 2 : 1;
    } else if (char === '`') {
      let length = 1;
      while (text[i + length] === '`') length += 1;
      const closers = runs.get(length);
      // Runs only ever move forward, so each length's pointer does too: linear in the text.
      while (
        closers &&
        closers.next < closers.starts.length &&
        (closers.starts[closers.next] ?? 0) < i + length
      )
        closers.next += 1;
      while ((barriers[barrier] ?? Infinity) < i) barrier += 1;
      const closer = closers?.starts[closers.next];
      i = closer === undefined || closer > (barriers[barrier] ?? Infinity) ? i + length : closer + length;
    } else if (char === '<') {
      const link = matchesAt(AUTOLINK, text, i);
      if (link) i += link[0].length;
      else {
        if (startsHtml(i)) escapes.set(i, 1);
        i += 1;
      }
    } else i += 1;
  }
  return escapes;
}

/**
 * `text` (inline Markdown) with `&lt;` for each `<` that starts raw HTML in any of the readings,
 * and for the `<` at each offset in `forced` wherever it is: only what every reading takes for
 * code is left as written. Inline code on one line, as nearly all of it is, they all agree on.
 */
function escapeInline(text: string, forced: readonly number[] = []): string {
  if (!text.includes('<')) return text;
  const escapes = [
    ...forced.map((at): [number, number] => [at, 1]),
    ...READINGS.flatMap((reading) => [...htmlStartsIn(text, reading)]),
  ];
  if (escapes.length === 0) return text;
  let out = '';
  let from = 0;
  for (const [at, length] of escapes.sort(([a, x], [b, y]) => a - b || y - x)) {
    // A `\<` and its `<` found apart: the first, the wider, takes both.
    if (at < from) continue;
    out += `${text.slice(from, at)}&lt;`;
    from = at + length;
  }
  return out + text.slice(from);
}

/** A title or other one-line text that Markdown reads inline (a heading's), its raw HTML as text. */
export function inlineRawHtmlAsText(text: string): string {
  return escapeInline(text);
}

/** What escaping needs to know of a line. */
interface LineKind {
  /** In a fenced or indented code block (its fences too): left as written. */
  readonly code: boolean;
  /** Goes on with the paragraph of the line before, so a code span may run across both. */
  readonly continues: boolean;
  /** Its text, past its containers, starts an HTML block of types 1 to 6. */
  readonly htmlBlock: boolean;
}

const CODE: LineKind = { code: true, continues: false, htmlBlock: false };
const OTHER: LineKind = { code: false, continues: false, htmlBlock: false };
const textLine = (continues: boolean, rest: string): LineKind => ({
  code: false,
  continues,
  htmlBlock: HTML_BLOCK_START.test(rest),
});

/**
 * The kind of each line, read as CommonMark reads blocks once the HTML blocks are gone (as they
 * are once escaped): block quotes, list items and their indent, paragraphs and their lazy lines,
 * fenced and indented code, thematic breaks and headings.
 */
function kindsOf(lines: readonly string[]): LineKind[] {
  const kinds: LineKind[] = [];
  let containers: Container[] = [];
  let fence: { readonly char: string; readonly length: number; readonly depth: number } | undefined;
  let paragraph = false;
  // The paragraph has a line starting with three backticks or more (inline code: a fence would
  // have opened). Under such a line marked reads no setext heading, and takes the underline and
  // what follows for the paragraph's text: read as both, HTML there is escaped.
  let backtickLine = false;
  const startsWithBackticks = (rest: string) => /^ {0,3}`{3}/.test(rest);
  for (const raw of lines) {
    const line = expandTabs(raw);
    let rest = line;
    const blank = line.trim() === '';
    let matched = 0;
    for (const container of containers) {
      const quote = container.quote ? QUOTE_MARKER.exec(rest) : null;
      if (quote) rest = rest.slice(quote[0].length);
      else if (!container.quote && blank && !container.openedEmpty) rest = '';
      else if (!container.quote && !blank && indentOf(rest) >= container.width)
        rest = rest.slice(container.width);
      else break;
      matched += 1;
    }
    if (fence && matched >= fence.depth) {
      const closing = new RegExp(`^ {0,3}${fence.char === '`' ? '`' : '~'}{${fence.length},} *$`);
      if (closing.test(rest)) fence = undefined;
      kinds.push(CODE);
      continue;
    }
    // A fence whose container is not continued ends with it: fences take no lazy lines.
    const inFence = fence !== undefined;
    fence = undefined;
    const all = matched === containers.length;
    // A lazy line: a paragraph goes on, and every container around it, without their markers.
    if (!all && !inFence && paragraph && !blank && !interruptsParagraph(rest)) {
      backtickLine ||= startsWithBackticks(rest);
      kinds.push(textLine(true, rest));
      continue;
    }
    containers = containers.slice(0, matched);
    if (!all || inFence) paragraph = false;
    if (paragraph && SETEXT_UNDERLINE.test(rest)) {
      if (backtickLine) {
        kinds.push(textLine(true, rest));
        continue;
      }
      paragraph = false;
      kinds.push(OTHER);
      continue;
    }
    for (const container of containers) if (!container.quote) container.openedEmpty = false;
    let opened = false;
    for (;;) {
      const quote = QUOTE_MARKER.exec(rest);
      const item = quote ? undefined : listItemAt(rest, paragraph && !opened);
      if (quote) {
        containers.push({ quote: true });
        rest = rest.slice(quote[0].length);
      } else if (item) {
        containers.push({ quote: false, width: item.width, openedEmpty: item.empty });
        rest = rest.slice(item.consumed);
      } else break;
      opened = true;
    }
    const opening = OPENING_FENCE.exec(rest);
    if (opening) {
      const [, , run = ''] = opening;
      fence = { char: run.charAt(0), length: run.length, depth: containers.length };
      paragraph = false;
      kinds.push(CODE);
    } else if (rest.trim() === '' || THEMATIC_BREAK.test(rest)) {
      paragraph = false;
      kinds.push(OTHER);
    } else if (ATX_HEADING.test(rest)) {
      paragraph = false;
      kinds.push(textLine(false, ''));
    } else if (indentOf(rest) >= 4 && (opened || !paragraph)) {
      // Indented 4+ columns: code, unless it continues a paragraph.
      paragraph = false;
      kinds.push(CODE);
    } else {
      const continues = paragraph && !opened;
      backtickLine = (continues && backtickLine) || startsWithBackticks(rest);
      kinds.push(textLine(continues, rest));
      paragraph = true;
    }
  }
  return kinds;
}

/**
 * A message's Markdown with its raw HTML as text: `&lt;` for each `<` that starts an HTML block or
 * inline raw HTML, outside code. What a reader shows is the text the app showed, and
 * nothing the message holds can swallow, hide or restyle what the export writes after it.
 */
export function rawHtmlAsText(markdown: string): string {
  if (!markdown.includes('<')) return markdown;
  // Lines at even indexes, the line breaks they ended with at odd ones.
  const parts = markdown.split(/(\r\n|\r|\n)/);
  const lines = parts.filter((_, i) => i % 2 === 0);
  const kinds = kindsOf(lines);
  let out = '';
  let line = 0;
  while (line < lines.length) {
    const kind = kinds[line] ?? OTHER;
    if (kind.code) {
      out += (lines[line] ?? '') + (parts[2 * line + 1] ?? '');
      line += 1;
      continue;
    }
    // A paragraph's lines are read together: inline code and tags may run across them.
    let text = '';
    const forced: number[] = [];
    do {
      const raw = lines[line] ?? '';
      // Containers' markers hold no `<`: the line's first is where its HTML block starts.
      if (kinds[line]?.htmlBlock) forced.push(text.length + raw.indexOf('<'));
      text += raw + (parts[2 * line + 1] ?? '');
      line += 1;
    } while (line < lines.length && kinds[line]?.continues);
    out += escapeInline(text, forced);
  }
  return out;
}
