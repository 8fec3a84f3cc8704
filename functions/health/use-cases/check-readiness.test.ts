import { describe, expect, it, vi } from 'vitest';

import {
  DATABASE_DOWN_TTL_MS,
  DATABASE_OK_TTL_MS,
  makeCheckReadiness,
  type ReadinessDeps,
} from './check-readiness';

const SECRET_TEXT = 'ECONNREFUSED 10.0.0.5:6379 user=parley password=hunter2';

const databaseUp: ReadinessDeps['database'] = async () => ({ status: 'ok', latencyMs: 3 });
const databaseDown: ReadinessDeps['database'] = async () => ({ status: 'down', latencyMs: 2000 });

const cacheUp = (kind: 'valkey' | 'in-process' = 'valkey') => ({ kind, ping: async () => undefined });
const cacheThrowing = { kind: 'valkey' as const, ping: async () => Promise.reject(new Error(SECRET_TEXT)) };
const cacheHanging = { kind: 'valkey' as const, ping: () => new Promise<void>(() => undefined) };

const deps = (overrides: Partial<ReadinessDeps> = {}): ReadinessDeps => ({
  database: databaseUp,
  cache: cacheUp(),
  llmConfigured: true,
  timeoutMs: 50,
  ...overrides,
});

describe('checkReadiness', () => {
  it('is ok when the database and the cache answer', async () => {
    // Prepare
    const checkReadiness = makeCheckReadiness(deps());

    // Act
    const readiness = await checkReadiness();

    // Assess
    expect(readiness).toEqual({
      status: 'ok',
      checks: {
        database: { status: 'ok', latencyMs: 3 },
        cache: { status: 'ok', kind: 'valkey', latencyMs: expect.any(Number) },
        llm: { status: 'ok', provider: 'openai' },
      },
    });
  });

  it('reports the in-process cache kind', async () => {
    const readiness = await makeCheckReadiness(deps({ cache: cacheUp('in-process') }))();

    expect(readiness.checks.cache).toMatchObject({ status: 'ok', kind: 'in-process' });
  });

  it('is degraded, not down, when the cache ping throws', async () => {
    const readiness = await makeCheckReadiness(deps({ cache: cacheThrowing }))();

    expect(readiness.status).toBe('degraded');
    expect(readiness.checks.cache.status).toBe('down');
    expect(readiness.checks.database.status).toBe('ok');
  });

  it('tells cacheFailed why the cache is down (its error), once per check, and not when it answers', async () => {
    // Prepare
    const cacheFailed = vi.fn();
    const failing = makeCheckReadiness(deps({ cache: cacheThrowing, cacheFailed }));
    const answering = makeCheckReadiness(deps({ cacheFailed }));

    // Act
    await failing();
    await failing();
    await answering();

    // Assess
    expect(cacheFailed).toHaveBeenCalledTimes(2);
    expect(cacheFailed).toHaveBeenCalledWith(
      expect.objectContaining({ message: SECRET_TEXT }),
      expect.any(Number),
    );
  });

  it("tells cacheFailed 'timeout' when the cache ping hangs past the timeout", async () => {
    const cacheFailed = vi.fn();

    await makeCheckReadiness(deps({ cache: cacheHanging, timeoutMs: 20, cacheFailed }))();

    expect(cacheFailed).toHaveBeenCalledOnce();
    expect(cacheFailed).toHaveBeenCalledWith('timeout', expect.any(Number));
  });

  it('is degraded when the cache ping hangs past the timeout, and answers soon after it', async () => {
    const started = performance.now();

    const readiness = await makeCheckReadiness(deps({ cache: cacheHanging, timeoutMs: 50 }))();

    const elapsed = performance.now() - started;
    expect(readiness.status).toBe('degraded');
    expect(readiness.checks.cache.status).toBe('down');
    expect(readiness.checks.cache.latencyMs).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('is down when the database is down, whatever the cache says', async () => {
    const withCache = await makeCheckReadiness(deps({ database: databaseDown }))();
    const withoutCache = await makeCheckReadiness(deps({ database: databaseDown, cache: cacheThrowing }))();

    expect(withCache.status).toBe('down');
    expect(withoutCache.status).toBe('down');
    expect(withCache.checks.database).toEqual({ status: 'down', latencyMs: 2000 });
  });

  it('is degraded, not down, while Aurora resumes from zero capacity, and reuses that only briefly', async () => {
    // Prepare
    let clock = 0;
    const database = vi.fn(async () => ({ status: 'resuming' as const, latencyMs: 40 }));
    const check = makeCheckReadiness(deps({ database, now: () => clock }));

    // Act
    const first = await check();
    clock = DATABASE_DOWN_TTL_MS - 1;
    await check();
    clock = DATABASE_DOWN_TTL_MS;
    await check();

    // Assess
    expect(first.status).toBe('degraded');
    expect(first.checks.database).toEqual({ status: 'resuming', latencyMs: 40 });
    expect(database).toHaveBeenCalledTimes(2);
  });

  it('probes the database and the cache at the same time', async () => {
    const order: string[] = [];
    const slow = (name: string) => async () => {
      order.push(`${name}:start`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push(`${name}:end`);
    };

    await makeCheckReadiness(
      deps({
        database: async () => {
          await slow('db')();
          return { status: 'ok', latencyMs: 20 };
        },
        cache: { kind: 'valkey', ping: slow('cache') },
      }),
    )();

    expect(order.slice(0, 2).sort()).toEqual(['cache:start', 'db:start']);
  });

  it('reports the model as offline when none is configured, without changing the status', async () => {
    const readiness = await makeCheckReadiness(deps({ llmConfigured: false }))();

    expect(readiness.checks.llm).toEqual({ status: 'offline', provider: 'offline' });
    expect(readiness.status).toBe('ok');
  });

  it('reports a configured model as openai', async () => {
    const readiness = await makeCheckReadiness(deps({ llmConfigured: true }))();

    expect(readiness.checks.llm).toEqual({ status: 'ok', provider: 'openai' });
  });

  it('never includes the text of a probe error', async () => {
    const readiness = await makeCheckReadiness(deps({ cache: cacheThrowing, database: databaseDown }))();

    const text = JSON.stringify(readiness);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('10.0.0.5');
    expect(text).not.toContain('ECONNREFUSED');
    expect(text).not.toMatch(/timeout/i);
  });

  it('uses a one-second cache timeout by default', async () => {
    const started = performance.now();

    const readiness = await makeCheckReadiness(deps({ cache: cacheHanging, timeoutMs: undefined }))();

    const elapsed = performance.now() - started;
    expect(readiness.checks.cache.status).toBe('down');
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(2_000);
  });

  it('reuses an ok database answer for at least a minute, and asks again after it', async () => {
    // Prepare
    let clock = 0;
    const answers: ReadinessDeps['database'][] = [databaseUp, databaseDown];
    let queries = 0;
    const checkReadiness = makeCheckReadiness(
      deps({ database: () => (answers[queries++] ?? databaseDown)(), now: () => clock }),
    );

    // Act
    const first = await checkReadiness();
    clock = DATABASE_OK_TTL_MS - 1;
    const cached = await checkReadiness();
    clock = DATABASE_OK_TTL_MS;
    const refreshed = await checkReadiness();

    // Assess
    expect(DATABASE_OK_TTL_MS).toBeGreaterThanOrEqual(60_000);
    expect(first.status).toBe('ok');
    expect(cached.status).toBe('ok');
    expect(refreshed.status).toBe('down');
    expect(queries).toBe(2);
  });

  it('reuses a down answer only briefly, so a recovery shows within seconds', async () => {
    let clock = 0;
    let queries = 0;
    const answers: ReadinessDeps['database'][] = [databaseDown, databaseUp];
    const checkReadiness = makeCheckReadiness(
      deps({ database: () => (answers[queries++] ?? databaseUp)(), now: () => clock }),
    );

    expect((await checkReadiness()).status).toBe('down');
    clock = DATABASE_DOWN_TTL_MS - 1;
    expect((await checkReadiness()).status).toBe('down');
    clock = DATABASE_DOWN_TTL_MS;
    expect((await checkReadiness()).status).toBe('ok');
    expect(DATABASE_DOWN_TTL_MS).toBeLessThan(DATABASE_OK_TTL_MS);
    expect(queries).toBe(2);
  });

  it('pings the cache on every probe, even while the database answer is reused', async () => {
    let pings = 0;
    const checkReadiness = makeCheckReadiness(
      deps({ cache: { kind: 'valkey', ping: async () => void pings++ }, now: () => 0 }),
    );

    await checkReadiness();
    await checkReadiness();

    expect(pings).toBe(2);
  });

  it('asks again after a database probe that threw, instead of keeping the failure', async () => {
    let calls = 0;
    const checkReadiness = makeCheckReadiness(
      deps({
        database: async () => {
          calls += 1;
          if (calls === 1) throw new Error(SECRET_TEXT);
          return { status: 'ok', latencyMs: 1 };
        },
        now: () => 0,
      }),
    );

    await expect(checkReadiness()).rejects.toThrow();
    expect((await checkReadiness()).status).toBe('ok');
  });
});
