import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  IsolatedCircuitError,
} from 'cockatiel';

import type { Cache } from '#shared/cache/cache';
import type { CircuitStateName } from '../ports/chat-model';

/** A call was refused without being made: the circuit is open here or on another instance. */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
  constructor(
    /** Until the circuit lets a probe through; always at least 1 ms. */
    readonly retryAfterMs: number,
    readonly scope: 'local' | 'shared',
  ) {
    super(`circuit open (${scope}) for another ${retryAfterMs} ms`);
  }
}

export interface CircuitLogger {
  warn(message: string, extra: Record<string, unknown>): void;
  info(message: string, extra: Record<string, unknown>): void;
}

export interface SharedCircuitBreakerOptions {
  /** Names the shared key: `circuit:<name>:open-until`. */
  readonly name: string;
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long an open circuit refuses calls before one probe goes through. */
  readonly openMs: number;
  /** Which errors count against the provider (anything else is neither success nor failure). */
  readonly isFailure: (error: unknown) => boolean;
  /** Where instances share "open until"; without one the breaker is per instance. */
  readonly cache?: Cache;
  /** A slow cache must not slow every chat call: give up on it after this long. @default 250 */
  readonly cacheTimeoutMs?: number;
  /**
   * For the shared "open until". cockatiel times its own half-open transition with Date.now(),
   * so a test that moves time fakes Date (vi.setSystemTime) and keeps this default.
   * @default Date.now
   */
  readonly now?: () => number;
  readonly logger?: CircuitLogger;
}

export interface SharedCircuitBreaker {
  /**
   * Runs `fn` through the breaker. Throws CircuitOpenError without calling `fn` when the circuit
   * is open, locally or according to the shared cache; otherwise returns or throws what `fn` does.
   */
  execute<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Starts reading the shared state now, for the next `execute` within PREFETCH_FRESH_MS: the
   * cache round trip then overlaps the caller's own work instead of preceding the call.
   */
  prefetch(): void;
  /** For metrics and readiness. */
  state(): CircuitStateName;
}

/**
 * cockatiel's circuit breaker (consecutive failures; after `openMs` one probe, whose outcome
 * closes or re-opens it) with its "open" shared through the cache: on opening it writes
 * `circuit:<name>:open-until` (epoch ms, expiring with it), and every instance reads that key
 * before a call, so one instance's discovery spares the provider the others' calls. The cache is
 * only ever an optimisation: when it fails or is slow, each instance keeps its own breaker.
 */
/** How old a prefetched shared state may be when `execute` uses it instead of reading again. */
export const PREFETCH_FRESH_MS = 2000;

export function sharedCircuitBreaker(options: SharedCircuitBreakerOptions): SharedCircuitBreaker {
  const now = options.now ?? Date.now;
  const key = `circuit:${options.name}:open-until`;
  const cacheTimeoutMs = options.cacheTimeoutMs ?? 250;
  const policy = circuitBreaker(handleWhen(options.isFailure), {
    halfOpenAfter: options.openMs,
    breaker: new ConsecutiveBreaker(options.failureThreshold),
  });
  let localOpenUntil = 0;
  let sharedOpenUntil = 0;
  // The cache write of a state change, awaited before the triggering call returns, so that by
  // the time a caller sees the failure every other instance can see the open circuit.
  let publishing: Promise<void> | undefined;

  const withinBudget = <T>(operation: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      operation,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`cache gave no answer in ${cacheTimeoutMs} ms`)),
          cacheTimeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  };

  const cacheFailed = (operation: string) => (error: unknown) => {
    options.logger?.warn('circuit breaker: cache unavailable, using the local breaker only', {
      circuit: options.name,
      operation,
      error: error instanceof Error ? error.message : String(error),
    });
  };

  policy.onBreak(() => {
    localOpenUntil = now() + options.openMs;
    options.logger?.warn('circuit breaker opened', { circuit: options.name, openMs: options.openMs });
    const cache = options.cache;
    if (!cache) return;
    const ttlSeconds = Math.max(1, Math.ceil(options.openMs / 1000));
    publishing = withinBudget(cache.set(key, String(localOpenUntil), ttlSeconds)).catch(cacheFailed('set'));
  });
  policy.onReset(() => {
    localOpenUntil = 0;
    sharedOpenUntil = 0;
    options.logger?.info('circuit breaker closed', { circuit: options.name });
    const cache = options.cache;
    if (!cache) return;
    publishing = withinBudget(cache.delete(key)).catch(cacheFailed('delete'));
  });

  const readShared = async (): Promise<number> => {
    if (!options.cache) return 0;
    try {
      const value = await withinBudget(options.cache.get(key));
      const until = Number(value);
      return value !== null && Number.isFinite(until) ? until : 0;
    } catch (error) {
      cacheFailed('get')(error);
      return 0;
    }
  };

  let prefetched: { readonly at: number; readonly openUntil: Promise<number> } | undefined;

  const flush = async () => {
    const pending = publishing;
    publishing = undefined;
    await pending;
  };

  return {
    async execute<T>(fn: () => Promise<T>): Promise<T> {
      const ahead = prefetched;
      prefetched = undefined;
      sharedOpenUntil =
        ahead && now() - ahead.at <= PREFETCH_FRESH_MS ? await ahead.openUntil : await readShared();
      const sharedRemaining = sharedOpenUntil - now();
      // An instance whose own breaker is open or probing decides for itself: it owns the key.
      if (sharedRemaining > 0 && policy.state === CircuitState.Closed)
        throw new CircuitOpenError(Math.ceil(sharedRemaining), 'shared');
      try {
        return await policy.execute(fn);
      } catch (error) {
        if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError)
          throw new CircuitOpenError(Math.max(1, Math.ceil(localOpenUntil - now())), 'local');
        throw error;
      } finally {
        await flush();
      }
    },

    prefetch() {
      if (options.cache) prefetched = { at: now(), openUntil: readShared() };
    },

    state(): CircuitStateName {
      switch (policy.state) {
        case CircuitState.HalfOpen:
          return 'half-open';
        case CircuitState.Open:
        case CircuitState.Isolated:
          // cockatiel moves to half-open lazily, on the next call; report what that call would see.
          return now() < localOpenUntil ? 'open' : 'half-open';
        default:
          return now() < sharedOpenUntil ? 'open' : 'closed';
      }
    },
  };
}
