import { afterAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '#test/support/api';
import { signedInPerson, testDatabase } from '#test/support/database';

// The cap lowered, so that a person reaches it in a few requests.
const issuer = setUpApiEnvironment({ CONVERSATIONS_MAX_PER_PERSON: '2' });
const { handler } = await import('#conversations/lambda');
const db = testDatabase();

afterAll(async () => {
  await db.destroy();
});

const create = (token: string) =>
  call(handler, { method: 'POST', path: '/api/conversations', token, body: { title: 'One more' } });

/** What a client must be able to rely on in the refusal: nothing of the server's insides. */
function expectLimitProblem(response: Awaited<ReturnType<typeof create>>) {
  expect(response.status).toBe(409);
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.body).toMatchObject({
    type: 'urn:parley:problem:conversation-limit',
    title: 'Too many conversations',
    status: 409,
    detail: 'You have reached the limit of 2 conversations; delete some you no longer need, then try again.',
  });
  expect(response.raw.body).not.toMatch(/\bat \S+:\d+|stack|select|insert|update/i);
}

describe('the cap on live conversations (CONVERSATIONS_MAX_PER_PERSON)', () => {
  it('answers POST /api/conversations past the cap with a conversation-limit problem', async () => {
    // Prepare
    const { user, token } = await signedInPerson(db, issuer);
    for (let i = 0; i < 2; i++) expect((await create(token)).status).toBe(201);

    // Act
    const refused = await create(token);

    // Assess
    expectLimitProblem(refused);
    const stored = await db
      .selectFrom('conversations')
      .select('id')
      .where('owner_id', '=', user.id)
      .execute();
    expect(stored).toHaveLength(2);
  });

  it('answers a restore past the cap likewise, and leaves the conversation deleted and its restore unaudited', async () => {
    // Prepare: one deleted, then two more
    const { token } = await signedInPerson(db, issuer);
    const { id } = (await create(token)).body as { id: string };
    expect((await call(handler, { method: 'DELETE', path: `/api/conversations/${id}`, token })).status).toBe(
      204,
    );
    for (let i = 0; i < 2; i++) expect((await create(token)).status).toBe(201);

    // Act
    const refused = await call(handler, { method: 'POST', path: `/api/conversations/${id}/restore`, token });

    // Assess
    expectLimitProblem(refused);
    const row = await db
      .selectFrom('conversations')
      .select('deleted_at')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    const audit = await db.selectFrom('audit_events').select('action').where('target_id', '=', id).execute();
    expect(audit.map((a) => a.action)).toEqual(['conversation.delete']);
  });
});
