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
 * messages, so it writes each message (and the title) with its raw HTML as text: what one message
 * holds must not change how the ones after it read. JSON keeps every message as stored; both are
 * named after the title as stored.
 */
export function exportDepsOn(ports: { readonly messages: MessageRepository; readonly audit: AuditLog }) {
  const exportConversation = makeExportConversation({
    ...ports,
    markdownText: { title: inlineRawHtmlAsText, content: rawHtmlAsText },
  });
  return { exportConversation };
}
