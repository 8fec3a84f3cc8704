import { ConversationNotFoundError } from '#conversations/domain/conversation';
import type { AuditLog } from '#shared/audit/audit-log';
import type { Caller } from '#shared/domain/caller';
import { exportFileName, jsonExport, markdownExport, type ExportFormat } from '../domain/export';
import type { MessageRepository } from '../ports/message-repository';

export interface ExportFile {
  /** The file's name in ASCII letters, digits and dashes (exportFileName). */
  readonly fileName: string;
  /** The conversation's title as stored, which the file is named after. */
  readonly title: string;
  readonly contentType: string;
  /** The file's text in order, read from the database only as it is consumed. */
  readonly content: AsyncIterable<string>;
}

/**
 * How a Markdown export writes stored text: the title (a heading's text) and each message, once
 * the lines of it that would read as the export's own turns or notes are text (`markdownExport`).
 */
export interface MarkdownText {
  readonly title: (title: string) => string;
  readonly content: (content: string) => string;
}

/**
 * The caller's conversation as a download: Markdown to read, or JSON to process. Exports are
 * audited (a whole conversation leaving the system), without any of its content. Not found
 * throws before anything is written; the messages are then read page by page as the file is
 * written out, so an export of any length fits in memory and in Lambda's streamed response.
 * `markdownText` changes what the Markdown document shows (e.g. raw HTML as text), never the file
 * name: both formats of a conversation are named after its title as stored.
 */
export const makeExportConversation =
  (deps: { messages: MessageRepository; audit: AuditLog; now?: () => Date; markdownText?: MarkdownText }) =>
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
    const { title } = exported.conversation;
    const fileName = exportFileName(title, format);
    if (format === 'markdown') {
      const text = deps.markdownText;
      return {
        fileName,
        title,
        contentType: 'text/markdown; charset=utf-8',
        content: text
          ? markdownExport(
              { ...exported.conversation, title: text.title(title) },
              exported.pages,
              text.content,
            )
          : markdownExport(exported.conversation, exported.pages),
      };
    }
    const exportedAt = (deps.now?.() ?? new Date()).toISOString();
    return {
      fileName,
      title,
      contentType: 'application/json; charset=utf-8',
      content: jsonExport(exported.conversation, exported.pages, exportedAt),
    };
  };
