/**
 * Cache keys read by one function group and dropped by another: one place, so a writer forgets
 * exactly what a reader keeps.
 */

/** A user's token use this month and their quota (chat reads it before every message). */
export const monthlyUsageKey = (userId: string, now: Date): string =>
  `usage:${userId}:${now.toISOString().slice(0, 7)}`;

/**
 * How many times a user's usage or quota changed this month (monthly-usage.ts): an entry of
 * `monthlyUsageKey` is current only when written at this version or later.
 */
export const monthlyUsageVersionKey = (userId: string, now: Date): string =>
  `usage-version:${userId}:${now.toISOString().slice(0, 7)}`;

/**
 * A user's profile as `/api/me` shows it: e-mail, name, role, status, MFA and their own quota
 * (dropped by the admin group when it changes the user).
 */
export const profileKey = (userId: string): string => `profile:${userId}`;

/** The role of a machine client's service account (the API reads it on each of its requests). */
export const serviceRoleKey = (clientId: string): string => `service-role:${clientId}`;
