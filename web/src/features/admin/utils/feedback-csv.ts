import { csvText } from '@/lib/csv';
import { datedFileName } from '@/features/admin/utils/dated-file-name';
import type { FeedbackEntry } from '@/features/admin/api/list-feedback';

/**
 * The columns of a feedback download, in order: every field of an entry, when first. Reasons are
 * written as the API names them (`incomplete`), which stay the same when the words on screen change.
 */
export const FEEDBACK_CSV_COLUMNS = [
  'updatedAt',
  'createdAt',
  'userId',
  'email',
  'model',
  'rating',
  'reason',
  'comment',
  'messageId',
] as const;

/**
 * The entries as a CSV file's text: a byte-order mark (spreadsheets then read UTF-8), CRLF lines.
 * Comments are typed by anyone who chats: csvText quotes them and defuses any formula.
 */
export function feedbackCsv(entries: readonly FeedbackEntry[]): string {
  return csvText(
    FEEDBACK_CSV_COLUMNS,
    entries.map((entry) => [
      entry.updatedAt,
      entry.createdAt,
      entry.userId,
      entry.email,
      entry.model,
      entry.rating,
      entry.reason,
      entry.comment,
      entry.messageId,
    ]),
  );
}

/** `parley-feedback-<from>-to-<to>.csv`, the open ends named by the day of the download. */
export const feedbackFileName = (
  filters: { readonly from?: string; readonly to?: string },
  today: Date,
): string => datedFileName('feedback', filters, today);
