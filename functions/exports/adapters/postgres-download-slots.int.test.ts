import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ProfileNotFoundError } from '#shared/errors';
import type { Queryable, SqlDatabase } from '#shared/db/sql';
import { createTestUser } from '#test/support/database';
import { repositoryDrivers } from '#test/support/repository-drivers';
import { postgresDownloadSlots } from './postgres-download-slots';

const { pgDb, drivers } = repositoryDrivers();

const PER_OWNER = 3;

/** The owner's slots as stored, live ones only (not expired), by slot number. */
async function liveSlotsOf(ownerId: string): Promise<number[]> {
  const rows = await pgDb
    .selectFrom('download_slots')
    .select('slot')
    .where('owner_id', '=', ownerId)
    .where('expires_at', '>', sql<Date>`now()`)
    .orderBy('slot')
    .execute();
  return rows.map((row) => row.slot);
}

/** The download holding the slot died: its slot is past its expiry, never released. */
async function expire(ownerId: string, slot: number): Promise<void> {
  await pgDb
    .updateTable('download_slots')
    .set({ expires_at: sql<Date>`now() - interval '1 second'` })
    .where('owner_id', '=', ownerId)
    .where('slot', '=', slot)
    .execute();
}

/** The database, failing every statement while `failing()` says so. */
function failingWhile(database: SqlDatabase, failing: () => boolean): Queryable {
  return {
    query: (statement) =>
      failing() ? Promise.reject(new Error('database unavailable')) : database.query(statement),
  };
}

describe.each(drivers)('postgresDownloadSlots on %s', (_driver, database) => {
  const setUp = (db: Queryable = database()) => {
    const releaseErrors: unknown[] = [];
    const slots = postgresDownloadSlots(db, {
      perOwner: PER_OWNER,
      ttlSeconds: 60,
      onReleaseError: (error) => releaseErrors.push(error),
    });
    return { slots, releaseErrors };
  };

  it('gives an owner up to perOwner slots, then none', async () => {
    // Prepare
    const { slots } = setUp();
    const ada = await createTestUser(pgDb);

    // Act
    const taken = [];
    for (let i = 0; i < PER_OWNER + 1; i += 1) taken.push(await slots.take(ada.id));

    // Assess
    expect(slots.perOwner).toBe(PER_OWNER);
    expect(taken.slice(0, PER_OWNER).every((release) => typeof release === 'function')).toBe(true);
    expect(taken[PER_OWNER]).toBeUndefined();
    expect(await liveSlotsOf(ada.id)).toEqual([0, 1, 2]);
  });

  it('gives concurrent takes exactly perOwner distinct slots', async () => {
    // Prepare
    const { slots } = setUp();
    const ada = await createTestUser(pgDb);

    // Act: twice as many downloads as slots, all at once
    const taken = await Promise.all(Array.from({ length: 2 * PER_OWNER }, () => slots.take(ada.id)));

    // Assess: as many held as there are slots (no two on one slot), the others refused
    expect(taken.filter((release) => release !== undefined)).toHaveLength(PER_OWNER);
    expect(await liveSlotsOf(ada.id)).toEqual([0, 1, 2]);
  });

  it('gives a slot back once released', async () => {
    // Prepare
    const { slots } = setUp();
    const ada = await createTestUser(pgDb);
    const first = await slots.take(ada.id);
    await slots.take(ada.id);
    await slots.take(ada.id);

    // Act
    await first?.();

    // Assess
    expect(await liveSlotsOf(ada.id)).toEqual([1, 2]);
    expect(await slots.take(ada.id)).toBeTypeOf('function');
    expect(await slots.take(ada.id)).toBeUndefined();
  });

  it('takes a slot again once it expired (its download died without releasing it)', async () => {
    // Prepare
    const { slots } = setUp();
    const ada = await createTestUser(pgDb);
    for (let i = 0; i < PER_OWNER; i += 1) await slots.take(ada.id);
    await expire(ada.id, 1);

    // Act
    const again = await slots.take(ada.id);

    // Assess
    expect(again).toBeTypeOf('function');
    expect(await liveSlotsOf(ada.id)).toEqual([0, 1, 2]);
    expect(await slots.take(ada.id)).toBeUndefined();
  });

  it('leaves a slot alone that expired and another download took, when the first releases it', async () => {
    // Prepare: the first download's slot expires and a second one takes it
    const { slots } = setUp();
    const ada = await createTestUser(pgDb);
    const late = await slots.take(ada.id);
    await expire(ada.id, 0);
    await slots.take(ada.id);
    await slots.take(ada.id);
    await slots.take(ada.id);

    // Act
    await late?.();

    // Assess: the second download still holds it
    expect(await liveSlotsOf(ada.id)).toEqual([0, 1, 2]);
    expect(await slots.take(ada.id)).toBeUndefined();
  });

  it("counts each owner's slots apart", async () => {
    // Prepare
    const { slots } = setUp();
    const ada = await createTestUser(pgDb);
    const bob = await createTestUser(pgDb);
    for (let i = 0; i < PER_OWNER; i += 1) await slots.take(ada.id);

    // Act
    const bobs = await slots.take(bob.id);

    // Assess
    expect(bobs).toBeTypeOf('function');
    expect(await slots.take(ada.id)).toBeUndefined();
    expect(await liveSlotsOf(bob.id)).toEqual([0]);
  });

  it("goes with the person's row when they are erased", async () => {
    // Prepare
    const { slots } = setUp();
    const ada = await createTestUser(pgDb);
    await slots.take(ada.id);

    // Act
    await pgDb.deleteFrom('users').where('id', '=', ada.id).execute();

    // Assess
    const left = await pgDb
      .selectFrom('download_slots')
      .select('slot')
      .where('owner_id', '=', ada.id)
      .execute();
    expect(left).toEqual([]);
  });

  it('answers a caller without a users row 404 (no profile yet), not 500', async () => {
    const { slots } = setUp();

    await expect(slots.take(`no-row-${crypto.randomUUID()}`)).rejects.toBeInstanceOf(ProfileNotFoundError);
  });

  it('lets a database error on take through, so the download is refused rather than unbounded', async () => {
    // Prepare
    const { slots } = setUp(failingWhile(database(), () => true));
    const ada = await createTestUser(pgDb);

    // Act / Assess
    await expect(slots.take(ada.id)).rejects.toThrow('database unavailable');
  });

  it('reports a database error on release and resolves: the slot expires by itself', async () => {
    // Prepare
    let failing = false;
    const { slots, releaseErrors } = setUp(failingWhile(database(), () => failing));
    const ada = await createTestUser(pgDb);
    const release = await slots.take(ada.id);
    failing = true;

    // Act
    await release?.();

    // Assess
    expect(releaseErrors).toHaveLength(1);
    expect(await liveSlotsOf(ada.id)).toEqual([0]);
  });
});
