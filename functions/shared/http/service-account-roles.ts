import { auditInsert } from '../audit/postgres-audit-log';
import type { Cache } from '../cache/cache';
import { serviceRoleKey } from '../cache/keys';
import { first, sql, type Queryable } from '../db/sql';
import { isRole } from '../domain/roles';
import type { ServiceAccountRoles } from './auth';

/**
 * Short: a role changed outside the admin API shows within a minute. The admin API writes the
 * entry itself after its change commits. A machine client's tokens are not revoked (its role is
 * read on every request instead): disabled, it gets 403 at once; enabled again, its tokens from
 * before work again until they expire.
 */
export const SERVICE_ROLE_TTL_SECONDS = 60;

/** An active service account without a role, or no active service account at all. */
const NONE = '-';

/** What an admin sees for a machine client registered by its first request. */
export const REGISTERED_DISPLAY_NAME = 'Machine client';

/**
 * Registers a machine client at its first request: a service account without a role (so every
 * route still answers 403 until an admin gives it one in the console), and its audit event, in one
 * statement. Only clients of the pool's own app clients get this far (the token check allows
 * COGNITO_CLIENT_IDS alone), so the rows it can add are few. A row already there under the id (a
 * person, a disabled account, a concurrent first request) is left alone, and nothing is audited.
 */
async function register(db: Queryable, clientId: string, requestId: string | undefined): Promise<void> {
  const details = { after: { kind: 'service', role: null, status: 'active' } };
  await db.query(sql`
    with registered as (
      insert into users (id, email, display_name, kind)
      values (${clientId}, ${clientId}, ${REGISTERED_DISPLAY_NAME}, 'service')
      on conflict do nothing
      returning id
    )
    ${auditInsert(
      // The client registers itself; the address and user agent are the request's.
      {
        actorId: sql`id`,
        action: 'service-account.registered',
        targetType: 'user',
        targetId: sql`id`,
        requestId,
        details,
      },
      sql`registered`,
    )}`);
}

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
    async roleOf(clientId, requestId) {
      const key = serviceRoleKey(clientId);
      const cached = await cache()
        .get(key)
        .catch(() => null);
      metrics.cacheLookup('service-role', cached !== null);
      if (cached !== null) return isRole(cached) ? cached : null;
      const row = await accountOf(db(), clientId);
      if (!row) await register(db(), clientId, requestId);
      const role = roleOfRow(row);
      // Only where nothing is: an admin change that committed meanwhile wrote its own value
      // (refreshServiceRole), which one read before it must not replace.
      await cache()
        .set(key, role ?? NONE, SERVICE_ROLE_TTL_SECONDS, { onlyIfAbsent: true })
        .catch(() => undefined);
      return role;
    },
  };
}

type Row = { role: string | null; kind: string; status: string } | undefined;

/** The account's row as far as its role goes; undefined when there is none. */
const accountOf = (db: Queryable, id: string): Promise<Row> =>
  first<NonNullable<Row>>(db, sql`select role, kind, status from users where id = ${id}`);

const roleOfRow = (row: Row) =>
  row?.kind === 'service' && row.status === 'active' && isRole(row.role) ? row.role : null;

/**
 * After an admin change committed: the account's role read again and written to the cache over
 * whatever is there (a person's id caches "none"), so a request that read the row before the
 * commit cannot cache the old role for the entry's minute.
 */
export async function refreshServiceRole(db: Queryable, cache: Cache, id: string): Promise<void> {
  await cache
    .set(serviceRoleKey(id), roleOfRow(await accountOf(db, id)) ?? NONE, SERVICE_ROLE_TTL_SECONDS)
    .catch(() => undefined);
}
