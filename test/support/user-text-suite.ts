import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../functions/shared/db/schema';
import { call } from './api';
import { createTestUser } from './database';
import type { TestIssuer } from './tokens';
import { callStreaming } from './streaming';

/**
 * What people write (titles, messages, feedback comments) must show: text of invisible characters
 * alone is empty, and a title may not carry the bidirectional controls that make a label read as
 * something else. Run through the routes, once per database driver (the caller sets up the
 * environment and imports the handlers); `db` reads what was stored.
 */
export interface UserTextSuite {
  readonly issuer: TestIssuer;
  // The lambdas' own handler types differ (one streams); `call` and `callStreaming` take both.
  readonly chat: Parameters<typeof callStreaming>[0];
  readonly conversations: Parameters<typeof call>[0];
  readonly db: Kysely<Database>;
}

interface Conversation {
  readonly id: string;
  readonly title: string;
}
interface Problem {
  readonly status: number;
  readonly type: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
}

export function describeUserText({ issuer, chat, conversations, db }: UserTextSuite): void {
  /** Text that looks empty on every screen, whatever it is made of. */
  const INVISIBLE: readonly [string, string][] = [
    ['zero-width space U+200B', '\u200b'],
    ['left-to-right mark U+200E', '\u200e'],
    ['right-to-left override U+202E', '\u202e'],
    ['left-to-right isolate U+2066', '\u2066'],
    ['byte order mark U+FEFF', '\ufeff'],
    ['Hangul filler U+3164', '\u3164'],
    ['a combining acute accent alone', '\u0301'],
    ['word joiner and soft hyphen', '\u2060\u00ad'],
    ['blank Braille pattern U+2800', '\u2800'],
    ['a variation selector', '\ufe0f'],
    ['spaces and zero-width joiners', ' \u200d \u200c '],
    ['ideographic space U+3000 and a tab', '\u3000\t'],
  ];

  /** Titles and comments that show, with the invisible or directional characters real text holds. */
  const VISIBLE: readonly [string, string][] = [
    ['Arabic with a right-to-left mark', 'مرحبا\u200f 2026'],
    ['Hebrew and Latin', 'שלום world'],
    ['an emoji joined by ZWJ', 'Family 👨\u200d👩\u200d👧'],
    ['a decomposed accent', 'Cafe\u0301'],
    ['Hangul', '한국어 메모'],
    ['a single visible character after a zero-width space', '\u200bx'],
  ];

  /** Bidirectional embeddings, overrides and isolates: Trojan Source. */
  const BIDI: readonly [string, string][] = [
    ['a right-to-left override (U+202E)', 'invoice\u202egnp.exe'],
    ['a left-to-right embedding (U+202A)', '\u202aabc\u202c'],
    ['a right-to-left isolate (U+2067)', 'admin\u2067 note\u2069'],
    ['a first-strong isolate (U+2068)', '\u2068x'],
    ['a pop directional formatting alone (U+202C)', 'x\u202c'],
  ];

  let token: string;

  beforeAll(async () => {
    const user = await createTestUser(db, { role: 'members' });
    token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
  });
  afterAll(() => db.destroy());

  const create = (body: unknown) =>
    call(conversations, { method: 'POST', path: '/api/conversations', token, body });
  const rename = (id: string, body: unknown) =>
    call(conversations, { method: 'PATCH', path: `/api/conversations/${id}`, token, body });
  const newConversation = async (): Promise<string> => ((await create({})).body as Conversation).id;
  const send = (conversationId: string, content: string) =>
    callStreaming(chat, {
      method: 'POST',
      path: `/api/conversations/${conversationId}/messages`,
      token,
      body: { content },
    });
  const firstError = (body: unknown) => (body as Problem).errors?.[0];
  const storedTitle = async (id: string) =>
    (await db.selectFrom('conversations').select('title').where('id', '=', id).executeTakeFirstOrThrow())
      .title;

  describe('a conversation title', () => {
    it.each(INVISIBLE)('of %s only is refused as empty, on create and on rename', async (_case, title) => {
      // Prepare
      const id = await newConversation();

      // Act
      const created = await create({ title });
      const renamed = await rename(id, { title: `${title}${title}` });

      // Assess
      for (const response of [created, renamed]) {
        expect(response.status).toBe(400);
        expect(firstError(response.body)?.path).toBe('body.title');
      }
      expect(firstError(created.body)?.message).toMatch(/must not be empty/);
      expect(await storedTitle(id)).toBe('New conversation');
    });

    it.each(BIDI)('with %s is refused, naming the field', async (_case, title) => {
      const id = await newConversation();

      const created = await create({ title });
      const renamed = await rename(id, { title });

      for (const response of [created, renamed]) {
        expect(response.status).toBe(400);
        expect(firstError(response.body)).toEqual({
          path: 'body.title',
          message: expect.stringMatching(/bidirectional/) as string,
        });
      }
      expect(await storedTitle(id)).toBe('New conversation');
    });

    it.each(VISIBLE)('of %s is kept as written', async (_case, title) => {
      const created = await create({ title });
      const id = (created.body as Conversation).id;
      const renamed = await rename(id, { title: `${title} (2)` });

      expect(created.status).toBe(201);
      expect((created.body as Conversation).title).toBe(title);
      expect(renamed.status).toBe(200);
      expect((renamed.body as Conversation).title).toBe(`${title} (2)`);
      expect(await storedTitle(id)).toBe(`${title} (2)`);
    });
  });

  describe('a message', () => {
    it.each(INVISIBLE)('of %s only is refused as empty, and nothing is stored', async (_case, content) => {
      // Prepare
      const conversationId = await newConversation();

      // Act
      const response = await send(conversationId, content);
      await response.handlerDone;

      // Assess
      expect(response.status).toBe(400);
      expect(firstError(response.body)).toEqual({ path: 'body.content', message: 'must not be empty' });
      const stored = await db
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', conversationId)
        .execute();
      expect(stored).toEqual([]);
    });

    it('may hold bidirectional controls and invisible characters around visible text', async () => {
      const conversationId = await newConversation();
      const content = 'Why does \u202eabc\u202c reverse?\u200b';

      const response = await send(conversationId, content);
      await response.handlerDone;

      expect(response.status).toBe(201);
      const question = await db
        .selectFrom('messages')
        .select('content')
        .where('conversation_id', '=', conversationId)
        .where('role', '=', 'user')
        .executeTakeFirstOrThrow();
      expect(question.content).toBe(content);
    });

    it.each([
      ['an invisible first line', '\u200b\u3164\nWhat is a monad?', 'What is a monad?'],
      ['a right-to-left override', 'Rename \u202eexe.txt\u202c please', 'Rename exe.txt please'],
      ['isolates and marks', '\u2067שלום\u2069 and \u200fhello', 'שלום and \u200fhello'],
    ])(
      'with %s gives its conversation a title that shows, without directional controls',
      async (_case, content, title) => {
        const conversationId = await newConversation();

        const response = await send(conversationId, content);
        await response.handlerDone;

        expect(response.status).toBe(201);
        expect(await storedTitle(conversationId)).toBe(title);
      },
    );
  });

  describe('a feedback comment', () => {
    /** A finished reply of the test user's, to comment on. */
    async function reply() {
      const conversationId = await newConversation();
      const sent = await send(conversationId, 'Hello');
      await sent.handlerDone;
      const { id } = await db
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', conversationId)
        .where('role', '=', 'assistant')
        .executeTakeFirstOrThrow();
      return { conversationId, replyId: id };
    }
    const give = (conversationId: string, replyId: string, body: unknown) =>
      call(conversations, {
        method: 'PUT',
        path: `/api/conversations/${conversationId}/messages/${replyId}/feedback`,
        token,
        body,
      });

    it.each(INVISIBLE)('of %s only is refused as empty, and no feedback is kept', async (_case, comment) => {
      const { conversationId, replyId } = await reply();

      const response = await give(conversationId, replyId, { rating: 'down', comment });

      expect(response.status).toBe(400);
      expect(firstError(response.body)).toEqual({
        path: 'body.comment',
        message: 'must not be empty (leave it out instead)',
      });
      const kept = await db
        .selectFrom('message_feedback')
        .select('message_id')
        .where('message_id', '=', replyId)
        .execute();
      expect(kept).toEqual([]);
    });

    it.each(VISIBLE)('of %s is kept as written', async (_case, comment) => {
      const { conversationId, replyId } = await reply();

      const response = await give(conversationId, replyId, { rating: 'up', comment });

      expect(response.status).toBe(200);
      expect((response.body as { comment: string }).comment).toBe(comment);
    });
  });
}
