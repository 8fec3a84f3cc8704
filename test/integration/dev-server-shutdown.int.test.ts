import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';

import { startDevServer, type DevServer } from '../../bin/local/dev-server';
import type { Database } from '../../functions/shared/db/schema';
import { signInForToken } from '../resilience/support/sign-in';
import { parseServerSentEvents } from '../support/sse-events';

/**
 * Stopping the local server (Ctrl-C) while a chat reply streams: the reply is let finish and
 * stored as it ends, never left `streaming` (which would answer every later send in that
 * conversation with 409 for minutes after a restart).
 */
const savedEnv = { ...process.env };
let dataDir: string;
let server: DevServer | undefined;
let db: Kysely<Database>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-dev-server-shutdown-'));
  process.env.DATABASE_URL = inject('databaseUrl');
  // The offline model, slow enough that a stop lands in the middle of its reply (about 3 s).
  delete process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_SECRET_ARN;
  process.env.OFFLINE_MODEL_DELAY_MS = '100';
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: inject('databaseUrl') }) }),
  });
  server = await startDevServer({
    port: 0,
    cognitoPort: 0,
    dataDir,
    quiet: true,
    bootstrapAdmin: false,
    mfa: 'OPTIONAL',
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  process.env = savedEnv;
  await db.destroy();
  await rm(dataDir, { recursive: true, force: true });
});

describe('stopping the dev server', () => {
  it('lets a chat reply in progress finish and stores it complete, then stops', async () => {
    // Prepare: a member's conversation and a streamed send, read up to its first delta.
    const running = server as DevServer;
    const email = `shutdown-${Date.now()}@example.test`;
    await running.createUser({ email, password: 'Shutdown-Passw0rd!', role: 'members' });
    const token = await signInForToken(
      running.cognitoEndpoint,
      running.clientId,
      email,
      'Shutdown-Passw0rd!',
    );
    const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    const created = await fetch(`${running.url}/api/conversations`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ title: 'Stopped mid-reply' }),
    });
    const conversation = (await created.json()) as { id: string };
    const response = await fetch(`${running.url}/api/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { ...auth, Accept: 'text/event-stream' },
      body: JSON.stringify({ content: 'Are you still there?' }),
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes('event: delta')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    // The rest of the answer, read while the server stops.
    const rest = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += decoder.decode(value, { stream: true });
        }
      } catch {
        // A cut connection: the assertions below tell.
      }
    })();

    // Act
    await running.stop();
    server = undefined;
    await rest;

    // Assess: the database holds the reply complete, and the client got all of it.
    const stored = await db
      .selectFrom('messages')
      .select(['role', 'status'])
      .where('conversation_id', '=', conversation.id)
      .orderBy('created_at')
      .execute();
    expect(stored).toEqual([
      { role: 'user', status: 'complete' },
      { role: 'assistant', status: 'complete' },
    ]);
    expect(parseServerSentEvents(text).map((event) => event.event)).toContain('done');
  }, 60_000);
});
