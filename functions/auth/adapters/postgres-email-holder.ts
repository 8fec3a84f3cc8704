import { first, sql, type Queryable } from '#shared/db/sql';

/**
 * The id of the `users` row that holds this e-mail address, in any case (the unique index on
 * lower(email) serves it); undefined when no row does. The one statement behind each "this
 * address is another user's" answer: the Cognito triggers', the user directory's and the admin
 * invitation's. A module of its own that imports only the query layer, so each of those bundles
 * takes this and nothing else of another group.
 */
export async function emailHolder(db: Queryable, email: string): Promise<string | undefined> {
  const row = await first<{ id: string }>(
    db,
    sql`select id from users where lower(email) = ${email.toLowerCase()}`,
  );
  return row?.id;
}
