/** Counts a caller's requests in a window; refuses beyond the limit. */
export interface RateLimiter {
  readonly limitPerMinute: number;
  consume(key: string): Promise<{ readonly allowed: boolean; readonly retryAfterSeconds: number }>;
}
