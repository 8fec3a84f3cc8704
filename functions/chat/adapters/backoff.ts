/**
 * Delay before retry number `retry` (1 for the first retry): "full jitter", a random delay between
 * 0 and an exponentially growing cap, which spreads the retries of many clients that failed
 * together instead of sending them back in waves.
 */
export function fullJitterDelay(
  retry: number,
  options: { readonly baseMs: number; readonly maxMs: number; readonly random: () => number },
): number {
  const cap = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(options.random() * cap);
}

export interface HeaderSource {
  get(name: string): string | null;
}

/**
 * How long the server asked us to wait, in ms: `retry-after-ms` (OpenAI's own, more precise),
 * else `Retry-After` as seconds or an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: HeaderSource | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const precise = headers.get('retry-after-ms')?.trim();
  if (precise && /^\d+(\.\d+)?$/.test(precise)) return Math.ceil(Number(precise));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  // Every HTTP date names its month; without this, Date.parse reads "-1" as a year.
  if (!/[a-z]/i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
