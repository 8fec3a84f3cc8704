import { ConversationNotFoundError } from '#conversations/domain/conversation';
import type { AuditLog } from '#shared/audit/audit-log';
import type { Caller } from '#shared/domain/caller';
import { exportFileName, jsonExport, markdownExport, type ExportFormat } from '../domain/export';
import type { MessageRepository } from '../ports/message-repository';

export interface ExportFile {
  readonly fileName: string;
  readonly contentType: string;
  /** The file's text in order, read from the database only as it is consumed. */
  readonly content: AsyncIterable<string>;
}

/**
 * The caller's conversation as a download: Markdown to read, or JSON to process. Exports are
 * audited (a whole conversation leaving the system), without any of its content. Not found
 * throws before anything is written; the messages are then read page by page as the file is
 * written out, so an export of any length fits in memory and in Lambda's streamed response.
 */
export const makeExportConversation =
  (deps: { messages: MessageRepository; audit: AuditLog; now?: () => Date }) =>
  async (
    caller: Caller,
    conversationId: string,
    format: ExportFormat,
    requestId?: string,
  ): Promise<ExportFile> => {
    const exported = await deps.messages.exportConversation(caller.userId, conversationId);
    if (!exported) throw new ConversationNotFoundError();
    await deps.audit.record({
      actorId: caller.userId,
      action: 'conversation.export',
      targetType: 'conversation',
      targetId: conversationId,
      ...(requestId ? { requestId } : {}),
      details: { format, messages: exported.messageCount },
    });
    const fileName = exportFileName(exported.conversation.title, format);
    if (format === 'markdown')
      return {
        fileName,
        contentType: 'text/markdown; charset=utf-8',
        content: markdownExport(exported.conversation, exported.pages),
      };
    const exportedAt = (deps.now?.() ?? new Date()).toISOString();
    return {
      fileName,
      contentType: 'application/json; charset=utf-8',
      content: jsonExport(exported.conversation, exported.pages, exportedAt),
    };
  };
