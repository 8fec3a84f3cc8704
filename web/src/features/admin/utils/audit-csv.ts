import { csvText } from '@/lib/csv';
import { datedFileName } from '@/features/admin/utils/dated-file-name';
import type { AuditEvent } from '@/features/admin/api/list-audit-events';

/**
 * The columns of an audit download, in order: every field of an event, details as JSON. An e-mail
 * left empty beside an id: that person was erased since.
 */
export const AUDIT_CSV_COLUMNS = [
  'occurredAt',
  'actorEmail',
  'actorId',
  'action',
  'targetType',
  'targetId',
  'targetEmail',
  'requestId',
  'sourceIp',
  'userAgent',
  'details',
] as const;

/** The events as a CSV file's text: a byte-order mark (spreadsheets then read UTF-8), CRLF lines. */
export function auditCsv(events: readonly AuditEvent[]): string {
  return csvText(
    AUDIT_CSV_COLUMNS,
    events.map((event) => [
      event.occurredAt,
      event.actorEmail,
      event.actorId,
      event.action,
      event.targetType,
      event.targetId,
      event.targetEmail,
      event.requestId,
      event.sourceIp,
      event.userAgent,
      Object.keys(event.details).length > 0 ? JSON.stringify(event.details) : null,
    ]),
  );
}

/** `parley-audit-<from>-to-<to>.csv`, the open ends named by the day of the download. */
export const auditFileName = (
  filters: { readonly from?: string; readonly to?: string },
  today: Date,
): string => datedFileName('audit', filters, today);
