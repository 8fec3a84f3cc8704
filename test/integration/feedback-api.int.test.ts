import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '#shared/domain/roles';
import { call, setUpApiEnvironment, type CallInput } from '../support/api';
import { signedInPerson, testDatabase } from '../support/database';

// The lambda modules read their configuration at cold start: set the environment first.
const issuer = setUpApiEnvironment();
const conversations = (await import('#conversations/lambda')).handler;
const admin = (await import('#admin/lambda')).handler;
const db = testDatabase();

interface Problem {
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}
interface Feedback {
  messageId: string;
  rating: 'up' | 'down';
  reason: string | null;
  comment: string | null;
  createdAt: string;
  updatedAt: string;
}
interface Entry extends Feedback {
  userId: string;
  email: string | null;
  model: string | null;
}
interface FeedbackPage {
  items: Entry[];
  nextCursor: string | null;
  totals: { up: number; down: number };
}

/** Replies of this run name a model of their own: the admin list is filtered to it. */
const MODEL = `model-${randomUUID().slice(0, 8)}`;

const person = (role: Role | null = 'members') => signedInPerson(db, issuer, role);

/** A conversation of `ownerId` with a user message and a reply in the given state. */
async function exchange(
  ownerId: string,
  status: 'complete' | 'streaming' | 'failed' = 'complete',
  model = MODEL,
) {
  const conversation = await db
    .insertInto('conversations')
    .values({ owner_id: ownerId, title: 'Feedback' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const question = await db
    .insertInto('messages')
    .values({ conversation_id: conversation.id, owner_id: ownerId, role: 'user', content: 'Why?' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const reply = await db
    .insertInto('messages')
    .values({
      conversation_id: conversation.id,
      owner_id: ownerId,
      role: 'assistant',
      content: 'Because.',
      status,
      model,
      created_at: new Date(Date.now() + 1),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { conversationId: conversation.id, questionId: question.id, replyId: reply.id };
}

const feedbackPath = (conversationId: string, messageId: string) =>
  `/api/conversations/${conversationId}/messages/${messageId}/feedback`;
const give = (token: string, conversationId: string, messageId: string, body: unknown) =>
  call(conversations, { method: 'PUT', path: feedbackPath(conversationId, messageId), token, body });
const withdraw = (token: string, conversationId: string, messageId: string) =>
  call(conversations, { method: 'DELETE', path: feedbackPath(conversationId, messageId), token });
const listFeedback = (token: string, query: Record<string, string> = {}, model = MODEL) =>
  call(admin, { method: 'GET', path: '/api/admin/feedback', token, query: { model, ...query } });
const problemPaths = (body: unknown) => ((body as Problem).errors ?? []).map((e) => e.path);

let alice: Awaited<ReturnType<typeof person>>;
let bob: Awaited<ReturnType<typeof person>>;
let auditor: Awaited<ReturnType<typeof person>>;

beforeAll(async () => {
  alice = await person();
  bob = await person();
  auditor = await person('auditors');
});
afterAll(() => db.destroy());

describe('PUT /api/conversations/{id}/messages/{messageId}/feedback', () => {
  it('keeps a rating, replaces it when given again, and shows it on the listed reply', async () => {
    // Prepare
    const { conversationId, questionId, replyId } = await exchange(alice.user.id);

    // Act
    const up = await give(alice.token, conversationId, replyId, { rating: 'up' });
    const down = await give(alice.token, conversationId, replyId, {
      rating: 'down',
      reason: 'inaccurate',
      comment: '  The date is wrong.  ',
    });
    const listed = await call(conversations, {
      method: 'GET',
      path: `/api/conversations/${conversationId}/messages`,
      token: alice.token,
    });

    // Assess
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ messageId: replyId, rating: 'up', reason: null, comment: null });
    expect(down.status).toBe(200);
    const kept = down.body as Feedback;
    expect(kept).toMatchObject({ rating: 'down', reason: 'inaccurate', comment: 'The date is wrong.' });
    expect(kept.createdAt).toBe((up.body as Feedback).createdAt);
    expect(Date.parse(kept.updatedAt)).toBeGreaterThanOrEqual(Date.parse(kept.createdAt));
    const rows = await db
      .selectFrom('message_feedback')
      .selectAll()
      .where('message_id', '=', replyId)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.owner_id).toBe(alice.user.id);
    // The reply's conversation and model, kept for the admin list (migration 0025).
    expect(rows[0]).toMatchObject({ conversation_id: conversationId, model: MODEL });
    const items = (listed.body as { items: { id: string; feedback: unknown }[] }).items;
    expect(items.find((m) => m.id === questionId)?.feedback).toBeNull();
    expect(items.find((m) => m.id === replyId)?.feedback).toEqual({
      rating: 'down',
      reason: 'inaccurate',
      comment: 'The date is wrong.',
      updatedAt: kept.updatedAt,
    });
  });

  it('stores injection payloads verbatim, as data', async () => {
    const { conversationId, replyId } = await exchange(alice.user.id);
    const comment = `'; drop table messages; -- <script>alert(1)</script> {{7*7}} \${7*7} \u202eRTL`;
    const response = await give(alice.token, conversationId, replyId, {
      rating: 'down',
      reason: 'other',
      comment,
    });
    expect(response.status).toBe(200);
    expect((response.body as Feedback).comment).toBe(comment);
    const row = await db
      .selectFrom('message_feedback')
      .select('comment')
      .where('message_id', '=', replyId)
      .executeTakeFirstOrThrow();
    expect(row.comment).toBe(comment);
  });

  it("answers 404 for another owner's reply, a user message, another conversation's reply and an unknown id", async () => {
    const mine = await exchange(alice.user.id);
    const other = await exchange(alice.user.id);
    const cases: [string, string, string][] = [
      ['another owner', bob.token, mine.replyId],
      ['a user message', alice.token, mine.questionId],
      ['an unknown id', alice.token, randomUUID()],
    ];
    for (const [what, token, messageId] of cases) {
      const response = await give(token, mine.conversationId, messageId, { rating: 'up' });
      expect(response.status, what).toBe(404);
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
    const elsewhere = await give(alice.token, other.conversationId, mine.replyId, { rating: 'up' });
    expect(elsewhere.status).toBe(404);
    const stored = db
      .selectFrom('message_feedback')
      .select('message_id')
      .where('message_id', '=', mine.replyId);
    expect(await stored.execute()).toEqual([]);
  });

  it('answers 404 once the conversation is deleted, and 409 for a reply still streaming or failed', async () => {
    const deleted = await exchange(alice.user.id);
    await db
      .updateTable('conversations')
      .set({ deleted_at: new Date() })
      .where('id', '=', deleted.conversationId)
      .execute();
    expect((await give(alice.token, deleted.conversationId, deleted.replyId, { rating: 'up' })).status).toBe(
      404,
    );
    for (const status of ['streaming', 'failed'] as const) {
      const { conversationId, replyId } = await exchange(alice.user.id, status);
      const response = await give(alice.token, conversationId, replyId, { rating: 'up' });
      expect(response.status, status).toBe(409);
      expect((response.body as Problem).detail).toMatch(/finished reply/);
    }
  });

  it.each([
    [{}, 'body.rating'],
    [{ rating: 'sideways' }, 'body.rating'],
    [{ rating: 'up', reason: 'inaccurate' }, 'body.reason'],
    [{ rating: 'down', reason: 'boring' }, 'body.reason'],
    [{ rating: 'down', comment: 'x'.repeat(1001) }, 'body.comment'],
    [{ rating: 'down', comment: '   ' }, 'body.comment'],
    [{ rating: 'down', comment: 'a\u0000b' }, 'body.comment'],
    [{ rating: 'down', comment: 42 }, 'body.comment'],
    [{ rating: 'up', extra: true }, 'body'],
    [JSON.parse('{"rating":"up","__proto__":{"admin":true}}') as unknown, 'body'],
    [{ rating: 'up', constructor: { prototype: {} } }, 'body'],
  ])('refuses %j with a 400 naming %s', async (body, path) => {
    const { conversationId, replyId } = await exchange(alice.user.id);
    const response = await give(alice.token, conversationId, replyId, body);
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain(path);
    expect(
      await db
        .selectFrom('message_feedback')
        .select('message_id')
        .where('message_id', '=', replyId)
        .execute(),
    ).toEqual([]);
  });

  it.each(['PUT', 'DELETE'] as const)(
    'refuses a message id that is not a UUID on %s, naming it',
    async (method) => {
      const { conversationId } = await exchange(alice.user.id);
      const response = await call(conversations, {
        method,
        path: `/api/conversations/${conversationId}/messages/..%2F..%2Fadmin/feedback`,
        token: alice.token,
        ...(method === 'PUT' ? { body: { rating: 'up' } } : {}),
      });
      expect(response.status).toBe(400);
      expect(problemPaths(response.body)).toContain('params.messageId');
    },
  );

  it('refuses auditors (403) and callers without a token (401)', async () => {
    const { conversationId, replyId } = await exchange(alice.user.id);
    expect((await give(auditor.token, conversationId, replyId, { rating: 'up' })).status).toBe(403);
    const anonymous = await call(conversations, {
      method: 'PUT',
      path: feedbackPath(conversationId, replyId),
      body: { rating: 'up' },
    } as CallInput);
    expect(anonymous.status).toBe(401);
  });
});

describe('DELETE /api/conversations/{id}/messages/{messageId}/feedback', () => {
  it('takes the feedback back, and answers 204 again when there is none', async () => {
    const { conversationId, replyId } = await exchange(alice.user.id);
    await give(alice.token, conversationId, replyId, { rating: 'up' });

    const first = await withdraw(alice.token, conversationId, replyId);
    const again = await withdraw(alice.token, conversationId, replyId);

    expect(first.status).toBe(204);
    expect(again.status).toBe(204);
    expect(
      await db
        .selectFrom('message_feedback')
        .select('message_id')
        .where('message_id', '=', replyId)
        .execute(),
    ).toEqual([]);
  });

  it("answers 404 for another owner's reply and leaves their feedback alone", async () => {
    const { conversationId, replyId } = await exchange(alice.user.id);
    await give(alice.token, conversationId, replyId, { rating: 'up' });
    expect((await withdraw(bob.token, conversationId, replyId)).status).toBe(404);
    expect(
      await db.selectFrom('message_feedback').select('rating').where('message_id', '=', replyId).execute(),
    ).toEqual([{ rating: 'up' }]);
  });
});

describe('GET /api/admin/feedback', () => {
  it('lists feedback newest first with its totals, for auditors, without the reply or the conversation', async () => {
    // Prepare: three replies rated by two people, and one in a conversation deleted since, all
    // of a model of this test's own.
    const model = `model-${randomUUID().slice(0, 8)}`;
    const rated: string[] = [];
    for (const [who, rating] of [
      [alice, 'up'],
      [bob, 'down'],
      [alice, 'down'],
    ] as const) {
      const { conversationId, replyId } = await exchange(who.user.id, 'complete', model);
      await give(
        who.token,
        conversationId,
        replyId,
        rating === 'down' ? { rating, reason: 'incomplete', comment: 'Short' } : { rating },
      );
      rated.push(replyId);
    }
    const gone = await exchange(bob.user.id, 'complete', model);
    await give(bob.token, gone.conversationId, gone.replyId, { rating: 'down' });
    await call(conversations, {
      method: 'DELETE',
      path: `/api/conversations/${gone.conversationId}`,
      token: bob.token,
    });

    // Act
    const first = await listFeedback(auditor.token, { limit: '2' }, model);
    const firstPage = first.body as FeedbackPage;
    const second = await listFeedback(
      auditor.token,
      { limit: '2', cursor: firstPage.nextCursor ?? '' },
      model,
    );
    const downs = await listFeedback(auditor.token, { rating: 'down', reason: 'incomplete' }, model);

    // Assess
    expect(first.status).toBe(200);
    const all = [...firstPage.items, ...(second.body as FeedbackPage).items];
    expect(all.map((e) => e.messageId)).toEqual([...rated].reverse());
    expect((second.body as FeedbackPage).nextCursor).toBeNull();
    expect(firstPage.totals).toEqual({ up: 1, down: 2 });
    expect(firstPage.items[0]).toMatchObject({
      rating: 'down',
      reason: 'incomplete',
      comment: 'Short',
      model,
      userId: alice.user.id,
      email: alice.user.email,
    });
    expect(Object.keys(firstPage.items[0] ?? {}).sort()).toEqual([
      'comment',
      'createdAt',
      'email',
      'messageId',
      'model',
      'rating',
      'reason',
      'updatedAt',
      'userId',
    ]);
    expect(JSON.stringify(first.body)).not.toContain('Because.');
    expect((downs.body as FeedbackPage).items).toHaveLength(2);
    expect((downs.body as FeedbackPage).totals).toEqual({ up: 0, down: 2 });
  });

  it('filters by days (UTC, both ends included)', async () => {
    const { conversationId, replyId } = await exchange(alice.user.id);
    await give(alice.token, conversationId, replyId, { rating: 'up' });
    const today = new Date().toISOString().slice(0, 10);
    const todays = (await listFeedback(auditor.token, { from: today, to: today })).body as FeedbackPage;
    expect(todays.items.map((e) => e.messageId)).toContain(replyId);
    const past = (await listFeedback(auditor.token, { from: '2019-01-01', to: '2019-01-02' }))
      .body as FeedbackPage;
    expect(past).toEqual({ items: [], nextCursor: null, totals: { up: 0, down: 0 } });
  });

  it.each([
    [{ rating: 'meh' }, 'query.rating'],
    [{ reason: "x' or 1=1 --" }, 'query.reason'],
    [{ model: 'm\u0000' }, 'query.model'],
    [{ model: 'x'.repeat(65) }, 'query.model'],
    [{ from: '2026-02-30' }, 'query.from'],
    [{ from: '2026-03-02', to: '2026-03-01' }, 'query.from'],
    [
      {
        cursor: Buffer.from(JSON.stringify({ at: '2026-13-01T00:00:00.000000Z', id: randomUUID() })).toString(
          'base64url',
        ),
      },
      'query.cursor',
    ],
    [{ limit: '201' }, 'query.limit'],
    [Object.fromEntries([['__proto__', 'x']]), 'query'],
    [{ constructor: 'x' }, 'query'],
  ])('refuses %j with a 400 naming %s, never a 500', async (query, path) => {
    const response = await listFeedback(auditor.token, query as Record<string, string>);
    expect(response.status).toBe(400);
    expect(problemPaths(response.body)).toContain(path);
  });

  it('refuses members (403)', async () => {
    expect((await listFeedback(alice.token)).status).toBe(403);
  });
});
