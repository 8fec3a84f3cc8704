export type CheckStatus = 'ok' | 'degraded' | 'down' | 'offline';

export interface Readiness {
  status: 'ok' | 'degraded' | 'down';
  checks: {
    database: { status: 'ok' | 'down'; latencyMs: number };
    cache: { status: 'ok' | 'down'; kind: 'valkey' | 'in-process'; latencyMs: number };
    llm: { status: 'ok' | 'offline'; provider: 'openai' | 'offline' };
  };
}

export interface ReadinessDeps {
  readonly database: () => Promise<{ status: 'ok' | 'down'; latencyMs: number }>;
  readonly cache: { readonly kind: 'valkey' | 'in-process'; ping(): Promise<void> };
  readonly llmConfigured: boolean;
  readonly timeoutMs?: number;
}

async function timed(
  probe: () => Promise<void>,
  timeoutMs: number,
): Promise<{ ok: boolean; latencyMs: number }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch {
    return { ok: false, latencyMs: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Down when the database is (nothing works without it); degraded when only the cache is (the API
 * works on without it). The model is reported, not probed: an offline model is a choice, and a
 * network call per probe would cost money. Never includes a secret, a host or an error text.
 */
export const makeCheckReadiness = (deps: ReadinessDeps) => async (): Promise<Readiness> => {
  const [database, cache] = await Promise.all([
    deps.database(),
    timed(() => deps.cache.ping(), deps.timeoutMs ?? 1000),
  ]);
  const cacheStatus = cache.ok ? 'ok' : 'down';
  const status = database.status === 'down' ? 'down' : cacheStatus === 'down' ? 'degraded' : 'ok';
  return {
    status,
    checks: {
      database: { status: database.status, latencyMs: database.latencyMs },
      cache: { status: cacheStatus, kind: deps.cache.kind, latencyMs: cache.latencyMs },
      llm: deps.llmConfigured
        ? { status: 'ok', provider: 'openai' }
        : { status: 'offline', provider: 'offline' },
    },
  };
};
