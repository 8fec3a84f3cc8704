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

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, quotes doubled.
 * Text a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return:
 * OWASP's "CSV injection") gets a leading apostrophe, so it opens as the text it is. The audit
 * trail holds what outsiders typed (user names of failed sign-ins, user agents).
 */
export function csvField(value: string | null): string {
  if (value === null) return '';
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The events as a CSV file's text: a byte-order mark (spreadsheets then read UTF-8), CRLF lines. */
export function auditCsv(events: readonly AuditEvent[]): string {
  const rows = events.map((event) =>
    [
      event.occurredAt,
      event.actorId,
      event.action,
      event.targetType,
      event.targetId,
      event.requestId,
      event.sourceIp,
      event.userAgent,
      Object.keys(event.details).length > 0 ? JSON.stringify(event.details) : null,
    ]
      .map(csvField)
      .join(','),
  );
  return `\uFEFF${[AUDIT_CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
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
