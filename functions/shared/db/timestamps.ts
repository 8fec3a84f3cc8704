import { sql } from 'kysely';

/**
 * PostgreSQL's exact text of a timestamp column, in UTC with microseconds: what clients see and
 * what keyset cursors carry (a JS Date would drop the microseconds and skip or repeat rows).
 */
export const isoText = (column: string) =>
  sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
