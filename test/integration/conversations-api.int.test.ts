import { randomUUID } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '../support/api';
import { signedInPerson, testDatabase } from '../support/database';

const issuer = setUpApiEnvironment();
const { handler } = await import('../../functions/conversations/lambda');
const db = testDatabase();

interface Conversation {
  id: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  messageCount: number;
}
interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

const member = (role: 'members' | 'admins' | 'auditors' | null = 'members') =>
  signedInPerson(db, issuer, role);

let alice: Awaited<ReturnType<typeof member>>;
let bob: Awaited<ReturnType<typeof member>>;

beforeAll(async () => {
  alice = await member();
  bob = await member();
});
afterAll(() => db.destroy());

describe('POST /api/conversations', () => {
  it('creates a conversation owned by the caller and answers 201', async () => {
    const response = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token: alice.token,
      body: { title: '  Trip planning  ' },
    });
    expect(response.status).toBe(201);
    const conversation = response.body as Conversation;
    expect(conversation).toMatchObject({ title: 'Trip planning', messageCount: 0 });
    expect(conversation.id).toMatch(/^[0-9a-f-]{36}$/);
    const row = await db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', conversation.id)
      .executeTakeFirst();
    expect(row?.owner_id).toBe(alice.user.id);
  });

  it('gives an untitled conversation a default title when no body is sent', async () => {
    const response = await call(handler, { method: 'POST', path: '/api/conversations', token: alice.token });
    expect(response.status).toBe(201);
    expect((response.body as Conversation).title).toBe('New conversation');
  });

  // The database checks char_length(title) <= 200: characters, so 200 emoji (400 UTF-16 units) fit.
  it('keeps a title of 200 characters beyond the Basic Multilingual Plane', async () => {
    const title = '😀'.repeat(200);
    const response = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token: alice.token,
      body: { title },
    });
    expect(response.status).toBe(201);
    expect((response.body as Conversation).title).toBe(title);
  });

  // A person created in Cognito by other means has no users row until their first GET /api/me;
  // a client whose first request starts a conversation met the row's foreign key (a 500).
  it('answers 404 saying there is no profile yet, not 500, before the first GET /api/me, and 201 after it', async () => {
    // Prepare: a valid token of someone with no users row
    const sub = randomUUID();
    const token = issuer.accessToken({
      sub,
      username: `first-${sub}@example.test`,
      'cognito:groups': ['members'],
    });

    // Act
    const before = await call(handler, { method: 'POST', path: '/api/conversations', token, body: {} });
    const users = (await import('../../functions/users/lambda')).handler;
    expect((await call(users, { method: 'GET', path: '/api/me', token })).status).toBe(200);
    const after = await call(handler, { method: 'POST', path: '/api/conversations', token, body: {} });

    // Assess
    expect(before.status).toBe(404);
    expect(before.headers['content-type']).toBe('application/problem+json');
    expect((before.body as Problem).detail).toBe('No profile yet: open the app once, then try again.');
    expect(after.status).toBe(201);
  });

  it('keeps at most 10,000 live conversations a person: the next answers 409 conversation-limit until one is deleted', async () => {
    // Prepare: a member with 9,999 live conversations and a deleted one, which does not count
    const { user, token } = await member();
    await db
      .insertInto('conversations')
      .columns(['owner_id', 'title', 'deleted_at'])
      .expression((eb) =>
        eb
          .selectFrom(sql<{ n: number }>`generate_series(1, 10000)`.as('s'))
          .select([
            eb.val(user.id).as('owner_id'),
            eb.val('Old').as('title'),
            sql<Date | null>`case when s = 1 then now() end`.as('deleted_at'),
          ]),
      )
      .execute();
    const create = () => call(handler, { method: 'POST', path: '/api/conversations', token, body: {} });

    // Act
    const last = await create();
    const refused = await create();
    const { id } = last.body as Conversation;
    await call(handler, { method: 'DELETE', path: `/api/conversations/${id}`, token });
    const afterDelete = await create();

    // Assess
    expect(last.status).toBe(201);
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.body).toMatchObject({
      type: 'urn:parley:problem:conversation-limit',
      status: 409,
      detail:
        'You have reached the limit of 10000 conversations; delete some you no longer need, then try again.',
    });
    expect(afterDelete.status).toBe(201);
    const live = await db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('owner_id', '=', user.id)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(Number(live.n)).toBe(10_000);
  });

  it('lets admins chat too', async () => {
    const admin = await member('admins');
    const response = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token: admin.token,
      body: {},
    });
    expect(response.status).toBe(201);
  });

  it.each([
    [{ title: '' }, 'body.title'],
    [{ title: 'x'.repeat(201) }, 'body.title'],
    [{ title: '😀'.repeat(201) }, 'body.title'],
    [{ title: 42 }, 'body.title'],
    [{ title: 'bell\u0007' }, 'body.title'],
    [{ title: 'ok', owner_id: 'someone-else' }, 'body'],
    [[1, 2], 'body'],
  ])('refuses %j with a 400 naming %s', async (body, path) => {
    const response = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token: alice.token,
      body,
    });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const problem = response.body as Problem;
    expect(problem.errors?.some((e) => e.path === path)).toBe(true);
    expect(problem.requestId).toBeTruthy();
  });

  it('answers 400 for malformed JSON, 415 for another content type and 413 over the size limit', async () => {
    const malformed = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token: alice.token,
      body: '{"title":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect((malformed.body as Problem).errors).toEqual([{ path: 'body', message: 'is not valid JSON' }]);

    const form = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token: alice.token,
      body: 'title=hello',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);

    const huge = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token: alice.token,
      body: { title: 'a'.repeat(9000) },
    });
    expect(huge.status).toBe(413);
    expect((huge.body as Problem).type).toBe('urn:parley:problem:payload-too-large');
  });

  it('stores injection payloads as plain text', async () => {
    const title = "'); DROP TABLE conversations; -- <script>alert(1)</script>";
    const response = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token: alice.token,
      body: { title },
    });
    expect(response.status).toBe(201);
    const fetched = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${(response.body as Conversation).id}`,
      token: alice.token,
    });
    expect((fetched.body as Conversation).title).toBe(title);
    expect(await db.selectFrom('conversations').select('id').limit(1).execute()).toHaveLength(1);
  });

  it('refuses auditors and users in no group with 403', async () => {
    for (const role of ['auditors', null] as const) {
      const caller = await member(role);
      const response = await call(handler, {
        method: 'POST',
        path: '/api/conversations',
        token: caller.token,
        body: {},
      });
      expect(response.status).toBe(403);
      expect((response.body as Problem).type).toBe('urn:parley:problem:forbidden');
    }
  });

  it('refuses missing, forged, expired, ID and wrong-client tokens with 401', async () => {
    const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const tokens = [
      undefined,
      issuer.accessToken({ sub: alice.user.id }, { key: otherKey }),
      issuer.accessToken({ sub: alice.user.id, exp: Math.floor(Date.now() / 1000) - 60 }),
      issuer.accessToken({ sub: alice.user.id, token_use: 'id' }),
      issuer.accessToken({ sub: alice.user.id, client_id: 'another-client' }),
      issuer.accessToken({ sub: alice.user.id, iss: 'https://evil.example/pool' }),
      'not-a-jwt',
    ];
    for (const token of tokens) {
      const response = await call(handler, {
        method: 'POST',
        path: '/api/conversations',
        headers: token ? { Authorization: `Bearer ${token}` } : {},
        body: {},
      });
      expect(response.status, String(token)).toBe(401);
      expect(response.headers['content-type']).toBe('application/problem+json');
    }
  });
});

const ZERO_ID = '00000000-0000-0000-0000-000000000000';

describe('GET /api/conversations', () => {
  it('lists only the caller’s conversations, newest first, with keyset pagination', async () => {
    const carol = await member();
    const titles = ['one', 'two', 'three', 'four', 'five'];
    for (const title of titles) {
      await call(handler, {
        method: 'POST',
        path: '/api/conversations',
        token: carol.token,
        body: { title },
      });
    }
    await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token: bob.token,
      body: { title: 'bob only' },
    });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await call(handler, {
        method: 'GET',
        path: '/api/conversations',
        token: carol.token,
        query: cursor ? { limit: '2', cursor } : { limit: '2' },
      });
      expect(response.status).toBe(200);
      const page = response.body as { items: Conversation[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((c) => c.title));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual([...titles].reverse());
    expect(pages).toBe(3);
  });

  it('filters by title, treating LIKE wildcards literally', async () => {
    const dave = await member();
    for (const title of ['Budget 2027', 'budget review', '100% done', 'Holiday']) {
      await call(handler, { method: 'POST', path: '/api/conversations', token: dave.token, body: { title } });
    }
    const budget = await call(handler, {
      method: 'GET',
      path: '/api/conversations',
      token: dave.token,
      query: { q: 'BUDGET' },
    });
    expect((budget.body as { items: Conversation[] }).items.map((c) => c.title).sort()).toEqual([
      'Budget 2027',
      'budget review',
    ]);
    const percent = await call(handler, {
      method: 'GET',
      path: '/api/conversations',
      token: dave.token,
      query: { q: '%' },
    });
    expect((percent.body as { items: Conversation[] }).items.map((c) => c.title)).toEqual(['100% done']);
  });

  it.each([
    [{ limit: '0' }, 'query.limit'],
    [{ limit: '101' }, 'query.limit'],
    [{ limit: 'ten' }, 'query.limit'],
    [{ cursor: 'garbage' }, 'query.cursor'],
    [{ cursor: Buffer.from('{"at":"x","id":"1"}').toString('base64url') }, 'query.cursor'],
    [{ sort: 'title' }, 'query'],
    [{ q: "' OR 1=1 --".repeat(30) }, 'query.q'],
    // Holes a hostile run found (each was a 500 from PostgreSQL):
    [
      { cursor: Buffer.from(`{"at":"2024-02-30T00:00:00Z","id":"${ZERO_ID}"}`).toString('base64url') },
      'query.cursor',
    ],
    [
      { cursor: Buffer.from(`{"at":"2024-13-01T00:00:00Z","id":"${ZERO_ID}"}`).toString('base64url') },
      'query.cursor',
    ],
    [
      { cursor: Buffer.from(`{"at":"0000-01-01T00:00:00Z","id":"${ZERO_ID}"}`).toString('base64url') },
      'query.cursor',
    ],
    [{ q: '\u0000' }, 'query.q'],
    // Control characters, as search refuses them (the same rule):
    [{ q: 'a\u0001b' }, 'query.q'],
    [{ q: 'budget\treview' }, 'query.q'],
    [{ q: 'budget\nreview' }, 'query.q'],
    [{ q: 'x\u001fy' }, 'query.q'],
    [{ q: 'x\u007fy' }, 'query.q'],
    [JSON.parse('{"__proto__":"1"}') as Record<string, string>, 'query'],
    [{ constructor: '1' }, 'query'],
  ])('refuses %j with a 400 naming %s', async (query, path) => {
    const response = await call(handler, {
      method: 'GET',
      path: '/api/conversations',
      token: alice.token,
      query,
    });
    expect(response.status).toBe(400);
    expect((response.body as Problem).errors?.some((e) => e.path === path)).toBe(true);
  });

  it.each(['a\u0001b', 'tab\there', ' \u001f ', 'x\u007f', '', '   ', 'x'.repeat(201)])(
    'refuses q=%j as search does, with the same problem',
    async (q) => {
      const ask = (path: string) => call(handler, { method: 'GET', path, token: alice.token, query: { q } });
      const [listed, searched] = await Promise.all([ask('/api/conversations'), ask('/api/search')]);

      expect(listed.status).toBe(400);
      expect((listed.body as Problem).errors).toEqual((searched.body as Problem).errors);
    },
  );
});

describe('GET, PATCH and DELETE /api/conversations/{id}', () => {
  async function create(token: string, title = 'mine') {
    const response = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token,
      body: { title },
    });
    return response.body as Conversation;
  }

  it('reads, renames and deletes the owner’s conversation', async () => {
    const conversation = await create(alice.token);
    const got = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${conversation.id}`,
      token: alice.token,
    });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(conversation);

    const renamed = await call(handler, {
      method: 'PATCH',
      path: `/api/conversations/${conversation.id}`,
      token: alice.token,
      body: { title: 'Renamed' },
    });
    expect(renamed.status).toBe(200);
    expect((renamed.body as Conversation).title).toBe('Renamed');
    expect((renamed.body as Conversation).updatedAt >= conversation.updatedAt).toBe(true);

    const deleted = await call(handler, {
      method: 'DELETE',
      path: `/api/conversations/${conversation.id}`,
      token: alice.token,
    });
    expect(deleted.status).toBe(204);
    expect(deleted.raw.body).toBe('');
    const after = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${conversation.id}`,
      token: alice.token,
    });
    expect(after.status).toBe(404);

    const audit = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('target_id', '=', conversation.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['conversation.delete']);
    expect(audit[0]?.actor_id).toBe(alice.user.id);
  });

  it('answers 404, never 403, for another user’s conversation, and leaves it untouched', async () => {
    const conversation = await create(bob.token, 'bob secret');
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { title: 'stolen' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await call(handler, {
        method,
        path: `/api/conversations/${conversation.id}`,
        token: alice.token,
        body,
      });
      expect(response.status, method).toBe(404);
      expect((response.body as Problem).detail).toBe('No such conversation.');
    }
    const row = await db
      .selectFrom('conversations')
      .selectAll()
      .where('id', '=', conversation.id)
      .executeTakeFirstOrThrow();
    expect(row.title).toBe('bob secret');
    expect(row.deleted_at).toBeNull();
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${randomUUID()}`,
      token: alice.token,
    });
    expect(unknown.status).toBe(404);
    const malformed = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${encodeURIComponent("1' OR '1'='1")}`,
      token: alice.token,
    });
    expect(malformed.status).toBe(400);
    expect((malformed.body as Problem).errors?.[0]?.path).toBe('params.id');
  });

  it('refuses a rename without a title or with extra fields', async () => {
    const conversation = await create(alice.token);
    for (const body of [{}, { title: 'ok', messageCount: 9 }, undefined]) {
      const response = await call(handler, {
        method: 'PATCH',
        path: `/api/conversations/${conversation.id}`,
        token: alice.token,
        body,
      });
      expect(response.status).toBe(400);
    }
  });

  it.each([
    [{ title: '' }, 'body.title'],
    [{ title: 'x'.repeat(201) }, 'body.title'],
    [{ title: '😀'.repeat(201) }, 'body.title'],
    [{ title: 42 }, 'body.title'],
    [{ title: 'nul\u0000byte' }, 'body.title'],
    [{ title: 'bell\u0007' }, 'body.title'],
  ])('refuses the rename %j with a 400 naming %s, and keeps the title', async (body, path) => {
    const conversation = await create(alice.token, 'Kept as it was');
    const response = await call(handler, {
      method: 'PATCH',
      path: `/api/conversations/${conversation.id}`,
      token: alice.token,
      body,
    });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect((response.body as Problem).errors?.some((e) => e.path === path)).toBe(true);
    const fetched = await call(handler, {
      method: 'GET',
      path: `/api/conversations/${conversation.id}`,
      token: alice.token,
    });
    expect((fetched.body as Conversation).title).toBe('Kept as it was');
  });

  it('answers 413 for a rename over the size limit', async () => {
    const conversation = await create(alice.token);
    const response = await call(handler, {
      method: 'PATCH',
      path: `/api/conversations/${conversation.id}`,
      token: alice.token,
      body: { title: 'a'.repeat(9000) },
    });
    expect(response.status).toBe(413);
    expect((response.body as Problem).type).toBe('urn:parley:problem:payload-too-large');
  });

  it('renames to injection payloads as plain text', async () => {
    const conversation = await create(alice.token);
    for (const title of [
      "'); UPDATE conversations SET owner_id = 'mallory'; --",
      '<img src=x onerror=alert(1)>',
      '${7*7} {{7*7}} %s%n',
    ]) {
      const renamed = await call(handler, {
        method: 'PATCH',
        path: `/api/conversations/${conversation.id}`,
        token: alice.token,
        body: { title },
      });
      expect(renamed.status).toBe(200);
      expect((renamed.body as Conversation).title).toBe(title);
      const fetched = await call(handler, {
        method: 'GET',
        path: `/api/conversations/${conversation.id}`,
        token: alice.token,
      });
      expect((fetched.body as Conversation).title).toBe(title);
    }
    const owners = await db.selectFrom('conversations').select('owner_id').distinct().execute();
    expect(owners.map((o) => o.owner_id)).not.toContain('mallory');
  });
});

describe('POST /api/conversations/{id}/restore', () => {
  async function deletedConversation(token: string, title = 'Deleted by mistake') {
    const created = await call(handler, {
      method: 'POST',
      path: '/api/conversations',
      token,
      body: { title },
    });
    const { id } = created.body as Conversation;
    expect((await call(handler, { method: 'DELETE', path: `/api/conversations/${id}`, token })).status).toBe(
      204,
    );
    return id;
  }
  const restore = (id: string, token: string | undefined, body?: unknown) =>
    call(handler, { method: 'POST', path: `/api/conversations/${id}/restore`, token, body });

  it('brings a deleted conversation back into the list, audited, once', async () => {
    // Prepare
    const id = await deletedConversation(alice.token);

    // Act
    const restored = await restore(id, alice.token);
    const again = await restore(id, alice.token);

    // Assess
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id, title: 'Deleted by mistake' });
    const list = await call(handler, { method: 'GET', path: '/api/conversations', token: alice.token });
    expect((list.body as { items: Conversation[] }).items.map((c) => c.id)).toContain(id);
    expect(again.status).toBe(404);
    const audit = await db
      .selectFrom('audit_events')
      .select(['action', 'actor_id'])
      .where('target_id', '=', id)
      .orderBy('occurred_at')
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['conversation.delete', 'conversation.restore']);
    expect(audit.every((a) => a.actor_id === alice.user.id)).toBe(true);
  });

  it('answers 404 for a conversation never deleted, another owner’s deleted one, and one already erased', async () => {
    const live = (
      await call(handler, { method: 'POST', path: '/api/conversations', token: alice.token, body: {} })
    ).body as Conversation;
    const bobs = await deletedConversation(bob.token, 'bob secret');
    const erased = await deletedConversation(alice.token);
    await db.deleteFrom('conversations').where('id', '=', erased).execute();

    for (const [id, what] of [
      [live.id, 'never deleted'],
      [bobs, 'another owner’s'],
      [erased, 'erased'],
      [randomUUID(), 'unknown'],
    ] as const) {
      const response = await restore(id, alice.token);
      expect(response.status, what).toBe(404);
      expect(response.headers['content-type'], what).toBe('application/problem+json');
    }
    const row = await db
      .selectFrom('conversations')
      .select('deleted_at')
      .where('id', '=', bobs)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
  });

  it.each([
    ["1' OR '1'='1", 'params.id'],
    ['__proto__', 'params.id'],
    ['x'.repeat(300), 'params.id'],
    ['a%00b', 'params.id'],
  ])('refuses the id %j with 400 naming %s', async (id, path) => {
    const response = await restore(encodeURIComponent(id).replace('%2500', '%00'), alice.token);
    expect(response.status).toBe(400);
    expect((response.body as Problem).errors?.map((e) => e.path)).toContain(path);
  });

  it('refuses a body, no token, and a role that may not chat', async () => {
    const id = await deletedConversation(alice.token);
    expect((await restore(id, alice.token, { title: 'x' })).status).toBe(400);
    expect((await restore(id, undefined)).status).toBe(401);
    const auditor = await member('auditors');
    expect((await restore(id, auditor.token)).status).toBe(403);
    const row = await db
      .selectFrom('conversations')
      .select('deleted_at')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
  });
});

describe('every response', () => {
  it('carries the security headers, no-store and a request id, on success and on error', async () => {
    const responses = await Promise.all([
      call(handler, { method: 'GET', path: '/api/conversations', token: alice.token }),
      call(handler, { method: 'GET', path: '/api/conversations' }),
      call(handler, { method: 'GET', path: `/api/conversations/${randomUUID()}`, token: alice.token }),
    ]);
    for (const response of responses) {
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['x-request-id']).toBeTruthy();
    }
  });

  it('allows CORS only for the configured web origin', async () => {
    const allowed = await call(handler, {
      method: 'GET',
      path: '/api/conversations',
      token: alice.token,
      headers: { Origin: 'https://chat.example.test' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://chat.example.test');
    const other = await call(handler, {
      method: 'GET',
      path: '/api/conversations',
      token: alice.token,
      headers: { Origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
