/**
 * The cache port: Valkey/Redis when configured, an in-process map otherwise. Callers must keep
 * working when it fails (rate limits fall back to per-instance counters; readiness says degraded).
 */
export interface Cache {
  readonly kind: 'valkey' | 'in-process';
  get(key: string): Promise<string | null>;
  /**
   * Stores `value` for `ttlSeconds`. With `onlyIfAbsent`, only where the key holds nothing (a
   * reader filling the cache never overwrites what a writer stored meanwhile). Resolves true when
   * it stored the value, false when `onlyIfAbsent` found the key taken: the answer of the write
   * itself, so a caller that claims a key needs no second read that could fail after it.
   */
  set(
    key: string,
    value: string,
    ttlSeconds: number,
    options?: { readonly onlyIfAbsent?: boolean },
  ): Promise<boolean>;
  /** Increments a counter, setting its expiry when it is created; returns the new value. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  delete(key: string): Promise<void>;
  /** Round-trip check for readiness; throws when unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
