import type { UsageRow } from '@/features/admin/api/get-usage';

/**
 * A usage report's row as the page names it: the day, the person's e-mail, or "Erased users" for
 * the line of every erased person's usage (kept after the erasure, without them).
 */
export function usageRowLabel(row: Pick<UsageRow, 'key' | 'email' | 'erased'>): string {
  if (row.erased) return 'Erased users';
  return row.email ?? row.key;
}
