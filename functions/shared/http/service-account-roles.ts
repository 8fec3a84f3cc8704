import type { Kysely } from 'kysely';
import type { Cache } from '../cache/cache';
import { serviceRoleKey } from '../cache/keys';
import type { Database } from '../db/schema';
import { isRole } from '../domain/roles';
import type { ServiceAccountRoles } from './auth';

/**
 * Short: a role changed outside the admin API shows within a minute. The admin API drops the
 * entry itself, and a role change or disable also revokes the client's tokens.
 */
export const SERVICE_ROLE_TTL_SECONDS = 60;

/** An active service account without a role, or no active service account at all. */
const NONE = '-';

/**
 * A machine client's role (the one an admin gave its service account), which every one of its
 * requests needs, read through the cache: one GET instead of a query. A cache that fails is
 * skipped (the database answers).
 */
export function postgresServiceAccountRoles(
  db: () => Kysely<Database>,
  cache: () => Cache,
  metrics: { cacheLookup(what: 'service-role', hit: boolean): void },
): ServiceAccountRoles {
  return {
    async roleOf(clientId) {
      const key = serviceRoleKey(clientId);
      const cached = await cache()
        .get(key)
        .catch(() => null);
      metrics.cacheLookup('service-role', cached !== null);
      if (cached !== null) return isRole(cached) ? cached : null;
      const row = await db()
        .selectFrom('users')
        .select('role')
        .where('id', '=', clientId)
        .where('kind', '=', 'service')
        .where('status', '=', 'active')
        .executeTakeFirst();
      const role = row?.role ?? null;
      await cache()
        .set(key, role ?? NONE, SERVICE_ROLE_TTL_SECONDS)
        .catch(() => undefined);
      return role;
    },
  };
}
