import { ConversationNotFoundError } from '#conversations/domain/conversation';
import type { Caller } from '#shared/domain/caller';
import { exportFileName, toMarkdown, type ExportFormat } from '../domain/export';
import type { MessageRepository } from '../ports/message-repository';

export interface ExportFile {
  readonly fileName: string;
  readonly contentType: string;
  readonly content: string;
}

/** The caller's conversation as a download: Markdown to read, or JSON to process. */
export const makeExportConversation =
  (deps: { messages: MessageRepository; now?: () => Date }) =>
  async (caller: Caller, conversationId: string, format: ExportFormat): Promise<ExportFile> => {
    const exported = await deps.messages.exportConversation(caller.userId, conversationId);
    if (!exported) throw new ConversationNotFoundError();
    const fileName = exportFileName(exported.conversation.title, format);
    if (format === 'markdown')
      return { fileName, contentType: 'text/markdown; charset=utf-8', content: toMarkdown(exported) };
    const exportedAt = (deps.now?.() ?? new Date()).toISOString();
    return {
      fileName,
      contentType: 'application/json; charset=utf-8',
      content: JSON.stringify({ ...exported, exportedAt }, null, 2),
    };
  };
