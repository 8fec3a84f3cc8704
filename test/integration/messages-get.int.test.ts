import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '../support/api';
import { signedInPerson, testDatabase } from '../support/database';

const issuer = setUpApiEnvironment();
const { handler } = await import('../../functions/conversations/lambda');
const db = testDatabase();

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

const person = (role: 'members' | 'admins' | 'auditors' | null = 'members') =>
  signedInPerson(db, issuer, role);

/** A conversation of `ownerId` with a question and its reply (being written unless told). */
async function exchange(ownerId: string, replyStatus: 'streaming' | 'complete' = 'streaming') {
  const conversation = await db
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: 'Followed' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const at = Date.now();
  const [question, reply] = await db
    .insertInto('messages')
    .values([
      {
        conversation_id: conversation.id,
        owner_id: ownerId,
        role: 'user',
        content: 'Hi',
        created_at: new Date(at),
      },
      {
        conversation_id: conversation.id,
        owner_id: ownerId,
        role: 'assistant',
        content: 'Half a rep',
        status: replyStatus,
        model: 'gpt-4o-mini',
        created_at: new Date(at + 1),
      },
    ])
    .returning('id')
    .execute();
  if (!question || !reply) throw new Error('expected two messages');
  return { conversationId: conversation.id, questionId: question.id, replyId: reply.id };
}

const get = (token: string, conversationId: string, messageId: string) =>
  call(handler, {
    method: 'GET',
    path: `/api/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}`,
    token,
  });

let alice: Awaited<ReturnType<typeof person>>;
let bob: Awaited<ReturnType<typeof person>>;

beforeAll(async () => {
  alice = await person();
  bob = await person();
});
afterAll(() => db.destroy());

describe('GET /api/conversations/{id}/messages/{messageId}', () => {
  it('answers the owner one message as the list shows it, the reply being written and then ended', async () => {
    // Prepare
    const { conversationId, questionId, replyId } = await exchange(alice.user.id);

    // Act
    const writing = await get(alice.token, conversationId, replyId);
    await db
      .updateTable('messages')
      .set({ content: 'Half a reply, whole now.', status: 'complete' })
      .where('id', '=', replyId)
      .execute();
    const ended = await get(alice.token, conversationId, replyId);
    const question = await get(alice.token, conversationId, questionId);
    const listed = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${conversationId}/messages`,
      token: alice.token,
    });

    // Assess
    expect(writing.status).toBe(200);
    expect(writing.body).toMatchObject({
      id: replyId,
      role: 'assistant',
      content: 'Half a rep',
      status: 'streaming',
    });
    expect(ended.body).toMatchObject({
      content: 'Half a reply, whole now.',
      status: 'complete',
      feedback: null,
    });
    expect(question.body).toMatchObject({ id: questionId, role: 'user', content: 'Hi', feedback: null });
    expect((listed.body as { items: unknown[] }).items).toEqual([question.body, ended.body]);
    expect(ended.headers['cache-control']).toContain('no-store');
  });

  it('answers 404, never 403, for another member’s message, one of another conversation and an unknown id', async () => {
    const mine = await exchange(alice.user.id);
    const theirs = await exchange(bob.user.id);

    const answers = await Promise.all([
      get(alice.token, theirs.conversationId, theirs.replyId),
      get(alice.token, mine.conversationId, theirs.replyId),
      get(alice.token, theirs.conversationId, mine.replyId),
      get(alice.token, mine.conversationId, randomUUID()),
      get(alice.token, randomUUID(), mine.replyId),
    ]);

    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toBe('application/problem+json');
    }
    expect((answers[1]?.body as Problem).detail).toBe('No message of yours by this id in this conversation.');
  });

  it('answers 404 once the conversation is deleted (in the bin), as the list does', async () => {
    const { conversationId, replyId } = await exchange(alice.user.id, 'complete');
    await db
      .updateTable('conversations')
      .set({ deleted_at: new Date() })
      .where('id', '=', conversationId)
      .execute();

    expect((await get(alice.token, conversationId, replyId)).status).toBe(404);
  });

  it.each([
    ['SQL injection', "1' OR '1'='1"],
    ['a path traversal', '../../admin/users'],
    ['a NUL byte', `${randomUUID()}\u0000`],
    ['a prototype key', '__proto__'],
    ['an id too long', 'a'.repeat(5_000)],
  ])('answers 400 naming params.messageId for %s', async (_, messageId) => {
    const { conversationId } = await exchange(alice.user.id);

    const answer = await get(alice.token, conversationId, messageId);

    expect(answer.status).toBe(400);
    expect((answer.body as Problem).errors?.map((e) => e.path)).toEqual(['params.messageId']);
  });

  it.each([
    ['a NUL byte in the query', { query: { q: '\u0000' } }, 400],
    ['a huge body', { body: { content: 'x'.repeat(300_000) } }, 413],
  ] as const)('answers %s with a problem, never a 5xx', async (_, hostile, status) => {
    const { conversationId, replyId } = await exchange(alice.user.id);

    const answer = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${conversationId}/messages/${replyId}`,
      token: alice.token,
      ...hostile,
    });

    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/problem+json');
  });

  it('refuses query keys it does not take (prototype keys, a cursor of an impossible date), naming them, as every route without a query does', async () => {
    const { conversationId, replyId } = await exchange(alice.user.id);
    const query = Object.fromEntries([
      ['__proto__', 'x'],
      ['constructor', 'y'],
      [
        'cursor',
        Buffer.from(JSON.stringify({ at: '2026-02-30T00:00:00Z', id: replyId })).toString('base64url'),
      ],
    ]);

    const answer = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${conversationId}/messages/${replyId}`,
      token: alice.token,
      query,
    });

    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect((answer.body as Problem).errors).toEqual([
      {
        path: 'query',
        message: 'this route takes no query string: Unrecognized keys: "__proto__", "constructor", "cursor"',
      },
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('answers 400 naming params.id for a conversation id that is no UUID', async () => {
    const answer = await get(alice.token, 'constructor', randomUUID());

    expect(answer.status).toBe(400);
    expect((answer.body as Problem).errors?.map((e) => e.path)).toEqual(['params.id']);
  });

  it('refuses auditors and people in no group (403) and callers without a valid token (401)', async () => {
    const { conversationId, replyId } = await exchange(alice.user.id);
    const auditor = await person('auditors');
    const nobody = await person(null);

    expect((await get(auditor.token, conversationId, replyId)).status).toBe(403);
    expect((await get(nobody.token, conversationId, replyId)).status).toBe(403);
    const anonymous = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${conversationId}/messages/${replyId}`,
    });
    expect(anonymous.status).toBe(401);
  });

  it('lets admins read their own messages', async () => {
    const admin = await person('admins');
    const { conversationId, replyId } = await exchange(admin.user.id);

    expect((await get(admin.token, conversationId, replyId)).status).toBe(200);
  });
});
