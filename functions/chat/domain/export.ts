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

/**
 * The Markdown of one message: its heading, its text as written, and why it failed or that it was
 * stopped, if so: a reader of the file must not take a cut reply for a whole one.
 */
function markdownOf(message: Message): string {
  const who = message.role === 'user' ? 'You' : `Assistant${message.model ? ` (${message.model})` : ''}`;
  const lines = [`## ${who} · ${message.createdAt}`, '', message.content || '_(no text)_', ''];
  if (message.status === 'failed')
    lines.push(`> This reply failed: ${message.error ?? 'unknown reason'}`, '');
  else if (message.stopped) lines.push("> Stopped before the end, at its author's request.", '');
  return lines.join('\n');
}

/**
 * The conversation as a Markdown document, a piece per page of messages, so that a long
 * conversation is written out as it is read: a heading per message, the text as written.
 */
export async function* markdownExport(
  conversation: ExportedConversation,
  pages: MessagePages,
): AsyncGenerator<string> {
  yield [
    `# ${conversation.title}`,
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
