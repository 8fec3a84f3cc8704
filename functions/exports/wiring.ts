import { postgresMessages } from '#chat/adapters/postgres-messages';
import { makeExportConversation } from '#chat/use-cases/export-conversation';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getSql } from '#shared/db/sql-database';

/** The exports group's use case on PostgreSQL (built on the first request). */
export function exportDeps() {
  const db = getSql();
  return {
    exportConversation: makeExportConversation({
      messages: postgresMessages(db),
      audit: postgresAuditLog(db),
    }),
  };
}

export type ExportDeps = ReturnType<typeof exportDeps>;
