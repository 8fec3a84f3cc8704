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

/** A file name from the title: letters, digits and dashes only, never empty. */
export function exportFileName(title: string, format: ExportFormat): string {
  const base =
    title
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .replace(/[\s_]+/g, '-')
      .toLowerCase()
      .slice(0, 60)
      .replace(/-+$/, '') || 'conversation';
  return `${base}.${format === 'markdown' ? 'md' : 'json'}`;
}

/** The messages oldest first, a page at a time (one statement each), as the export reads them. */
export type MessagePages = AsyncIterable<readonly Message[]>;

/** A fenced code block's opening run: its character, its length and the column it starts at. */
interface Fence {
  readonly char: '`' | '~';
  readonly length: number;
  readonly column: number;
}

/**
 * The fenced code block `text` leaves open at the top level of the document, if any. In CommonMark
 * an unclosed fence runs to the end of the document, so everything written after this message
 * (the stopped note, every later heading) would read as code. A fence inside a list item or a
 * block quote needs nothing: the heading that follows the message ends its container and the
 * fence with it. So the text is read as CommonMark reads blocks, as far as containers and fences
 * go: block quotes, list items and their indent, paragraphs' lazy lines, indented code, thematic
 * breaks and headings (raw HTML blocks are not followed).
 */
export function openFenceAtEnd(text: string): Fence | undefined {
  let containers: Container[] = [];
  let fence: (Fence & { readonly depth: number }) | undefined;
  let paragraph = false;
  for (const raw of text.split(/\r\n|\r|\n/)) {
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
      continue;
    }
    // A fence whose container is not continued ends with it: fences take no lazy lines.
    const inFence = fence !== undefined;
    fence = undefined;
    const all = matched === containers.length;
    // A lazy line: a paragraph goes on, and every container around it, without their markers.
    if (!all && !inFence && paragraph && !blank && !interruptsParagraph(rest)) continue;
    containers = containers.slice(0, matched);
    if (!all || inFence) paragraph = false;
    if (paragraph && SETEXT_UNDERLINE.test(rest)) {
      paragraph = false;
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
      const [, indent = '', run = ''] = opening;
      const char = run.startsWith('~') ? '~' : '`';
      const column = line.length - rest.length + indent.length;
      fence = { char, length: run.length, column, depth: containers.length };
      paragraph = false;
    } else if (rest.trim() === '' || THEMATIC_BREAK.test(rest) || ATX_HEADING.test(rest)) paragraph = false;
    // Indented 4+ columns: code, unless it continues a paragraph.
    else if (indentOf(rest) >= 4 && (opened || !paragraph)) paragraph = false;
    else paragraph = true;
  }
  return fence?.depth === 0 ? { char: fence.char, length: fence.length, column: fence.column } : undefined;
}

/**
 * The Markdown of one message: its heading, its text as written, and why it failed, that it was
 * stopped or that it was still being written, if so: a reader of the file must not take a cut
 * reply for a whole one. A code block
 * the text leaves open (a reply stopped or failed mid-block) is closed, at the column it opened
 * at: were it in a list item after all, a closing fence indented so would still belong to it.
 */
function markdownOf(message: Message): string {
  const who = message.role === 'user' ? 'You' : `Assistant${message.model ? ` (${message.model})` : ''}`;
  const lines = [`## ${who} · ${message.createdAt}`, '', message.content || '_(no text)_'];
  const open = openFenceAtEnd(message.content);
  if (open) lines.push(`${' '.repeat(open.column)}${open.char.repeat(open.length)}`);
  lines.push('');
  if (message.status === 'failed')
    lines.push(`> This reply failed: ${message.error ?? 'unknown reason'}`, '');
  else if (message.stopped) lines.push("> Stopped before the end, at its author's request.", '');
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
 */
export async function* markdownExport(
  conversation: ExportedConversation,
  pages: MessagePages,
): AsyncGenerator<string> {
  yield [
    `# ${headingText(conversation.title)}`,
    '',
    `_Exported from Parley · started ${conversation.createdAt}_`,
    '',
  ].join('\n');
  for await (const page of pages) if (page.length > 0) yield page.map((m) => `\n${markdownOf(m)}`).join('');
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
