import { Marked, type Tokens } from 'marked';
import { afterAll, describe, expect, it } from 'vitest';
import { setUpApiEnvironment } from '#test/support/api';
import { createTestUser, testDatabase } from '#test/support/database';
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
