import { csvText } from '@/lib/csv';
import type { AuditEvent } from '@/features/admin/api/list-audit-events';

/** The columns of an audit download, in order: every field of an event, details as JSON. */
export const AUDIT_CSV_COLUMNS = [
  'occurredAt',
  'actorId',
  'action',
  'targetType',
  'targetId',
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
      event.actorId,
      event.action,
      event.targetType,
      event.targetId,
      event.requestId,
      event.sourceIp,
      event.userAgent,
      Object.keys(event.details).length > 0 ? JSON.stringify(event.details) : null,
    ]),
  );
}

/** `parley-audit-<from>-to-<to>.csv`, the open ends named by the day of the download. */
export function auditFileName(
  filters: { readonly from?: string; readonly to?: string },
  today: Date,
): string {
  const day = today.toISOString().slice(0, 10);
  const safe = (value: string | undefined, fallback: string) =>
    value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : fallback;
  return `parley-audit-${safe(filters.from, 'start')}-to-${safe(filters.to, day)}.csv`;
}
