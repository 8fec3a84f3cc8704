import type { AdminRole } from '@/features/admin/api/admin-user-schema';
import type { FeedbackRating, FeedbackReason } from '@/features/admin/api/list-feedback';

export const ROLE_LABELS: Record<AdminRole, string> = {
  admins: 'Admin',
  auditors: 'Auditor',
  members: 'Member',
};

export const RATING_LABELS: Record<FeedbackRating, string> = {
  up: 'Thumbs up',
  down: 'Thumbs down',
};

/**
 * The words people chose from when they rated a reply down. A copy of the chat feature's REASONS
 * (features do not import each other): keep the two the same.
 */
export const REASON_LABELS: Record<FeedbackReason, string> = {
  inaccurate: 'Not accurate',
  unhelpful: 'Not helpful',
  incomplete: 'Incomplete',
  harmful: 'Harmful or offensive',
  other: 'Something else',
};

export const numberFormat = new Intl.NumberFormat();
export const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const utcFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/**
 * An instant in UTC, said so: the lists whose day filters are UTC days (audit, feedback) show
 * their times in UTC too, so a row and the day it is filtered by agree wherever the reader is.
 */
export function utcDateTime(iso: string): string {
  return `${utcFormat.format(new Date(iso))} UTC`;
}
