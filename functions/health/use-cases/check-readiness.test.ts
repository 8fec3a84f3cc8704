import { describe, expect, it } from 'vitest';

import { makeCheckReadiness, type ReadinessDeps } from './check-readiness';

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
});
