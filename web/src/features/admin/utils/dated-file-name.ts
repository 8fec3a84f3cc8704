/** A day as it may stand in a file name (`YYYY-MM-DD`), else undefined. */
const dayOf = (value: string | undefined) => (value && /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : undefined);

/**
 * `parley-<what>-<from>-to-<to>.csv` for a download of the filters' days, the open ends named:
 * `start`, and the day of the download.
 */
export function datedFileName(
  what: string,
  filters: { readonly from?: string; readonly to?: string },
  today: Date,
): string {
  const from = dayOf(filters.from) ?? 'start';
  const to = dayOf(filters.to) ?? today.toISOString().slice(0, 10);
  return `parley-${what}-${from}-to-${to}.csv`;
}
