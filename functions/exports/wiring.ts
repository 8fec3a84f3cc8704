import { postgresMessages } from '#chat/adapters/postgres-message-repository';
import type { MessageRepository } from '#chat/ports/message-repository';
import { makeExportConversation } from '#chat/use-cases/export-conversation';
import type { AuditLog } from '#shared/audit/audit-log';
import { postgresAuditLog } from '#shared/audit/postgres-audit-log';
import { getSql } from '#shared/db/sql-database';
import { logger } from '#shared/powertools';
import { postgresDownloadSlots } from './adapters/postgres-download-slots';
import { DOWNLOADS_IN_FLIGHT_PER_OWNER } from './domain/downloads-in-flight';
import type { DownloadSlots } from './ports/download-slots';
import { inlineRawHtmlAsText, rawHtmlAsText } from './raw-html';

/**
 * How long a download's slot lasts at most: the function's timeout (the streaming integration's
 * 5 minutes, lib/stacks/api-stack.ts) and a margin, so a slot whose instance died is free again
 * once its download cannot be running any more.
 */
const DOWNLOAD_SLOT_SECONDS = 5 * 60 + 30;

/**
 * The exports group's use case on PostgreSQL (built on the first request). The downloads in
 * flight are counted there too, not in the cache: the bound must hold while the cache is down.
 */
export function exportDeps() {
  const db = getSql();
  return exportDepsOn({
    messages: postgresMessages(db),
    audit: postgresAuditLog(db),
    downloadSlots: postgresDownloadSlots(db, {
      perOwner: DOWNLOADS_IN_FLIGHT_PER_OWNER,
      ttlSeconds: DOWNLOAD_SLOT_SECONDS,
      onReleaseError: (error) =>
        logger.warn('download slot not released: it expires by itself', { error: error as Error }),
    }),
  });
}

export type ExportDeps = ReturnType<typeof exportDeps>;

/**
 * The exports group's use case on these ports. A Markdown export is one document of many
 * messages, so it writes each message (and the title) with its raw HTML as text: what one message
 * holds must not change how the ones after it read. JSON keeps every message as stored; both are
 * named after the title as stored.
 */
export function exportDepsOn(ports: {
  readonly messages: MessageRepository;
  readonly audit: AuditLog;
  readonly downloadSlots: DownloadSlots;
}) {
  const exportConversation = makeExportConversation({
    messages: ports.messages,
    audit: ports.audit,
    markdownText: { title: inlineRawHtmlAsText, content: rawHtmlAsText },
  });
  return { exportConversation, downloadSlots: ports.downloadSlots };
}
