import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheRateLimiter } from '#shared/rate-limit/cache-rate-limiter';
import { closeCache, getCache } from '#shared/cache/get-cache';
import { call, setUpApiEnvironment } from '../support/api';
import { createTestUser, testDatabase } from '../support/database';

// A cache that accepts the connection, reads every command and never answers: the worst outage
// for a client (no refusal to fail fast on). The handlers' database is the real test database.
const sockets = new Set<Socket>();
const hung = createServer((socket) => {
  sockets.add(socket);
  socket.on('data', () => undefined);
  socket.on('close', () => sockets.delete(socket));
});
await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
const { port } = hung.address() as { port: number };

const issuer = setUpApiEnvironment({ REDIS_URL: `redis://127.0.0.1:${port}` });
const { handler: health } = await import('#health/lambda');
const { handler: conversations } = await import('#conversations/lambda');
const { handler: users } = await import('#users/lambda');
const db = testDatabase();

afterAll(async () => {
  await closeCache();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => hung.close(() => resolve()));
  await db.destroy();
});

async function signedIn() {
  const user = await createTestUser(db, { role: 'members' });
  const token = issuer.accessToken({
    sub: user.id,
    username: user.email,
    'cognito:groups': ['members'],
    iat: Math.floor(Date.now() / 1000) - 5,
  });
  return { user, token };
}

/** The answer and how long it took. */
async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const list = (token: string) => call(conversations, { method: 'GET', path: '/api/conversations', token });

describe('with a cache that accepts connections and never answers', () => {
  it('readiness answers degraded within its probe timeout, not after the hung cache', async () => {
    for (let probe = 0; probe < 3; probe += 1) {
      const { value: response, ms } = await timed(() =>
        call(health, { method: 'GET', path: '/api/health/ready' }),
      );

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        status: 'degraded',
        checks: { database: { status: 'ok' }, cache: { status: 'down', kind: 'valkey' } },
      });
      expect(ms).toBeLessThan(1_500);
    }
  });

  it("refuses a disabled user's token: the database answers for the cache (never fail-open)", async () => {
    const { user, token } = await signedIn();
    expect((await list(token)).status).toBe(200);

    await db.updateTable('users').set({ status: 'disabled' }).where('id', '=', user.id).execute();

    const { value: refused, ms } = await timed(() => list(token));
    expect(refused.status).toBe(401);
    expect((await call(users, { method: 'GET', path: '/api/me', token })).status).toBe(401);
    expect(ms).toBeLessThan(3_000);
  });

  it('refuses a token issued before a sign-out everywhere recorded in the database', async () => {
    const { user, token } = await signedIn();
    expect((await list(token)).status).toBe(200);

    await db
      .updateTable('users')
      .set({ tokens_valid_after: new Date(Date.now() + 1_000) })
      .where('id', '=', user.id)
      .execute();

    expect((await list(token)).status).toBe(401);
  });

  it('limits the rate per instance: the limit still holds, counted without the cache', async () => {
    const errors: unknown[] = [];
    const limiter = cacheRateLimiter({
      cache: getCache,
      limitPerMinute: 3,
      onCacheError: (error) => errors.push(error),
    });

    const { value: verdicts, ms } = await timed(async () => {
      const answers = [];
      for (let i = 0; i < 4; i += 1) answers.push((await limiter.consume('hung-cache-user')).allowed);
      return answers;
    });

    expect(verdicts).toEqual([true, true, true, false]);
    expect(errors).toHaveLength(4);
    expect(ms).toBeLessThan(3_000);
  });

  it('keeps answering a live user, without waiting on the cache for each request', async () => {
    const { token } = await signedIn();
    const answers = await timed(() => Promise.all(Array.from({ length: 5 }, () => list(token))));

    expect(answers.value.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.ms).toBeLessThan(5_000);
  });
});
