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
} from './markdown-blocks';
import type { Message } from './message';

export type ExportFormat = 'markdown' | 'json';

/** The conversation an export names at its top. */
export interface ExportedConversation {
  readonly id: string;
  readonly title: string;
  readonly createdAt: string;
}

/** The longest name a download gets, in characters before its extension. */
const NAME_MAX_CHARS = 60;

/**
 * A download's name before its extension, from the title: its words lower-cased and joined by one
 * dash, at most 60 characters, never empty. `ascii` keeps a–z and 0–9 (accents dropped: Café is
 * cafe), for the `filename` every client reads; `any` keeps letters, marks and digits of every
 * script in their composed form, for `filename*`. Both take the same words, so a title in ASCII
 * gets one name, not two. Gone from both: slashes, dots and colons (no path, no second
 * extension), quotes, control and format characters (a right-to-left override would show
 * `evil‮gpj.exe` as `evilexe.jpg`), letters and marks that show nothing (Hangul fillers,
 * variation selectors), emoji and punctuation.
 */
export function fileNameBase(title: string, letters: 'ascii' | 'any'): string {
  const text = letters === 'ascii' ? title.normalize('NFKD').replace(/\p{M}/gu, '') : title.normalize('NFC');
  const words = text
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .replace(letters === 'ascii' ? /[^a-z0-9\s_-]/giu : /[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/[\s_-]+/gu, '-')
    .toLowerCase();
  const base = Array.from(words.replace(/^-+/, '')).slice(0, NAME_MAX_CHARS).join('').replace(/-+$/, '');
  return base || 'conversation';
}

/** A file name from the title in ASCII letters, digits and dashes (fileNameBase), never empty. */
export function exportFileName(title: string, format: ExportFormat): string {
  return `${fileNameBase(title, 'ascii')}.${format === 'markdown' ? 'md' : 'json'}`;
}

/** The messages oldest first, a page at a time (one statement each), as the export reads them. */
export type MessagePages = AsyncIterable<readonly Message[]>;

/** A fenced code block's opening run: its character, its length and the column it starts at. */
interface Fence {
  readonly char: '`' | '~';
  readonly length: number;
  readonly column: number;
}

/** Where a reading of a message's text is, between two of its lines. */
interface BlockState {
  containers: Container[];
  fence: (Fence & { readonly depth: number }) | undefined;
  paragraph: boolean;
}

/** What a line is, read in its place (columns are the line's, its tabs expanded). */
type LineReading =
  /** In a fenced or indented code block, or one of its fences. */
  | { readonly kind: 'code' }
  /**
   * Blank, a thematic break or an empty list item; `underline` is the column of its first `-`
   * when, past the containers it goes on with, it is a line of dashes.
   */
  | { readonly kind: 'other'; readonly underline: number | undefined }
  /** A paragraph's line: `rest` is its text past its containers. */
  | {
      readonly kind: 'text';
      readonly rest: string;
      readonly column: number;
      /** Goes on with the paragraph of the line before. */
      readonly continues: boolean;
      /** Goes on with it without the markers of its containers. */
      readonly lazy: boolean;
      /** The column of the `>` of the quote it is in, when its innermost container is one. */
      readonly quote: number | undefined;
    }
  /** An ATX heading, or the underline that makes the paragraph before it a setext heading. */
  | { readonly kind: 'heading'; readonly level: number; readonly column: number };

const copied = (state: BlockState): BlockState => ({
  ...state,
  containers: state.containers.map((container) => ({ ...container })),
});

/**
 * Reads one line of a message's text as CommonMark reads blocks, as far as containers and fences
 * go: block quotes, list items and their indent, paragraphs' lazy lines, fenced and indented
 * code, thematic breaks and headings (raw HTML blocks are not followed). `state` is moved past it.
 */
function readLine(state: BlockState, raw: string): LineReading {
  const line = expandTabs(raw);
  let rest = line;
  const blank = line.trim() === '';
  const column = () => line.length - rest.length;
  let matched = 0;
  let quote: number | undefined;
  for (const container of state.containers) {
    const marker = container.quote ? QUOTE_MARKER.exec(rest) : null;
    if (marker) {
      quote = column() + marker[0].indexOf('>');
      rest = rest.slice(marker[0].length);
    } else if (!container.quote && blank && !container.openedEmpty) rest = '';
    else if (!container.quote && !blank && indentOf(rest) >= container.width) {
      quote = undefined;
      rest = rest.slice(container.width);
    } else break;
    matched += 1;
  }
  const { fence } = state;
  if (fence && matched >= fence.depth) {
    const closing = new RegExp(`^ {0,3}${fence.char === '`' ? '`' : '~'}{${fence.length},} *$`);
    if (closing.test(rest)) state.fence = undefined;
    return { kind: 'code' };
  }
  // A fence whose container is not continued ends with it: fences take no lazy lines.
  state.fence = undefined;
  const all = matched === state.containers.length;
  // A lazy line: a paragraph goes on, and every container around it, without their markers.
  if (!all && !fence && state.paragraph && !blank && !interruptsParagraph(rest))
    return { kind: 'text', rest, column: column(), continues: true, lazy: true, quote: undefined };
  state.containers = state.containers.slice(0, matched);
  if (!all || fence) state.paragraph = false;
  if (state.paragraph && SETEXT_UNDERLINE.test(rest)) {
    state.paragraph = false;
    return { kind: 'heading', level: rest.trim().startsWith('=') ? 1 : 2, column: column() + indentOf(rest) };
  }
  const underline = SETEXT_UNDERLINE.test(rest) ? column() + indentOf(rest) : undefined;
  for (const container of state.containers) if (!container.quote) container.openedEmpty = false;
  let opened = false;
  for (;;) {
    const marker = QUOTE_MARKER.exec(rest);
    const item = marker ? undefined : listItemAt(rest, state.paragraph && !opened);
    if (marker) {
      state.containers.push({ quote: true });
      quote = column() + marker[0].indexOf('>');
      rest = rest.slice(marker[0].length);
    } else if (item) {
      state.containers.push({ quote: false, width: item.width, openedEmpty: item.empty });
      quote = undefined;
      rest = rest.slice(item.consumed);
    } else break;
    opened = true;
  }
  const opening = OPENING_FENCE.exec(rest);
  if (opening) {
    const [, indent = '', run = ''] = opening;
    const char = run.startsWith('~') ? '~' : '`';
    const at = column() + indent.length;
    state.fence = { char, length: run.length, column: at, depth: state.containers.length };
    state.paragraph = false;
    return { kind: 'code' };
  }
  if (rest.trim() === '' || THEMATIC_BREAK.test(rest)) {
    state.paragraph = false;
    return { kind: 'other', underline };
  }
  if (ATX_HEADING.test(rest)) {
    state.paragraph = false;
    const at = column() + indentOf(rest);
    return { kind: 'heading', level: /^#+/.exec(rest.trimStart())?.[0].length ?? 1, column: at };
  }
  // Indented 4+ columns: code, unless it continues a paragraph.
  if (indentOf(rest) >= 4 && (opened || !state.paragraph)) {
    state.paragraph = false;
    return { kind: 'code' };
  }
  const continues = state.paragraph && !opened;
  state.paragraph = true;
  return { kind: 'text', rest, column: column(), continues, lazy: false, quote };
}

/**
 * The fenced code block `text` leaves open at the top level of the document, if any. In CommonMark
 * an unclosed fence runs to the end of the document, so everything written after this message
 * (the stopped note, every later heading) would read as code. A fence inside a list item or a
 * block quote needs nothing: the heading that follows the message ends its container and the
 * fence with it.
 */
export function openFenceAtEnd(text: string): Fence | undefined {
  const state: BlockState = { containers: [], fence: undefined, paragraph: false };
  for (const line of text.split(/\r\n|\r|\n/)) readLine(state, line);
  const { fence } = state;
  return fence?.depth === 0 ? { char: fence.char, length: fence.length, column: fence.column } : undefined;
}

/** A level-1 or level-2 ATX heading as marked reads it too: any space, a no-break one, after its `#`s. */
const TOP_HEADING = /^ {0,3}#{1,2}(?=\s|$)/;
/**
 * A line going on with a paragraph that marked, unlike CommonMark, may read as a level 1 or 2
 * heading or a setext underline: it gives a lazy line the indent of the list item it follows.
 */
const LAZY_HEADING = /^ *(?:#{1,2}(?=\s|$)|(?:=+|-+) *$)/;
/**
 * The same after list markers: marked takes such a line under a list item in a quote (`> - a`,
 * then `    1. ## x`) for a list of that item holding a heading, where CommonMark ends the quote
 * and reads on the paragraph. The match is what comes before the `#`s.
 */
const LAZY_LIST_HEADING = /^ *(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)+(?=#{1,2}(?:\s|$))/;
/** The opening words of the notes the export writes under a message (see `markdownOf`). */
const NOTE_START = /^(?:this reply failed|stopped before the end|cut short|still being written)/i;
/** Enough of a paragraph's text to tell whether it opens as a note does. */
const NOTE_LENGTH = 64;

/** A paragraph's text as a reader sees it, near enough: entities read, emphasis and escapes gone. */
const shownText = (markdown: string) =>
  markdown
    .replace(/&#(\d{1,7});/g, (_, code: string) => String.fromCodePoint(Math.min(Number(code), 0x10ffff)))
    .replace(/&#x([\da-f]{1,6});/gi, (_, code: string) =>
      String.fromCodePoint(Math.min(Number.parseInt(code, 16), 0x10ffff)),
    )
    .replace(/&nbsp;/gi, ' ')
    .replace(/[\\*_`~\p{Cf}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();

/** The index in `raw` of the character at `column` of the line with its tabs expanded. */
function indexAtColumn(raw: string, column: number): number {
  let index = 0;
  let at = 0;
  for (const ch of raw) {
    if (at >= column) break;
    at += ch === '\t' ? 4 - (at % 4) : ch.length;
    index += ch.length;
  }
  return index;
}

/**
 * Where the line just read (`reading`, `after` it) makes a turn or a note of the export's: the
 * column of the character to escape, if any. Level 1 and 2 headings are the title's and the
 * messages' alone; a quote whose text opens as a note does (read on over the lines from `next`
 * that continue it) is one. `afterLazy`: the line before went on with a paragraph lazily.
 */
function forgedAt(
  reading: LineReading,
  after: BlockState,
  lines: readonly string[],
  next: number,
  afterLazy: boolean,
): number | undefined {
  if (reading.kind === 'heading') return reading.level <= 2 ? reading.column : undefined;
  // A line of dashes under a lazy line is a break or a list item in CommonMark, and a setext
  // underline to marked where it took the lazy line out of its container.
  if (reading.kind === 'other') return afterLazy ? reading.underline : undefined;
  if (reading.kind !== 'text') return undefined;
  if (TOP_HEADING.test(reading.rest) || (reading.continues && LAZY_HEADING.test(reading.rest)))
    return reading.column + indentOf(reading.rest);
  const listHeading = reading.continues ? LAZY_LIST_HEADING.exec(reading.rest) : null;
  if (listHeading) return reading.column + listHeading[0].length;
  // A line going on with a paragraph may open a quote to marked (at any indent under a list item).
  const lazyQuote = reading.continues ? /^(?: *> ?)+/.exec(reading.rest) : null;
  // Whether the line goes on with a paragraph, readers may disagree (marked reads a tab after a
  // `>` as 4 columns): escaped, a `>` that does is a lazy line of the same paragraph.
  const quote = lazyQuote ? reading.column + lazyQuote[0].lastIndexOf('>') : reading.quote;
  if (quote === undefined) return undefined;
  let paragraph = reading.rest.slice(lazyQuote?.[0].length ?? 0);
  const state = copied(after);
  for (let i = next; i < lines.length && shownText(paragraph).length < NOTE_LENGTH; i += 1) {
    const line = readLine(state, lines[i] ?? '');
    if (line.kind !== 'text' || !line.continues) break;
    paragraph += ` ${line.rest}`;
  }
  return NOTE_START.test(shownText(paragraph)) ? quote : undefined;
}

/**
 * A message's text with what would read as one of the export's own turns or notes written as text:
 * a backslash before the `#`s of a level 1 or 2 heading (ATX, at any depth), before the underline
 * of a setext one, and before the `>` of a quote whose text opens as a note does ("This reply
 * failed", "Stopped before the end", "Cut short", "Still being written"). A reader shows the text
 * as written; only the export's headings and notes are headings and notes. Code (fenced and
 * indented) and every other line are left as written. A line escaped reads differently (a heading
 * becomes a paragraph the next lines may go on with), so each line is read as the lines before it
 * read once escaped. Where marked reads blocks otherwise than CommonMark in ways that make a
 * heading (see `LAZY_HEADING`), what either would take for one is escaped.
 */
export function turnsAsText(text: string): string {
  // Lines at even indexes, the line breaks they ended with at odd ones.
  const parts = text.split(/(\r\n|\r|\n)/);
  const lines = parts.filter((_, i) => i % 2 === 0);
  let state: BlockState = { containers: [], fence: undefined, paragraph: false };
  let afterLazy = false;
  lines.forEach((original, i) => {
    let line = original;
    // Each escape turns one marker of the line into text, so there are fewer than it has
    // characters; the bound is a backstop.
    for (let escapes = 0; ; escapes += 1) {
      const before = copied(state);
      const reading = readLine(state, line);
      const column =
        escapes < original.length ? forgedAt(reading, state, lines, i + 1, afterLazy) : undefined;
      if (column === undefined) {
        afterLazy = reading.kind === 'text' && reading.lazy;
        break;
      }
      state = before;
      const at = indexAtColumn(line, column);
      line = `${line.slice(0, at)}\\${line.slice(at)}`;
    }
    parts[2 * i] = line;
  });
  return parts.join('');
}

/**
 * The Markdown of one message: its heading, its text as written, and why it failed, that it was
 * stopped, cut short at the model's length limit or still being written, if so: a reader of the
 * file must not take a cut reply for a whole one, nor a line of the text for a turn or a note
 * (`turnsAsText`). A code block the text leaves open (a reply stopped or failed mid-block) is
 * closed, at the column it opened at: were it in a list item after all, a closing fence indented so
 * would still belong to it. `asText` is what else the document changes of the text (see
 * `markdownExport`).
 */
function markdownOf(message: Message, asText: (content: string) => string): string {
  const who = message.role === 'user' ? 'You' : `Assistant${message.model ? ` (${message.model})` : ''}`;
  const content = asText(turnsAsText(message.content));
  const lines = [`## ${who} · ${message.createdAt}`, '', content || '_(no text)_'];
  const open = openFenceAtEnd(content);
  if (open) lines.push(`${' '.repeat(open.column)}${open.char.repeat(open.length)}`);
  lines.push('');
  if (message.status === 'failed')
    lines.push(`> This reply failed: ${message.error ?? 'unknown reason'}`, '');
  else if (message.stopped) lines.push("> Stopped before the end, at its author's request.", '');
  else if (message.truncated) lines.push('> Cut short: the model wrote as much as it may in one reply.', '');
  else if (message.status === 'streaming')
    lines.push('> Still being written when this file was exported.', '');
  return lines.join('\n');
}

/**
 * A title as an ATX heading's text: a run of `#` at its end, alone or after a space, would be read
 * as the heading's optional closing sequence and dropped ("C #" would read "C"), so its first `#`
 * is escaped.
 */
const headingText = (title: string) => title.replace(/(^|[ \t])(#+[ \t]*)$/, '$1\\$2');

/**
 * The conversation as a Markdown document, a piece per page of messages, so that a long
 * conversation is written out as it is read: a heading per message, the text as written.
 * `asText` changes what a message's text shows once its turns and notes are text (the exports
 * group writes raw HTML as text): after, so that it reads the lines as the document has them (a
 * heading made text may take an indented line after it out of code); it must leave blocks as
 * they read.
 */
export async function* markdownExport(
  conversation: ExportedConversation,
  pages: MessagePages,
  asText: (content: string) => string = (content) => content,
): AsyncGenerator<string> {
  yield [
    `# ${headingText(conversation.title)}`,
    '',
    `_Exported from Parley · started ${conversation.createdAt}_`,
    '',
  ].join('\n');
  for await (const page of pages)
    if (page.length > 0) yield page.map((m) => `\n${markdownOf(m, asText)}`).join('');
}

/** JSON text of `value` as `JSON.stringify(value, null, 2)` writes it `depth` levels down. */
const nested = (value: unknown, depth: number) =>
  JSON.stringify(value, null, 2).replaceAll('\n', `\n${'  '.repeat(depth)}`);

/**
 * The conversation as the JSON document `JSON.stringify({ conversation, messages, exportedAt },
 * null, 2)` would write, a piece per page of messages, so that no more than a page is ever held.
 */
export async function* jsonExport(
  conversation: ExportedConversation,
  pages: MessagePages,
  exportedAt: string,
): AsyncGenerator<string> {
  yield `{\n  "conversation": ${nested(conversation, 1)},\n  "messages": [`;
  let any = false;
  for await (const page of pages) {
    if (page.length === 0) continue;
    yield page.map((m, i) => `${any || i > 0 ? ',' : ''}\n    ${nested(m, 2)}`).join('');
    any = true;
  }
  yield `${any ? '\n  ' : ''}],\n  "exportedAt": ${JSON.stringify(exportedAt)}\n}`;
}
