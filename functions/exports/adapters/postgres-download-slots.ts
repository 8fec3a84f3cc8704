import { randomUUID } from 'node:crypto';
import { first, sql, type Queryable } from '#shared/db/sql';
import { sqlStateOf } from '#shared/db/sql-state';
import { ProfileNotFoundError } from '#shared/errors';
import type { DownloadSlots } from '../ports/download-slots';

/*
 * The owner is compared as `cast(… as text)` and the token as `cast(… as uuid)`: the Data API
 * sends strings as varchar, and uuid = varchar has no operator on Aurora.
 */

/**
 * Each owner's slots as rows of download_slots (migration 0026), keyed by (owner_id, slot), so the
 * bound holds whatever the cache does: the cache let every download through while it was down.
 *
 * A take tries slot 0, then 1, … up to `perOwner - 1`, one upsert each, and stops at the first it
 * gets: a slot is ours when the upsert inserted it or found it expired and wrote our token over it.
 * ON CONFLICT decides on the latest committed row, not on the statement's snapshot, and locks it,
 * so two takes at once never both get one slot, and the primary key allows at most `perOwner`
 * rows. One statement over every slot number (insert … select from generate_series) would either
 * claim every free slot, or, limited to the first free one in its snapshot, let two takes at once
 * choose the same number, the loser finding it taken and refusing a download while others were
 * free. Here a take refuses only when each slot was live when it tried it. It costs one statement
 * when nothing of the owner's is in flight, `perOwner` at most; exports are rare (a per-caller
 * budget of 10 a minute).
 *
 * A slot outlives its download by at most `ttlSeconds`: a function that dies mid-download never
 * releases it. Release deletes the row only while it still carries the download's token: a slot
 * that expired and another download took is that download's. A database error on take propagates
 * (the API answers 503 when the database is unavailable): a download is never let through
 * uncounted. One on release is reported and swallowed: the slot then expires by itself.
 */
export function postgresDownloadSlots(
  db: Queryable,
  options: {
    readonly perOwner: number;
    readonly ttlSeconds: number;
    readonly onReleaseError?: (error: unknown) => void;
  },
): DownloadSlots {
  const claim = (ownerId: string, slot: number, token: string) =>
    first<{ slot: number }>(
      db,
      sql`insert into download_slots (owner_id, slot, token, expires_at)
          values (cast(${ownerId} as text), cast(${slot} as smallint), cast(${token} as uuid),
            now() + cast(${options.ttlSeconds} as integer) * interval '1 second')
          on conflict (owner_id, slot) do update
            set token = excluded.token, expires_at = excluded.expires_at
            where download_slots.expires_at <= now()
          returning slot`,
    );

  return {
    perOwner: options.perOwner,
    async take(ownerId) {
      const token = randomUUID();
      for (let slot = 0; slot < options.perOwner; slot += 1) {
        let claimed;
        try {
          claimed = await claim(ownerId, slot, token);
        } catch (error) {
          // The owner's foreign key, the table's only one: no users row (it is written on the
          // person's first GET /api/me), so no conversation of theirs to export either.
          if (sqlStateOf(error) === '23503') throw new ProfileNotFoundError();
          throw error;
        }
        if (!claimed) continue;
        return async () => {
          try {
            await db.query(sql`
              delete from download_slots
              where owner_id = cast(${ownerId} as text) and slot = cast(${slot} as smallint)
                and token = cast(${token} as uuid)`);
          } catch (error) {
            options.onReleaseError?.(error);
          }
        };
      }
      return undefined;
    },
  };
}
