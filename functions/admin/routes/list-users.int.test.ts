import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '#shared/domain/roles';
import { call, setUpApiEnvironment, type CallInput } from '#test/support/api';
import { createTestUser, testDatabase } from '#test/support/database';

// The lambda reads its configuration at cold start: set the environment first.
const issuer = setUpApiEnvironment();
const { handler } = await import('#admin/lambda');
const db = testDatabase();

interface Problem {
  status: number;
  errors?: { path: string; message: string }[];
}
interface Page {
  items: { id: string; mfaEnabled: boolean; locked: boolean; lockedUntil: string | null }[];
  nextCursor: string | null;
}

/** A unique marker for this run's users: test files share one database. */
const run = randomBytes(4).toString('hex');
const userIds: string[] = [];
const usernames: string[] = [];

async function person(role: Role, overrides: Parameters<typeof createTestUser>[1] = {}) {
  const id = randomUUID();
  const user = await createTestUser(db, { id, email: `lu-${run}-${id}@example.test`, role, ...overrides });
  userIds.push(id);
  const token = issuer.accessToken({ sub: id, username: user.email, 'cognito:groups': [role] });
  return { user, token };
}

/** Locks the person's sign-in (failed attempts) until `until`. */
async function lockOut(email: string, until: Date) {
  usernames.push(email);
  await db
    .insertInto('sign_in_attempts')
    .values({ username: email, failed_count: 5, last_failed_at: new Date(), locked_until: until })
    .execute();
}

let admin: Awaited<ReturnType<typeof person>>;
beforeAll(async () => {
  admin = await person('admins', { mfa_enabled: true });
});
afterAll(async () => {
  if (usernames.length) await db.deleteFrom('sign_in_attempts').where('username', 'in', usernames).execute();
  if (userIds.length) await db.deleteFrom('users').where('id', 'in', userIds).execute();
  await db.destroy();
});

const list = (token: string | undefined, query: CallInput['query']) =>
  call(handler, { method: 'GET', path: '/api/admin/users', token, query });
const problemPaths = (body: unknown) => ((body as Problem).errors ?? []).map((e) => e.path);

describe('GET /api/admin/users?mfa&locked', () => {
  it('lists who has not set up two-factor, and who is locked out of sign-in now, with the other filters', async () => {
    // Prepare
    const tag = `mfl${run}`;
    const enrolled = await person('members', { display_name: `${tag} enrolled`, mfa_enabled: true });
    const notEnrolled = await person('members', { display_name: `${tag} not enrolled` });
    const lockedOut = await person('members', { display_name: `${tag} locked out` });
    const lockEnded = await person('members', { display_name: `${tag} lock ended` });
    const lockedAuditor = await person('auditors', { display_name: `${tag} locked auditor` });
    await lockOut(lockedOut.user.email, new Date(Date.now() + 600_000));
    await lockOut(lockEnded.user.email, new Date(Date.now() - 60_000));
    await lockOut(lockedAuditor.user.email, new Date(Date.now() + 600_000));
    const ids = async (query: Record<string, string>) => {
      const response = await list(admin.token, { q: tag, ...query });
      expect(response.status).toBe(200);
      return (response.body as Page).items.map((u) => u.id);
    };

    // Act and assess
    expect(await ids({ mfa: 'on' })).toEqual([enrolled.user.id]);
    expect(await ids({ mfa: 'off' })).toEqual([
      lockedAuditor.user.id,
      lockEnded.user.id,
      lockedOut.user.id,
      notEnrolled.user.id,
    ]);
    expect(await ids({ locked: 'true' })).toEqual([lockedAuditor.user.id, lockedOut.user.id]);
    expect(await ids({ locked: 'true', role: 'members', mfa: 'off', status: 'active' })).toEqual([
      lockedOut.user.id,
    ]);
    const locked = (await list(admin.token, { q: tag, locked: 'true', role: 'members' })).body as Page;
    expect(locked.items[0]).toMatchObject({ locked: true, mfaEnabled: false });
    expect(locked.items[0]?.lockedUntil).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('keeps the filter across pages: the cursor of a filtered page leads to the rest that match', async () => {
    const tag = `mfp${run}`;
    for (const n of [1, 2, 3, 4])
      await person('members', { display_name: `${tag} ${n}`, mfa_enabled: n !== 2 });

    const first = await list(admin.token, { q: tag, mfa: 'on', limit: '2' });
    const firstPage = first.body as Page;
    const second = await list(admin.token, {
      q: tag,
      mfa: 'on',
      limit: '2',
      cursor: firstPage.nextCursor ?? '',
    });
    const secondPage = second.body as Page;

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(firstPage.items).toHaveLength(2);
    expect(secondPage.items).toHaveLength(1);
    expect(secondPage.nextCursor).toBeNull();
    const all = [...firstPage.items, ...secondPage.items];
    expect(new Set(all.map((u) => u.id)).size).toBe(3);
    expect(all.every((u) => u.mfaEnabled)).toBe(true);
  });

  it.each([
    [{ mfa: 'yes' }, 'query.mfa'],
    [{ mfa: 'ON' }, 'query.mfa'],
    [{ mfa: '' }, 'query.mfa'],
    [{ mfa: 'on\u0000' }, 'query.mfa'],
    [{ locked: 'false' }, 'query.locked'],
    [{ locked: '1' }, 'query.locked'],
    [{ locked: 'true\u0000' }, 'query.locked'],
    [{ locked: "true' or '1'='1" }, 'query.locked'],
    [{ mfa: 'off', locked: 'yes' }, 'query.locked'],
    [JSON.parse('{"__proto__":"x","mfa":"on"}') as Record<string, string>, 'query'],
    [{ Mfa: 'on' }, 'query'],
  ])('refuses %j with a 400 problem naming %s', async (query, path) => {
    const response = await list(admin.token, query);
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problemPaths(response.body)).toContain(path);
  });

  it('refuses members and auditors (403) and callers without a token (401), filters or not', async () => {
    const member = await person('members');
    const auditor = await person('auditors', { mfa_enabled: true });
    for (const token of [member.token, auditor.token])
      expect((await list(token, { mfa: 'off', locked: 'true' })).status).toBe(403);
    expect((await list(undefined, { mfa: 'off', locked: 'true' })).status).toBe(401);
  });
});
