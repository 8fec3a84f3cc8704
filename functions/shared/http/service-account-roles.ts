import type { Cache } from '../cache/cache';
import { serviceRoleKey } from '../cache/keys';
import { first, sql, type Queryable } from '../db/sql';
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
  db: () => Queryable,
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
      const row = await first<{ role: string }>(
        db(),
        sql`select role from users where id = ${clientId} and kind = 'service' and status = 'active'`,
      );
      const role = row && isRole(row.role) ? row.role : null;
      await cache()
        .set(key, role ?? NONE, SERVICE_ROLE_TTL_SECONDS)
        .catch(() => undefined);
      return role;
    },
  };
}
