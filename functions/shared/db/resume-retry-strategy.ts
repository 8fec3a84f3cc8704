import { DatabaseResumingException } from '@aws-sdk/client-rds-data';
import { DEFAULT_MAX_ATTEMPTS, StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';

// Aurora Serverless v2 can pause at zero capacity; the first Data API call then fails with
// DatabaseResumingException while the cluster resumes (typically up to ~15 s). That call was not
// executed, so it is always safe to send it again. The SDK's standard strategy would not: the
// exception is a 400 client error, and its 3 attempts within a second would not outlast a resume.

export interface ResumeRetryOptions {
  /** Give up once the next retry would start this long after the first attempt. @default 45_000 */
  readonly maxElapsedMs?: number;
  /** Delay cap before the first retry; doubles after each resume retry. @default 500 */
  readonly baseDelayMs?: number;
  /** Largest delay between two attempts. @default 8_000 */
  readonly maxDelayMs?: number;
  /** For tests. @default Math.random */
  readonly random?: () => number;
  /** For tests. @default Date.now */
  readonly now?: () => number;
  /**
   * Decides every error that is not DatabaseResumingException (throttling, 5xx, network).
   * @default the SDK's StandardRetryStrategy with its default 3 attempts
   */
  readonly standard?: RetryStrategyV2;
}

export function isDatabaseResuming(error: unknown): boolean {
  return (
    error instanceof DatabaseResumingException ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { name?: unknown }).name === 'DatabaseResumingException')
  );
}

/**
 * Keeps the standard strategy's own token (its retry count and capacity cost drive its decisions)
 * beside this strategy's state, so resume retries do not use up the standard attempts.
 */
class ResumeRetryToken implements RetryToken {
  constructor(
    readonly standard: RetryToken,
    readonly startedAt: number,
    readonly resumeRetries: number,
    /** What the SDK's retry middleware sleeps before the next attempt. */
    private readonly delayMs: number,
    /** The standard token's record of a delay it already slept (counted in `totalRetryDelay`). */
    readonly $retryLog?: RetryToken['$retryLog'],
  ) {}

  getRetryCount(): number {
    return this.standard.getRetryCount() + this.resumeRetries;
  }

  getRetryDelay(): number {
    return this.delayMs;
  }
}

/**
 * An SDK retry strategy (`new RDSData({ retryStrategy })`) that retries DatabaseResumingException
 * with exponential backoff and jitter (half fixed, half random, so retries from many cold Lambdas
 * spread out yet still back off), bounded by `maxElapsedMs` in all, and leaves every other error
 * to the SDK's standard strategy. The SDK's retry middleware sleeps `getRetryDelay()` between
 * attempts; it only runs inside `client.send`, so a stubbed `send` (aws-sdk-client-mock) never
 * reaches this strategy.
 */
export class ResumeRetryStrategy implements RetryStrategyV2 {
  private readonly maxElapsedMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly standard: RetryStrategyV2;

  constructor(options: ResumeRetryOptions = {}) {
    this.maxElapsedMs = options.maxElapsedMs ?? 45_000;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 8_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    // One instance per client, as the SDK does: its retry capacity is shared by the client's calls.
    this.standard = options.standard ?? new StandardRetryStrategy({ maxAttempts: DEFAULT_MAX_ATTEMPTS });
  }

  async acquireInitialRetryToken(retryTokenScope: string): Promise<RetryToken> {
    const standard = await this.standard.acquireInitialRetryToken(retryTokenScope);
    return new ResumeRetryToken(standard, this.now(), 0, standard.getRetryDelay());
  }

  async refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    if (!(token instanceof ResumeRetryToken)) {
      throw new Error('ResumeRetryStrategy was given a retry token it did not issue');
    }
    if (!isDatabaseResuming(errorInfo.error)) {
      // Throws when the standard strategy will not retry; the middleware then throws the error.
      const standard = await this.standard.refreshRetryTokenForRetry(token.standard, errorInfo);
      return new ResumeRetryToken(
        standard,
        token.startedAt,
        token.resumeRetries,
        standard.getRetryDelay(),
        standard.$retryLog,
      );
    }
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** token.resumeRetries);
    const delay = Math.round(cap / 2 + this.random() * (cap / 2));
    if (this.now() - token.startedAt + delay > this.maxElapsedMs) {
      throw new Error(`The database did not resume within ${this.maxElapsedMs} ms`);
    }
    return new ResumeRetryToken(token.standard, token.startedAt, token.resumeRetries + 1, delay);
  }

  recordSuccess(token: RetryToken): void {
    // The standard strategy returns the capacity its retries took once a call succeeds.
    if (token instanceof ResumeRetryToken) this.standard.recordSuccess(token.standard);
  }
}
