import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { call, setUpApiEnvironment } from '../support/api';
import { createTestUser, testDatabase } from '../support/database';
import { callStreaming } from '../support/streaming';

/*
 * The per-caller route budgets (functions/shared/http/route-budgets.ts) on a real route, counted
 * in a real Redis (REDIS_URL, as CI sets it; skipped without one) as Valkey counts them for every
 * function instance: one person's 31st new conversation in a minute is refused before anything is
 * stored, another person's is not, and a second instance sees the same count.
 */
const REDIS_URL = process.env.REDIS_URL;
// The budgets as every stage has them (the suites' environment multiplies them).
const issuer = setUpApiEnvironment({ ROUTE_BUDGET_MULTIPLIER: '1', ...(REDIS_URL ? { REDIS_URL } : {}) });
const { handler } = await import('#conversations/lambda');
const exports = (await import('#exports/lambda')).handler;
const { valkeyCache } = await import('#shared/cache/valkey-cache');
const { cacheRouteBudgets } = await import('#shared/rate-limit/route-budget-limiter');
const { parseRedisUrl, RespClient } = await import('#shared/cache/resp-client');
const { closeCache, getCache } = await import('#shared/cache/get-cache');
const { setHandlerDependencies } = await import('#shared/http/api-handler');
// The budgets as deployed (in the process's cache: Redis here), whatever a test support sets.
const deployed = cacheRouteBudgets({ cache: getCache });
setHandlerDependencies({ budgets: () => deployed });
const db = testDatabase();
afterAll(async () => {
  await closeCache();
  await db.destroy();
});

async function person() {
  const user = await createTestUser(db, { role: 'members' });
  const token = issuer.accessToken({ sub: user.id, username: user.email, 'cognito:groups': ['members'] });
  return { user, token };
}

const create = (token: string) =>
  call(handler, { method: 'POST', path: '/api/conversations', token, body: { title: 'Budget' } });

/** Waits out the last seconds of a minute, so that a burst is counted in one window. */
async function awayFromMinuteEnd(): Promise<void> {
  const second = new Date().getUTCSeconds();
  if (second >= 50) await sleep((61 - second) * 1000);
}

describe.skipIf(!REDIS_URL)('route budgets on real Redis: POST /api/conversations', () => {
  it('refuses one person’s 31st new conversation of a minute with 429 and Retry-After, stores nothing for it, and leaves others theirs', async () => {
    // Prepare
    const ada = await person();
    const grace = await person();
    await awayFromMinuteEnd();
    const window = Math.floor(Date.now() / 60_000);

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) statuses.push((await create(ada.token)).status);
    const refused = await create(ada.token);
    const other = await create(grace.token);

    // Assess
    expect(statuses).toEqual(Array(30).fill(201));
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers['retry-after']).toMatch(/^([1-9]|[1-5][0-9]|60)$/);
    expect(refused.headers['x-content-type-options']).toBe('nosniff');
    expect(refused.body).toMatchObject({
      type: expect.stringMatching(/:rate-limited$/),
      status: 429,
      detail: 'You can make at most 30 new conversations a minute.',
    });
    expect(other.status).toBe(201);
    const kept = await db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('owner_id', '=', ada.user.id)
      .executeTakeFirstOrThrow();
    expect(Number(kept.n)).toBe(30);

    // In Redis, under the stage's prefix, by route id and account id alone, for one minute.
    const raw = new RespClient({ endpoint: parseRedisUrl(REDIS_URL ?? '') });
    try {
      const key = `parley:test:rate:route:conversations.create:${ada.user.id}:${window}`;
      expect(await raw.command('GET', key)).toBe('31');
      const ttl = Number(await raw.command('TTL', key));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    } finally {
      await raw.close();
    }
  });

  it('holds across function instances: another instance’s count reaches the same budget', async () => {
    const ada = await person();
    await awayFromMinuteEnd();
    for (let i = 0; i < 30; i += 1) expect((await create(ada.token)).status).toBe(201);

    // A second instance: its own limiter and its own connection to the same Redis.
    const cache = valkeyCache({ url: REDIS_URL ?? '', keyPrefix: 'parley:test:' });
    try {
      const elsewhere = cacheRouteBudgets({ cache: () => cache });
      const spent = await elsewhere.consume('conversations.create', ada.user.id, 30);
      expect(spent.allowed).toBe(false);
      expect(spent.retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      await cache.close();
    }
  });

  it('refuses the 11th export of a minute through the streaming exports function, before its stream starts', async () => {
    const ada = await person();
    const { id } = await db
      .insertInto('conversations')
      .values({ owner_id: ada.user.id, title: 'Exported' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await awayFromMinuteEnd();
    const download = async () => {
      const answer = await callStreaming(exports, {
        method: 'GET',
        path: `/api/conversations/${id}/export`,
        token: ada.token,
      });
      await answer.handlerDone;
      return answer;
    };

    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) statuses.push((await download()).status);
    const refused = await download();

    expect(statuses).toEqual(Array(10).fill(200));
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers['retry-after']).toMatch(/^([1-9]|[1-5][0-9]|60)$/);
    expect(refused.body).toMatchObject({ detail: 'You can make at most 10 exports a minute.' });
  });
});
