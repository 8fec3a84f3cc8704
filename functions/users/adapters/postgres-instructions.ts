import { first, sql, type Queryable } from '#shared/db/sql';
import type { InstructionsStore } from '../ports/instructions-store';

export function postgresInstructions(db: Queryable): InstructionsStore {
  return {
    async get(userId) {
      const row = await first<{ instructions: string | null }>(
        db,
        sql`select instructions from users where id = ${userId}`,
      );
      return row?.instructions ?? null;
    },

    async set(userId, instructions) {
      const { rowCount } = await db.query(
        sql`update users set instructions = ${instructions}, updated_at = now() where id = ${userId}`,
      );
      return rowCount > 0;
    },
  };
}
