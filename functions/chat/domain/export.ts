import type { Message } from './message';

export type ExportFormat = 'markdown' | 'json';

export interface ExportedConversation {
  readonly conversation: { readonly id: string; readonly title: string; readonly createdAt: string };
  readonly messages: readonly Message[];
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

/** The conversation as a Markdown document: a heading per message, the text as written. */
export function toMarkdown({ conversation, messages }: ExportedConversation): string {
  const lines = [
    `# ${conversation.title}`,
    '',
    `_Exported from Parley · started ${conversation.createdAt}_`,
    '',
  ];
  for (const message of messages) {
    const who = message.role === 'user' ? 'You' : `Assistant${message.model ? ` (${message.model})` : ''}`;
    lines.push(`## ${who} · ${message.createdAt}`, '', message.content || '_(no text)_', '');
    if (message.status === 'failed')
      lines.push(`> This reply failed: ${message.error ?? 'unknown reason'}`, '');
  }
  return lines.join('\n');
}
