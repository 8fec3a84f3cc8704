import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '../support/api';
import { createTestUser, testDatabase, untilBlockedBy } from '../support/database';

/*
 * One conversation changed by two requests at once (two tabs, a double click): each answer says
 * what happened to it, and the row ends as one of them left it, never as neither or both.
 */
const issuer = setUpApiEnvironment();
const { handler } = await import('#conversations/lambda');
const db = testDatabase();
afterAll(() => db.destroy());

const user = await createTestUser(db, { role: 'members' });
const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });

async function conversation(title: string) {
  const created = await call(handler, { method: 'POST', path: '/api/conversations', token, body: { title } });
  return (created.body as { id: string }).id;
}
const rename = (id: string, title: string) =>
  call(handler, { method: 'PATCH', path: `/api/conversations/${id}`, token, body: { title } });
const remove = (id: string) => call(handler, { method: 'DELETE', path: `/api/conversations/${id}`, token });
const restore = (id: string) =>
  call(handler, { method: 'POST', path: `/api/conversations/${id}/restore`, token });
const row = (id: string) =>
  db
    .selectFrom('conversations')
    .select(['title', 'deleted_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
const auditOf = (id: string) =>
  db.selectFrom('audit_events').select('action').where('target_id', '=', id).orderBy('occurred_at').execute();

/**
 * Runs `request` while another transaction holds the conversation's row, deleted and not yet
 * committed; commits it once the request waits for it. Resolves to the request's answer.
 */
async function whileDeleting<T>(id: string, request: () => Promise<T>): Promise<T> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let pid = 0;
  let changed!: () => void;
  const changedOnce = new Promise<void>((resolve) => (changed = resolve));
  const holder = db.transaction().execute(async (trx) => {
    pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]?.pid ?? 0;
    await trx.updateTable('conversations').set({ deleted_at: new Date() }).where('id', '=', id).execute();
    changed();
    await held;
  });
  await changedOnce;
  const answer = request();
  await untilBlockedBy(db, pid).finally(release);
  await holder;
  return answer;
}

describe('a conversation changed by two requests at once', () => {
  it('refuses a rename that waited for a delete (404), and the title stays as it was', async () => {
    // Prepare
    const id = await conversation('Before');

    // Act: the rename waits for the delete's lock, then finds the conversation deleted
    const renamed = await whileDeleting(id, () => rename(id, 'After'));

    // Assess
    expect(renamed.status).toBe(404);
    expect(await row(id)).toMatchObject({ title: 'Before', deleted_at: expect.any(Date) });
  });

  it('deletes once when deleted twice at once: one 204, one 404, one audit event', async () => {
    // Prepare
    const id = await conversation('Twice');

    // Act
    const answers = await Promise.all([remove(id), remove(id)]);

    // Assess
    expect(answers.map((answer) => answer.status).sort()).toEqual([204, 404]);
    expect(await auditOf(id)).toEqual([{ action: 'conversation.delete' }]);
  });

  it('restores once when restored twice at once: one 200, one 404, one audit event', async () => {
    // Prepare
    const id = await conversation('Twice back');
    expect((await remove(id)).status).toBe(204);

    // Act
    const answers = await Promise.all([restore(id), restore(id)]);

    // Assess
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 404]);
    expect(await auditOf(id)).toEqual([
      { action: 'conversation.delete' },
      { action: 'conversation.restore' },
    ]);
    expect((await row(id)).deleted_at).toBeNull();
  });

  it('answers each of two renames at once with its own title, and keeps one of them whole', async () => {
    // Prepare
    const id = await conversation('Before');

    // Act
    const [first, second] = await Promise.all([rename(id, 'From tab one'), rename(id, 'From tab two')]);
    const after = await call(handler, { method: 'GET', path: `/api/conversations/${id}`, token });

    // Assess: both applied, one after the other; the conversation is as the one applied last
    // answered it (its title with its updatedAt), not a mix of the two
    expect([first.status, second.status]).toEqual([200, 200]);
    const answered = [first.body, second.body] as { title: string }[];
    expect(answered.map((c) => c.title)).toEqual(['From tab one', 'From tab two']);
    expect(answered).toContainEqual(after.body);
  });
});
