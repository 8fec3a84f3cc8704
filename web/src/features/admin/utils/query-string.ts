import { ROLES, STATUSES } from '@/features/admin/api/admin-user-schema';
import type { AdminRole } from '@/features/admin/api/admin-user-schema';
import { INACTIVE_DAYS, LOCKED_FILTERS, MFA_FILTERS } from '@/features/admin/api/list-users';
import type { UserFilters } from '@/features/admin/api/list-users';

/**
 * Filters live in the URL (`/admin/users?q=ann&role=members`), so a reload or a shared link shows
 * the same view. Empty values are left out; unknown or malformed ones are dropped on the way in.
 */

export type Filters = Readonly<Record<string, string | undefined>>;

/** `?a=1&b=2` from the non-empty values, trimmed, in the order given; '' when there are none. */
export function toQueryString(filters: Filters): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    const trimmed = value?.trim();
    if (trimmed) params.set(key, trimmed);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The named values of a query string; the rest is ignored. */
export function readFilters<K extends string>(
  search: string,
  keys: readonly K[],
): Partial<Record<K, string>> {
  const params = new URLSearchParams(search);
  const filters: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

/** The value when it is one of `allowed`, else undefined (a hand-edited URL must not reach the API). */
export function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  return allowed.find((candidate) => candidate === value);
}

/** The users page's filters in its URL (`?q&role&status&inactiveDays&mfa&locked`), anything unknown dropped. */
export function readUserFilters(search: string): UserFilters {
  const raw = readFilters(search, ['q', 'role', 'status', 'inactiveDays', 'mfa', 'locked']);
  return {
    q: raw.q,
    role: oneOf(raw.role, ROLES),
    status: oneOf(raw.status, STATUSES),
    inactiveDays: oneOf(raw.inactiveDays, INACTIVE_DAYS),
    mfa: oneOf(raw.mfa, MFA_FILTERS),
    locked: oneOf(raw.locked, LOCKED_FILTERS),
  };
}

/**
 * The users page's filters in words, in the order of its controls ("role Member, two-factor not
 * set up, locked out now"), for the message of an empty list; '' when none is set.
 */
export function describeUserFilters(filters: UserFilters, roleLabel: (role: AdminRole) => string): string {
  const { q, role, status, inactiveDays, mfa, locked } = filters;
  const words = [
    q && `matching “${q}”`,
    role && `role ${roleLabel(role)}`,
    status,
    inactiveDays && `no sign-in for ${inactiveDays} days`,
    mfa && (mfa === 'on' ? 'two-factor set up' : 'two-factor not set up'),
    locked && 'locked out now',
  ];
  return words.filter(Boolean).join(', ');
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` that names a real day, else undefined. */
export function dayOrUndefined(value: string | undefined): string | undefined {
  if (!value || !DAY.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value) ? value : undefined;
}

/** The first of this month to today, in UTC (the API counts days in UTC). */
export function thisMonth(now: Date): { from: string; to: string } {
  const to = now.toISOString().slice(0, 10);
  return { from: `${to.slice(0, 8)}01`, to };
}
