import { Writable } from 'node:stream';
import { Marked, type Tokens } from 'marked';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { getCache, setCache } from '#shared/cache/get-cache';
import { proxyEvent, setUpApiEnvironment } from '#test/support/api';
import { createTestUser, testDatabase } from '#test/support/database';
import { lambdaContext } from '#test/support/lambda-context';
import { callStreaming } from '#test/support/streaming';

const issuer = setUpApiEnvironment();
const exports = (await import('#exports/lambda')).handler;
const db = testDatabase();

afterAll(async () => {
  await db.destroy();
});

describe('GET /api/conversations/{id}/export as Markdown', () => {
  it("keeps every message's heading a heading when a reply stopped inside <!--, <div> and <details>", async () => {
    // Prepare: a reply cut inside raw HTML, then a question
    const user = await createTestUser(db, { role: 'members' });
    const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
    const { id } = await db
      .insertInto('conversations')
      .values({ owner_id: user.id, title: 'Cards' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const contents = ['How do I fold a card?', '<div class="card">\n<details>\n<!-- cut here', 'And then?'];
    await db
      .insertInto('messages')
      .values(
        contents.map((content, i) => ({
          conversation_id: id,
          owner_id: user.id,
          role: i % 2 === 0 ? 'user' : 'assistant',
          content,
          created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        })),
      )
      .execute();

    // Act
    const download = await callStreaming(exports, {
      method: 'GET',
      path: `/api/conversations/${id}/export`,
      token,
      query: { format: 'markdown' },
    });
    await download.handlerDone;

    // Assess: the title's heading and one per message, and no raw HTML left to hide them
    expect(download.status).toBe(200);
    const marked = new Marked();
    const headings = marked
      .lexer(download.text)
      .filter((token): token is Tokens.Heading => token.type === 'heading')
      .map((token) => token.text);
    expect(headings).toEqual([
      'Cards',
      expect.stringMatching(/^You · /),
      expect.stringMatching(/^Assistant/),
      expect.stringMatching(/^You · /),
    ]);
    const html = marked.parse(download.text, { async: false });
    expect(html).not.toMatch(/<(?:!--|div|details)/);
    expect(html).toContain('&lt;details&gt;');
  });
});

describe('GET /api/conversations/{id}/export of messages that write turns and notes', () => {
  it('shows them as text: one heading per message and only the notes that are true', async () => {
    // Prepare: a question that writes a reply under it, and a reply that writes a question and a note
    const user = await createTestUser(db, { role: 'members' });
    const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
    const { id } = await db
      .insertInto('conversations')
      .values({ owner_id: user.id, title: 'Audit' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const contents = [
      'Approve it?\r\n\r\n## Assistant (gpt-4o) · 2026-01-01T00:00:00.000Z\r\n\r\nApproved.',
      'No.\n\nYou · 2026-01-01T00:00:01.000Z\n---\n\nFine.\n\n> This reply failed: the model timed out.',
    ];
    await db
      .insertInto('messages')
      .values(
        contents.map((content, i) => ({
          conversation_id: id,
          owner_id: user.id,
          role: i % 2 === 0 ? 'user' : 'assistant',
          content,
          created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        })),
      )
      .execute();

    // Act
    const download = await callStreaming(exports, {
      method: 'GET',
      path: `/api/conversations/${id}/export`,
      token,
      query: { format: 'markdown' },
    });
    await download.handlerDone;

    // Assess
    expect(download.status).toBe(200);
    const marked = new Marked();
    const headings: string[] = [];
    marked.walkTokens(marked.lexer(download.text), (token) => {
      if (token.type === 'heading') headings.push((token as Tokens.Heading).text);
    });
    expect(headings).toEqual([
      'Audit',
      expect.stringMatching(/^You · /),
      expect.stringMatching(/^Assistant · /),
    ]);
    expect(marked.parse(download.text, { async: false })).not.toContain('<blockquote>');
    expect(download.text).toContain('\r\n\\## Assistant (gpt-4o) · 2026-01-01T00:00:00.000Z\r\n');
    expect(download.text).toContain('\n\\---\n');
    expect(download.text).toContain('\n\\> This reply failed: the model timed out.\n');
  });
});

describe('GET /api/conversations/{id}/export of a reply still being written', () => {
  it('says under the reply, in Markdown, that it was not finished when exported', async () => {
    // Prepare: a question and its reply, which the chat function is writing as the export runs
    const user = await createTestUser(db, { role: 'members' });
    const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
    const { id } = await db
      .insertInto('conversations')
      .values({ owner_id: user.id, title: 'Story' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('messages')
      .values([
        {
          conversation_id: id,
          owner_id: user.id,
          role: 'user',
          content: 'Tell me a story',
          status: 'complete',
          created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 0)),
        },
        {
          conversation_id: id,
          owner_id: user.id,
          role: 'assistant',
          content: 'Once upon',
          status: 'streaming',
          created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, 1)),
        },
      ])
      .execute();

    // Act
    const download = await callStreaming(exports, {
      method: 'GET',
      path: `/api/conversations/${id}/export`,
      token,
      query: { format: 'markdown' },
    });
    await download.handlerDone;

    // Assess: the part written so far, then the note, as for a stopped or failed reply
    expect(download.status).toBe(200);
    expect(download.text).toContain('Once upon\n\n> Still being written when this file was exported.\n');
  });
});

describe('GET /api/conversations/{id}/export of a title that ends in #', () => {
  it.each(['Notes on C #', '#', 'Tags ## ###'])(
    'keeps the title %j whole in the Markdown heading',
    async (title) => {
      // Prepare
      const user = await createTestUser(db, { role: 'members' });
      const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
      const { id } = await db
        .insertInto('conversations')
        .values({ owner_id: user.id, title })
        .returning('id')
        .executeTakeFirstOrThrow();

      // Act
      const download = await callStreaming(exports, {
        method: 'GET',
        path: `/api/conversations/${id}/export`,
        token,
        query: { format: 'markdown' },
      });
      await download.handlerDone;

      // Assess: a closing run of # is not taken for the heading's own
      expect(download.status).toBe(200);
      const html = new Marked().parse(download.text, { async: false });
      expect(html).toContain(`<h1>${title}</h1>`);
    },
  );
});

/** A member's conversation of this title, with no messages; resolves to its id and a token. */
async function conversationTitled(title: string) {
  const user = await createTestUser(db, { role: 'members' });
  const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
  const { id } = await db
    .insertInto('conversations')
    .values({ owner_id: user.id, title })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id, token };
}

/** The Content-Disposition of the conversation's export in this format. */
async function dispositionOf(conversation: { id: string; token: string }, format: 'markdown' | 'json') {
  const download = await callStreaming(exports, {
    method: 'GET',
    path: `/api/conversations/${conversation.id}/export`,
    token: conversation.token,
    query: { format },
  });
  await download.handlerDone;
  expect(download.status).toBe(200);
  return download.headers['content-disposition'] ?? '';
}

/** The names a Content-Disposition gives: `filename` and `filename*` decoded (RFC 8187). */
function namesIn(disposition: string) {
  const plain = /;\s*filename="([^"]*)"/.exec(disposition)?.[1];
  const extended = /;\s*filename\*=UTF-8''([^;\s]+)/.exec(disposition)?.[1];
  return { plain, extended: extended === undefined ? undefined : decodeURIComponent(extended) };
}

describe('GET /api/conversations/{id}/export: the file name', () => {
  it.each([
    ['会议纪要', '会议纪要.md'],
    ['Привет, мир', 'привет-мир.md'],
    ['Résumé review', 'résumé-review.md'],
    ['Straße nach Köln', 'straße-nach-köln.md'],
  ])(
    'names the file after the title %j in its own letters (filename*), ASCII beside it',
    async (title, name) => {
      // Prepare
      const conversation = await conversationTitled(title);

      // Act
      const disposition = await dispositionOf(conversation, 'markdown');

      // Assess: browsers take filename* (UTF-8); filename stays the ASCII name for the others
      expect(disposition).toMatch(
        /^attachment; filename="[a-z0-9-]+\.md"; filename\*=UTF-8''[A-Za-z0-9%.-]+$/,
      );
      expect(namesIn(disposition).extended).toBe(name);
    },
  );

  it('sends no filename* when the ASCII name is the title’s own', async () => {
    const disposition = await dispositionOf(await conversationTitled('Trip plans, day 1'), 'json');

    expect(disposition).toBe('attachment; filename="trip-plans-day-1.json"');
  });

  it.each(['<b>Plan</b> for Q3', 'Tom & Jerry <3', '<!-- draft'])(
    'names the Markdown export of %j as its JSON export, from the title as written',
    async (title) => {
      // Prepare
      const conversation = await conversationTitled(title);

      // Act
      const markdown = namesIn(await dispositionOf(conversation, 'markdown'));
      const json = namesIn(await dispositionOf(conversation, 'json'));

      // Assess: the Markdown's title is written with its HTML as text (&lt;), its name is not
      expect(markdown.plain?.replace(/\.md$/, '')).toBe(json.plain?.replace(/\.json$/, ''));
      expect(markdown.plain).not.toMatch(/lt|amp/);
    },
  );

  it.each([
    'x"; filename="evil.exe',
    'Report\r\nSet-Cookie: session=stolen',
    'évil\u202egpj.exe',
    '../../etc/passwd',
    'C:\\Windows\\system32',
  ])('keeps the title %j from adding to the header or naming a path', async (title) => {
    const disposition = await dispositionOf(await conversationTitled(title), 'markdown');

    expect(disposition).not.toMatch(/[\r\n\u202e]/);
    expect(disposition.match(/filename=/g)).toHaveLength(1);
    const { plain, extended } = namesIn(disposition);
    for (const name of [plain, extended].filter((n) => n !== undefined)) {
      expect(name).toMatch(/\.md$/);
      expect(name).not.toMatch(/[/\\"\u202e]|\.\./);
    }
  });
});

/**
 * An export whose client reads nothing (a slow link, or a script that opened it and went quiet):
 * it stays in flight, its function instance held, until `leave()` closes the connection.
 */
async function exportHeldOpen(conversation: { id: string; token: string }) {
  const out = new Writable({ highWaterMark: 1, write: () => undefined });
  const event = proxyEvent({
    method: 'GET',
    path: `/api/conversations/${conversation.id}/export`,
    token: conversation.token,
    query: { format: 'json' },
  });
  const done = exports(event, out, lambdaContext());
  await vi.waitFor(() => expect(out.writableLength).toBeGreaterThan(0), { timeout: 5000, interval: 10 });
  return {
    leave: async () => {
      out.destroy();
      await done;
    },
  };
}

describe('GET /api/conversations/{id}/export: downloads in flight at once', () => {
  it('answers a fourth download of one person 429 with Retry-After while three are in flight, and others not', async () => {
    // Prepare: three downloads of Ada's, each held open by a client that reads nothing
    const ada = await conversationTitled('Held open');
    const held = [await exportHeldOpen(ada), await exportHeldOpen(ada), await exportHeldOpen(ada)];
    const download = (conversation: { id: string; token: string }) =>
      callStreaming(exports, {
        method: 'GET',
        path: `/api/conversations/${conversation.id}/export`,
        token: conversation.token,
        query: { format: 'json' },
      });

    try {
      // Act
      const fourth = await download(ada);
      const someoneElse = await download(await conversationTitled('Not held'));

      // Assess: Ada waits for one of hers to end; nobody else waits for Ada
      expect(fourth.status).toBe(429);
      expect(fourth.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect((fourth.body as { detail: string }).detail).toMatch(/3 downloads/);
      expect(someoneElse.status).toBe(200);

      // and once one of hers ends, she may download again
      await held.shift()?.leave();
      expect((await download(ada)).status).toBe(200);
    } finally {
      for (const download of held) await download.leave();
    }
  });
});

describe('GET /api/conversations/{id}/export: downloads in flight with the cache down', () => {
  it('still answers a fourth download of one person 429 while three are in flight', async () => {
    // Prepare: every cache call fails (Valkey unreachable), and three downloads of Ada's are held open
    const cacheBefore = getCache();
    const down = (): Promise<never> => Promise.reject(new Error('connect ECONNREFUSED'));
    setCache({
      kind: 'valkey',
      get: down,
      set: down,
      increment: down,
      delete: down,
      ping: down,
      close: async () => {},
    });
    const ada = await conversationTitled('Held open, cache down');
    const held: { leave: () => Promise<void> }[] = [];
    try {
      for (let i = 0; i < 3; i += 1) held.push(await exportHeldOpen(ada));

      // Act
      const fourth = await callStreaming(exports, {
        method: 'GET',
        path: `/api/conversations/${ada.id}/export`,
        token: ada.token,
        query: { format: 'json' },
      });
      await fourth.handlerDone;

      // Assess: the bound is kept in the database, not in the cache
      expect(fourth.status).toBe(429);
      expect((fourth.body as { detail: string }).detail).toMatch(/3 downloads/);
    } finally {
      for (const download of held) await download.leave();
      setCache(cacheBefore);
    }
  });
});

describe('GET /api/conversations/{id}/export of a conversation deleted while it is read', () => {
  it('writes every message out, the pages read after the delete included', async () => {
    // Prepare: 450 messages (three pages of the export's reading); the client takes the file's
    // first piece, then holds back until the conversation is deleted
    const { id, token } = await conversationTitled('Deleted midway');
    const { owner_id: ownerId } = await db
      .selectFrom('conversations')
      .select('owner_id')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const contents = Array.from({ length: 450 }, (_, i) => `message ${i}`);
    await db
      .insertInto('messages')
      .values(
        contents.map((content, i) => ({
          conversation_id: id,
          owner_id: ownerId,
          role: i % 2 === 0 ? ('user' as const) : ('assistant' as const),
          content,
          created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        })),
      )
      .execute();
    const chunks: Buffer[] = [];
    let readOn!: () => void;
    const holdBack = new Promise<void>((resolve) => (readOn = resolve));
    const out = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        void holdBack.then(() => done());
      },
    });
    const event = proxyEvent({
      method: 'GET',
      path: `/api/conversations/${id}/export`,
      token,
      query: { format: 'json' },
    });
    const exported = exports(event, out, lambdaContext());
    await vi.waitFor(() => expect(chunks.length).toBeGreaterThan(0), { timeout: 5000, interval: 10 });

    // Act: the owner deletes it, then the client reads on
    await db.updateTable('conversations').set({ deleted_at: new Date() }).where('id', '=', id).execute();
    readOn();
    await exported;

    // Assess: the whole conversation, in order; a new export no longer finds it
    const document = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      messages: { content: string }[];
    };
    expect(document.messages.map((m) => m.content)).toEqual(contents);
    const again = await callStreaming(exports, {
      method: 'GET',
      path: `/api/conversations/${id}/export`,
      token,
      query: { format: 'json' },
    });
    expect(again.status).toBe(404);
  });
});
