import { postgresMessages } from '#chat/adapters/postgres-message-repository';
import type { MessageRepository } from '#chat/ports/message-repository';
import { makeExportConversation } from '#chat/use-cases/export-conversation';
import type { AuditLog } from '#shared/audit/audit-log';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getSql } from '#shared/db/sql-database';
import { inlineRawHtmlAsText, rawHtmlAsText } from './raw-html';

/** The exports group's use case on PostgreSQL (built on the first request). */
export function exportDeps() {
  const db = getSql();
  return exportDepsOn({ messages: postgresMessages(db), audit: postgresAuditLog(db) });
}

export type ExportDeps = ReturnType<typeof exportDeps>;

/**
 * The exports group's use case on these ports. A Markdown export is one document of many
 * messages, so it reads each message (and the title) with its raw HTML as text: what one message
 * holds must not change how the ones after it read. JSON keeps every message as stored.
 */
export function exportDepsOn(ports: { readonly messages: MessageRepository; readonly audit: AuditLog }) {
  const asStored = makeExportConversation(ports);
  const forMarkdown = makeExportConversation({ ...ports, messages: withRawHtmlAsText(ports.messages) });
  const exportConversation: typeof asStored = (caller, conversationId, format, requestId) =>
    (format === 'markdown' ? forMarkdown : asStored)(caller, conversationId, format, requestId);
  return { exportConversation };
}

/** The repository, its exports' title and messages with their raw HTML as text. */
function withRawHtmlAsText(messages: MessageRepository): MessageRepository {
  return {
    ...messages,
    async exportConversation(ownerId, conversationId) {
      const exported = await messages.exportConversation(ownerId, conversationId);
      if (!exported) return undefined;
      const { conversation, pages } = exported;
      return {
        ...exported,
        conversation: { ...conversation, title: inlineRawHtmlAsText(conversation.title) },
        pages: (async function* () {
          for await (const page of pages)
            yield page.map((message) => ({ ...message, content: rawHtmlAsText(message.content) }));
        })(),
      };
    },
  };
}
