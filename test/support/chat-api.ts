import type { Kysely } from 'kysely';
import { afterAll, beforeEach } from 'vitest';
import type { handler as ChatHandler } from '#chat/lambda';
import type { handler as ConversationsHandler } from '#conversations/lambda';
import type { Database, NewUser, UserRow } from '../../functions/shared/db/schema';
import { call, setUpApiEnvironment } from './api';
import { createTestUser, testDatabase } from './database';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';
import type { TestIssuer } from './tokens';
// Installs the globals the Lambda runtime gives a streaming module, before the chat module loads.
import './streaming';

export type Role = 'members' | 'admins' | 'auditors';

/** The chat and conversations handlers, configured at cold start, and a way in for test people. */
export interface ChatApi {
  readonly chat: typeof ChatHandler;
  readonly conversations: typeof ConversationsHandler;
  readonly issuer: TestIssuer;
  /** The test database, destroyed after the file's tests. */
  readonly db: Kysely<Database>;
  /** A new user in `role` (a member unless told) and an access token of theirs. */
  signIn(role?: Role, overrides?: Partial<NewUser>): Promise<{ user: UserRow; token: string }>;
  /** Creates a conversation of the token's user through the API; resolves to its id. */
  newConversation(token: string, title?: string): Promise<string>;
}

export interface ChatApiWithFakeOpenAI extends ChatApi {
  /** The OpenAI-compatible server the chat handler calls, reset before each test. */
  readonly openai: FakeOpenAI;
}

/**
 * Sets the API environment with `env` over it (see setUpApiEnvironment), then loads the chat and
 * conversations handlers, which read it at cold start. No OPENAI_API_KEY: the offline model
 * answers. Call once, at the top of a test file, before importing any other handler module.
 */
export async function setUpChatApi(env: Record<string, string> = {}): Promise<ChatApi> {
  const issuer = setUpApiEnvironment(env);
  const chat = (await import('#chat/lambda')).handler;
  const conversations = (await import('#conversations/lambda')).handler;
  const db = testDatabase();
  afterAll(() => db.destroy());
  return {
    chat,
    conversations,
    issuer,
    db,
    async signIn(role = 'members', overrides = {}) {
      const user = await createTestUser(db, { role, ...overrides });
      const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': [role] });
      return { user, token };
    },
    async newConversation(token, title) {
      const created = await call(conversations, {
        method: 'POST',
        path: '/api/conversations',
        token,
        body: title ? { title } : {},
      });
      return (created.body as { id: string }).id;
    },
  };
}

/**
 * As setUpChatApi, with the chat handler calling a fake OpenAI server (test/support/fake-openai.ts)
 * that accepts only `env.OPENAI_API_KEY`. Unless `env` says otherwise: one model (gpt-4o-mini),
 * one attempt per call (the retries have their own tests) and 1,000 messages a minute (the rate
 * limit has its own tests). The timeouts are the file's to choose.
 */
export async function setUpChatApiWithFakeOpenAI(
  env: { readonly OPENAI_API_KEY: string } & Record<string, string>,
): Promise<ChatApiWithFakeOpenAI> {
  const openai = await startFakeOpenAI({ apiKey: env.OPENAI_API_KEY });
  afterAll(() => openai.close());
  beforeEach(() => openai.reset());
  const api = await setUpChatApi({
    OPENAI_BASE_URL: openai.baseURL,
    OPENAI_MODELS: 'gpt-4o-mini',
    OPENAI_MAX_ATTEMPTS: '1',
    CHAT_RATE_LIMIT_PER_MINUTE: '1000',
    ...env,
  });
  return { ...api, openai };
}
