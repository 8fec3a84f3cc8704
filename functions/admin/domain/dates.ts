import { isRealInstant } from '#shared/domain/calendar';

/**
 * Calendar dates as the admin views take them (`YYYY-MM-DD`, UTC). The pattern alone lets
 * through 2026-02-30 or month 13, which PostgreSQL refuses with an error (a 500, not a 400).
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

export function isRealDate(value: string): boolean {
  return DATE.test(value) && isRealInstant(`${value}T00:00:00Z`);
}

/** Days from `from` to `to`, both real dates; negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** `now`'s date (UTC) as `YYYY-MM-DD`. */
export function dateOf(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** Usage reports span at most this many days, both ends included (a leap year). */
export const MAX_REPORT_DAYS = 366;
