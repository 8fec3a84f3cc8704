export type CheckStatus = 'ok' | 'degraded' | 'down' | 'offline';

export interface Readiness {
  status: 'ok' | 'degraded' | 'down';
  checks: {
    database: { status: DatabaseCheck['status']; latencyMs: number };
    cache: { status: 'ok' | 'down'; kind: 'valkey' | 'in-process'; latencyMs: number };
    llm: { status: 'ok' | 'offline'; provider: 'openai' | 'offline' };
  };
}

/**
 * `resuming`: Aurora Serverless is resuming from zero capacity (about 15 s): requests wait for it
 * and then succeed, so the API is slow for a moment, not down.
 */
type DatabaseCheck = { status: 'ok' | 'resuming' | 'down'; latencyMs: number };

export interface ReadinessDeps {
  readonly database: () => Promise<DatabaseCheck>;
  readonly cache: { readonly kind: 'valkey' | 'in-process'; ping(): Promise<void> };
  readonly llmConfigured: boolean;
  /** How long the cache ping may take. @default 1000 */
  readonly timeoutMs?: number;
  /**
   * Told why the cache ping failed (its error, or `'timeout'`), once per readiness check that found
   * it down: the answer says `down` and nothing more, so the wiring logs the cause from this.
   */
  readonly cacheFailed?: (failure: unknown, latencyMs: number) => void;
  /**
   * How long a database answer of `ok` is reused. The probe is public: each query would keep an
   * Aurora cluster that scales to zero awake, so at most one query per instance per period.
   * @default DATABASE_OK_TTL_MS
   */
  readonly databaseOkTtlMs?: number;
  /**
   * How long `down` (or `resuming`) is reused: short, so a recovery shows soon.
   * @default DATABASE_DOWN_TTL_MS
   */
  readonly databaseDownTtlMs?: number;
  /** Milliseconds of a monotonic clock (tests pass their own). @default performance.now */
  readonly now?: () => number;
}

/** A minute at least: probes every few seconds then cost one query a minute per instance. */
export const DATABASE_OK_TTL_MS = 60_000;
/** Long enough that a probe storm against a broken database costs one query each 10 s. */
export const DATABASE_DOWN_TTL_MS = 10_000;

/** A probe's result: how long it took and, when it failed, why (its error, or `'timeout'`). */
type Probe = { ok: true; latencyMs: number } | { ok: false; latencyMs: number; failure: unknown };

async function timed(probe: () => Promise<void>, timeoutMs: number): Promise<Probe> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timedOut = Symbol('timeout');
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(timedOut), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: elapsed() };
  } catch (error) {
    return { ok: false, latencyMs: elapsed(), failure: error === timedOut ? 'timeout' : error };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Down when the database is (nothing works without it); degraded when only the cache is (the API
 * works on without it) or when Aurora is resuming from zero capacity (requests wait for it). The model is reported, not probed: an offline model is a choice, and a
 * network call per probe would cost money. Never includes a secret, a host or an error text.
 * The database answer is reused for a while (see `databaseOkTtlMs`); the cache is pinged each time.
 */
export const makeCheckReadiness = (deps: ReadinessDeps): (() => Promise<Readiness>) => {
  const checkDatabase = cachedDatabaseCheck(deps);
  return async () => {
    const [database, cache] = await Promise.all([
      checkDatabase(),
      timed(() => deps.cache.ping(), deps.timeoutMs ?? 1000),
    ]);
    if (!cache.ok) deps.cacheFailed?.(cache.failure, cache.latencyMs);
    return readiness(database, cache, deps);
  };
};

/**
 * The database check, reused for a while: `ok` for `databaseOkTtlMs`, `down` for
 * `databaseDownTtlMs`. Concurrent probes while a check runs share that check.
 */
function cachedDatabaseCheck(deps: ReadinessDeps): ReadinessDeps['database'] {
  const now = deps.now ?? (() => performance.now());
  const okTtl = deps.databaseOkTtlMs ?? DATABASE_OK_TTL_MS;
  const downTtl = deps.databaseDownTtlMs ?? DATABASE_DOWN_TTL_MS;
  let last: { result: DatabaseCheck; at: number } | undefined;
  let running: Promise<DatabaseCheck> | undefined;
  return async () => {
    if (last && now() - last.at < (last.result.status === 'ok' ? okTtl : downTtl)) return last.result;
    running ??= deps.database().then(
      (result) => {
        last = { result, at: now() };
        running = undefined;
        return result;
      },
      (error: unknown) => {
        running = undefined;
        throw error;
      },
    );
    return running;
  };
}

function readiness(database: DatabaseCheck, cache: Probe, deps: ReadinessDeps): Readiness {
  const cacheStatus = cache.ok ? 'ok' : 'down';
  const status =
    database.status === 'down'
      ? 'down'
      : database.status === 'resuming' || cacheStatus === 'down'
        ? 'degraded'
        : 'ok';
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
}
