import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Role } from '#shared/domain/roles';
import type { IdentityProvider } from '#admin/ports/identity-provider';
import { call, setUpApiEnvironment, type CallInput } from '../support/api';
import { signedInPerson, testDatabase } from '../support/database';
import { fakeIdentityProvider } from '../support/fakes/admin';

/*
 * Two admins changing one user at once, through the API on the real PostgreSQL: each change
 * waits for the other (the row is locked until commit), so none is lost, each writes its own
 * audit event, and Cognito (a hand-written fake, the edge these tests cannot run) ends as the
 * database says.
 */
const issuer = setUpApiEnvironment();
const { handler } = await import('#admin/lambda');
const { setAdminDependencies } = await import('#admin/wiring');
const db = testDatabase();

/** A unique marker for this run's rows: test files share one database. */
const run = randomBytes(4).toString('hex');

const idp = fakeIdentityProvider();
/**
 * Calls to hold back, by their `calls` text (`addToGroup <email> auditors`), until released (or
 * failed, as Cognito can fail a call).
 */
const held = new Map<string, Promise<void>>();
/** What each held call was waiting for, to say when it started. */
const started = new Map<string, () => void>();
const slow = <K extends keyof IdentityProvider>(name: K): IdentityProvider[K] =>
  (async (...args: unknown[]) => {
    const key = [name, ...args].join(' ');
    started.get(key)?.();
    await held.get(key);
    return (idp.provider[name] as (...a: unknown[]) => Promise<unknown>)(...args);
  }) as IdentityProvider[K];
const provider: IdentityProvider = {
  ...idp.provider,
  addToGroup: slow('addToGroup'),
  removeFromGroup: slow('removeFromGroup'),
  signOut: slow('signOut'),
};
setAdminDependencies({ identity: () => provider });

/**
 * Holds the call back until `release` (then it runs) or `fail` (then it throws, as Cognito would);
 * `reached` settles when the call starts.
 */
function hold(key: string): { release(): void; fail(): void; reached: Promise<void> } {
  let release: () => void = () => undefined;
  let fail: () => void = () => undefined;
  held.set(
    key,
    new Promise<void>((resolve, reject) => {
      release = resolve;
      fail = () => reject(new Error(`Cognito failed ${key}`));
    }),
  );
  const reached = new Promise<void>((resolve) => started.set(key, resolve));
  return { release: () => release(), fail: () => fail(), reached };
}

async function person(role: Role | null = 'members') {
  const id = randomUUID();
  const signedIn = await signedInPerson(db, issuer, role, { id, email: `cc-${run}-${id}@example.test` });
  idp.add(signedIn.user.email, { id: signedIn.user.id, role });
  return signedIn;
}

let first: Awaited<ReturnType<typeof person>>;
let second: Awaited<ReturnType<typeof person>>;

beforeAll(async () => {
  first = await person('admins');
  second = await person('admins');
});
beforeEach(() => {
  held.clear();
  started.clear();
  idp.calls.length = 0;
});
afterAll(async () => {
  await db.destroy();
});

/**
 * Until a session of the test database waits for a lock (the second request, queued behind the
 * first's rows), at most 5 s: the first is released only once the second is there.
 */
async function waitingForALock(): Promise<void> {
  for (let tries = 0; tries < 100; tries += 1) {
    const { rows } = await sql<{ waiting: number }>`
      select cast(count(*) as integer) as waiting from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
    if ((rows[0]?.waiting ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the second request never waited for the first one’s lock');
}

const as = (token: string, input: Omit<CallInput, 'token'>) => call(handler, { ...input, token });
const patch = (token: string, id: string, body: unknown) =>
  as(token, { method: 'PATCH', path: `/api/admin/users/${id}`, body });

const row = (id: string) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
const actions = async (id: string) =>
  (
    await db
      .selectFrom('audit_events')
      .select(['action', 'actor_id'])
      .where('target_id', '=', id)
      .orderBy('occurred_at')
      .execute()
  ).map((e) => `${e.action} by ${e.actor_id === first.user.id ? 'first' : 'second'}`);
const groupsOf = (email: string) => [...(idp.users.get(email)?.groups ?? [])].sort();

describe('two admins changing one user at once', () => {
  it('keeps both a role change and a quota change, each audited once, Cognito as the database', async () => {
    // Prepare: the first admin's change waits inside its transaction, in Cognito
    const target = await person('members');
    const cognito = hold(`addToGroup ${target.user.email} auditors`);

    // Act: the second admin changes the quota meanwhile
    const roleChange = patch(first.token, target.user.id, { role: 'auditors' });
    await cognito.reached;
    const quotaChange = patch(second.token, target.user.id, { monthlyTokens: 4_321 });
    await waitingForALock();
    cognito.release();
    const [byFirst, bySecond] = await Promise.all([roleChange, quotaChange]);

    // Assess
    expect([byFirst.status, bySecond.status]).toEqual([200, 200]);
    expect(bySecond.body).toMatchObject({ role: 'auditors', monthlyTokens: 4_321, quotaIsDefault: false });
    expect(await row(target.user.id)).toMatchObject({ role: 'auditors', monthly_token_quota: 4_321 });
    expect(await actions(target.user.id)).toEqual([
      'user.role-change by first',
      'user.quota-change by second',
    ]);
    expect(groupsOf(target.user.email)).toEqual(['auditors']);
  });

  it('applies two role changes one after the other: the database and Cognito agree on the second', async () => {
    const target = await person('members');
    const cognito = hold(`addToGroup ${target.user.email} auditors`);

    const toAuditors = patch(first.token, target.user.id, { role: 'auditors' });
    await cognito.reached;
    const toAdmins = patch(second.token, target.user.id, { role: 'admins' });
    await waitingForALock();
    cognito.release();
    const [byFirst, bySecond] = await Promise.all([toAuditors, toAdmins]);

    expect([byFirst.status, bySecond.status]).toEqual([200, 200]);
    expect((await row(target.user.id))?.role).toBe('admins');
    expect(groupsOf(target.user.email)).toEqual(['admins']);
    expect(await actions(target.user.id)).toEqual([
      'user.role-change by first',
      'user.role-change by second',
    ]);
  });

  it('refuses an admin whom the other admin disabled meanwhile: they cannot disable each other at once', async () => {
    // Prepare: two admins of their own (the others serve the other tests)
    const ann = await person('admins');
    const bob = await person('admins');
    const cognito = hold(`signOut ${bob.user.email}`);

    // Act: Ann disables Bob; while that waits for Cognito, Bob disables Ann
    const annDisablesBob = patch(ann.token, bob.user.id, { status: 'disabled' });
    await cognito.reached;
    const bobDisablesAnn = patch(bob.token, ann.user.id, { status: 'disabled' });
    await waitingForALock();
    cognito.release();
    const [byAnn, byBob] = await Promise.all([annDisablesBob, bobDisablesAnn]);

    // Assess: Bob was no longer an admin when his change got its turn; Ann stays, unaudited
    expect([byAnn.status, byBob.status]).toEqual([200, 403]);
    expect((await row(ann.user.id))?.status).toBe('active');
    expect((await row(bob.user.id))?.status).toBe('disabled');
    expect(await actions(ann.user.id)).toEqual([]);
  });

  it('refuses an erase that waited for a sign-out (409), and erases nothing', async () => {
    const target = await person('members');
    await db
      .updateTable('users')
      .set({ status: 'disabled', tokens_valid_after: new Date(Date.now() - 2 * 3_600_000) })
      .where('id', '=', target.user.id)
      .execute();
    // The sign-out holds the row while it waits for Cognito; the erase comes meanwhile.
    const cognito = hold(`signOut ${target.user.email}`);
    const signOut = as(first.token, { method: 'POST', path: `/api/admin/users/${target.user.id}/sign-out` });
    await cognito.reached;
    const erase = as(second.token, { method: 'DELETE', path: `/api/admin/users/${target.user.id}` });
    await waitingForALock();
    cognito.release();
    const [signedOut, erased] = await Promise.all([signOut, erase]);

    // The sign-out moved the time from which they can be erased: the erase that waited for it is
    // refused, and nothing of theirs goes.
    expect([signedOut.status, erased.status]).toEqual([204, 409]);
    expect(await row(target.user.id)).toBeDefined();
    expect(idp.users.has(target.user.email)).toBe(true);
    expect(await actions(target.user.id)).toEqual(['user.sign-out by first']);
  });

  it('puts Cognito back before the other admin reads the user, when a change fails half way in Cognito', async () => {
    // Prepare: the first admin's role change has taken the user out of members in Cognito when
    // adding them to auditors fails; putting them back in members is slow
    const target = await person('members');
    const cognito = hold(`addToGroup ${target.user.email} auditors`);
    const undo = hold(`addToGroup ${target.user.email} members`);

    // Act: the second admin makes them an admin meanwhile
    const failed = patch(first.token, target.user.id, { role: 'auditors' });
    await cognito.reached;
    const toAdmins = patch(second.token, target.user.id, { role: 'admins' });
    await waitingForALock();
    cognito.fail();
    await undo.reached;
    // The undo is under way: the second change must wait for it, not run beside it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    undo.release();
    const [byFirst, bySecond] = await Promise.all([failed, toAdmins]);

    // Assess: the first failed and left nothing; the second holds, in the database and in Cognito
    expect([byFirst.status, bySecond.status]).toEqual([500, 200]);
    expect((await row(target.user.id))?.role).toBe('admins');
    expect(groupsOf(target.user.email)).toEqual(['admins']);
    expect(await actions(target.user.id)).toEqual(['user.role-change by second']);
  });
});
