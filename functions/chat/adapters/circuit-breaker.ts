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
  /** @default Date.now */
  readonly now?: () => number;
  readonly logger?: CircuitLogger;
}

export interface SharedCircuitBreaker {
  /**
   * Runs `fn` through the breaker. Throws CircuitOpenError without calling `fn` when the circuit
   * is open, locally or according to the shared cache; otherwise returns or throws what `fn` does.
   * A call that waits for another's probe gives up when `signal` aborts, throwing its reason.
   */
  execute<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /**
   * Starts reading the shared state now, for the next `execute` within PREFETCH_FRESH_MS: the
   * cache round trip then overlaps the caller's own work instead of preceding the call.
   */
  prefetch(): void;
  /** For metrics and readiness. */
  state(): CircuitStateName;
  /**
   * How long `execute` would still refuse a call, in ms (0: it would make one), by this
   * instance's breaker and the shared "open until": what a refusal's Retry-After says, asked again
   * later (a repeated request answering the refusal it stored). Never throws.
   */
  openForMs(): Promise<number>;
}

/** How old a prefetched shared state may be when `execute` uses it instead of reading again. */
export const PREFETCH_FRESH_MS = 2000;

/** This instance's own breaker. */
type LocalState =
  | { readonly kind: 'closed'; readonly failures: number }
  /** Refusing calls until `until`; the first call after it is the probe. */
  | { readonly kind: 'open'; readonly until: number }
  /** One probe in flight; calls meanwhile wait for its outcome. */
  | { readonly kind: 'half-open'; readonly probe: Promise<unknown> };

/**
 * A circuit breaker (consecutive failures open it; after `openMs` one probe, whose success closes
 * it and whose failure re-opens it) with its "open" shared through the cache: on opening it writes
 * `circuit:<name>:open-until` (epoch ms, expiring with it), and every instance reads that key
 * before a call, so one instance's discovery spares the provider the others' calls. The cache is
 * only ever an optimisation: when it fails or is slow, each instance keeps its own breaker.
 *
 * An error that is not a failure (`isFailure` false: the caller's own Stop, a bad request, the
 * key unreadable) proves nothing about the provider: it neither counts nor resets the count, and
 * a probe ending so leaves the circuit open, the next call probing again.
 */

export function sharedCircuitBreaker(options: SharedCircuitBreakerOptions): SharedCircuitBreaker {
  const now = options.now ?? Date.now;
  const key = `circuit:${options.name}:open-until`;
  const cacheTimeoutMs = options.cacheTimeoutMs ?? 250;
  let local: LocalState = { kind: 'closed', failures: 0 };
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

  const open = () => {
    const until = now() + options.openMs;
    local = { kind: 'open', until };
    options.logger?.warn('circuit breaker opened', { circuit: options.name, openMs: options.openMs });
    const cache = options.cache;
    if (!cache) return;
    const ttlSeconds = Math.max(1, Math.ceil(options.openMs / 1000));
    publishing = withinBudget(cache.set(key, String(until), ttlSeconds))
      .then(() => undefined)
      .catch(cacheFailed('set'));
  };

  const close = () => {
    local = { kind: 'closed', failures: 0 };
    sharedOpenUntil = 0;
    options.logger?.info('circuit breaker closed', { circuit: options.name });
    const cache = options.cache;
    if (!cache) return;
    publishing = withinBudget(cache.delete(key)).catch(cacheFailed('delete'));
  };

  const probe = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      const result = await fn();
      close();
      return result;
    } catch (error) {
      if (options.isFailure(error)) open();
      // Inconclusive: still open, and the next call is the probe.
      else local = { kind: 'open', until: now() };
      throw error;
    }
  };

  const run = async <T>(fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
    const state = local;
    if (state.kind === 'half-open') {
      await outcomeOf(state.probe, signal);
      return run(fn, signal);
    }
    if (state.kind === 'open') {
      if (now() < state.until)
        throw new CircuitOpenError(Math.max(1, Math.ceil(state.until - now())), 'local');
      const test = probe(fn);
      local = { kind: 'half-open', probe: test };
      return test;
    }
    try {
      const result = await fn();
      if (local.kind === 'closed') local = { kind: 'closed', failures: 0 };
      return result;
    } catch (error) {
      if (options.isFailure(error) && local.kind === 'closed') {
        const failures = local.failures + 1;
        if (failures >= options.failureThreshold) open();
        else local = { kind: 'closed', failures };
      }
      throw error;
    }
  };

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
    async execute<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      const ahead = prefetched;
      prefetched = undefined;
      sharedOpenUntil =
        ahead && now() - ahead.at <= PREFETCH_FRESH_MS ? await ahead.openUntil : await readShared();
      const sharedRemaining = sharedOpenUntil - now();
      // An instance whose own breaker is open or probing decides for itself: it owns the key.
      if (sharedRemaining > 0 && local.kind === 'closed')
        throw new CircuitOpenError(Math.ceil(sharedRemaining), 'shared');
      try {
        return await run(fn, signal);
      } finally {
        await flush();
      }
    },

    prefetch() {
      if (options.cache) prefetched = { at: now(), openUntil: readShared() };
    },

    async openForMs(): Promise<number> {
      // As execute decides: an instance whose own breaker is open or probing goes by it alone.
      if (local.kind === 'open') return Math.max(0, Math.ceil(local.until - now()));
      if (local.kind === 'half-open') return 0;
      return Math.max(0, Math.ceil((await readShared()) - now()));
    },

    state(): CircuitStateName {
      switch (local.kind) {
        case 'half-open':
          return 'half-open';
        case 'open':
          // The probe starts with the next call; report what that call would see.
          return now() < local.until ? 'open' : 'half-open';
        default:
          return now() < sharedOpenUntil ? 'open' : 'closed';
      }
    },
  };
}

/**
 * Waits for a probe to settle, or rejects with the signal's reason as soon as it aborts: a probe
 * may take up to the model's first-token timeout, and a call waiting on it (its owner pressed
 * Stop, say) must not wait as long only to give up.
 */
function outcomeOf(probe: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  const settled = probe.then(
    () => undefined,
    () => undefined,
  );
  if (!signal) return settled;
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void settled.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
