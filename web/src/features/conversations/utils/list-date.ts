/**
 * When a conversation was last active, short enough for the sidebar and precise enough to tell
 * two conversations of the same title apart: the time for today, else the day and the time (and
 * the year when it is not this one).
 */
export function listDate(
  iso: string,
  options: { now?: Date; locale?: string; timeZone?: string } = {},
): string {
  const date = new Date(iso);
  const now = options.now ?? new Date();
  const { locale, timeZone } = options;
  const dayOf = (value: Date) =>
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
      value,
    );
  const time = { hour: '2-digit', minute: '2-digit', timeZone } as const;
  if (dayOf(date) === dayOf(now)) return new Intl.DateTimeFormat(locale, time).format(date);
  const sameYear = dayOf(date).slice(0, 4) === dayOf(now).slice(0, 4);
  return new Intl.DateTimeFormat(locale, {
    ...time,
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(date);
}
