import { BadRequestException, DatabaseResumingException, RDSData } from '@aws-sdk/client-rds-data';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from '@smithy/types';
import { afterEach, describe, expect, it } from 'vitest';

import {
  resumingReply,
  selectOneReply,
  startDataApiTestServer,
  type DataApiReply,
  type DataApiTestServer,
} from './data-api-test-server';
import { isDatabaseResuming, ResumeRetryStrategy } from './resume-retry-strategy';

/**
 * What the SDK's retry middleware hands the strategy. `SdkError` narrows `cause` to `Error`, which
 * an ES2022 `Error` (`cause: unknown`) does not satisfy, hence the cast.
 */
const errorInfo = (error: Error, errorType: RetryErrorInfo['errorType']): RetryErrorInfo => ({
  error: error as RetryErrorInfo['error'],
  errorType,
});
const resumingError = () =>
  errorInfo(
    new DatabaseResumingException({ message: 'The database is resuming', $metadata: {} }),
    'CLIENT_ERROR',
  );
const badRequestError = () =>
  errorInfo(
    new BadRequestException({ message: 'ERROR: syntax error; SQLState: 42601', $metadata: {} }),
    'CLIENT_ERROR',
  );
const serverError = (errorType: RetryErrorInfo['errorType']) =>
  errorInfo(
    Object.assign(new Error('Service Unavailable'), {
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
    }),
    errorType,
  );

/** A clock the test moves on by each delay the strategy asks for, as the SDK's sleep would. */
function fakeClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

/** A standard strategy that records what it was asked and retries with a fixed 7 ms delay. */
function recordingStandard() {
  const refreshed: RetryErrorInfo[] = [];
  const succeeded: RetryToken[] = [];
  const token = (count: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 7 });
  const standard: RetryStrategyV2 = {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous, errorInfo) => {
      refreshed.push(errorInfo);
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: (retryToken) => void succeeded.push(retryToken),
  };
  return { standard, refreshed, succeeded };
}

/** Refreshes `token` with `errorInfo` until the strategy refuses; returns the delays it gave. */
async function delaysUntilRefused(
  strategy: RetryStrategyV2,
  errorInfo: () => RetryErrorInfo,
  clock: ReturnType<typeof fakeClock>,
): Promise<{ delays: number[]; refusal: unknown }> {
  let token = await strategy.acquireInitialRetryToken('');
  const delays: number[] = [];
  for (;;) {
    try {
      token = await strategy.refreshRetryTokenForRetry(token, errorInfo());
    } catch (refusal) {
      return { delays, refusal };
    }
    delays.push(token.getRetryDelay());
    clock.advance(token.getRetryDelay());
  }
}

describe('ResumeRetryStrategy', () => {
  it('retries a resuming database after a half-fixed, half-random delay that doubles', async () => {
    // Prepare
    const clock = fakeClock();
    const strategy = new ResumeRetryStrategy({ now: clock.now, random: () => 0.5 });
    const first = await strategy.acquireInitialRetryToken('');

    // Act
    const second = await strategy.refreshRetryTokenForRetry(first, resumingError());
    clock.advance(second.getRetryDelay());
    const third = await strategy.refreshRetryTokenForRetry(second, resumingError());

    // Assess: caps of 500 then 1000 ms, each half fixed plus half of it times random()
    expect([second.getRetryDelay(), third.getRetryDelay()]).toEqual([375, 750]);
    expect(third.getRetryCount()).toBe(2);
  });

  it('spreads the delay between half the cap and the cap', async () => {
    const lowest = new ResumeRetryStrategy({ random: () => 0 });
    const highest = new ResumeRetryStrategy({ random: () => 1 });

    const low = await lowest.refreshRetryTokenForRetry(
      await lowest.acquireInitialRetryToken(''),
      resumingError(),
    );
    const high = await highest.refreshRetryTokenForRetry(
      await highest.acquireInitialRetryToken(''),
      resumingError(),
    );

    expect([low.getRetryDelay(), high.getRetryDelay()]).toEqual([250, 500]);
  });

  it('caps the delay at maxDelayMs', async () => {
    const clock = fakeClock();
    const strategy = new ResumeRetryStrategy({ now: clock.now, random: () => 1, maxElapsedMs: 60_000 });

    const { delays } = await delaysUntilRefused(strategy, resumingError, clock);

    expect(delays.slice(0, 7)).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('stops retrying once the next attempt would start after maxElapsedMs', async () => {
    // Prepare
    const clock = fakeClock();
    const strategy = new ResumeRetryStrategy({ now: clock.now, random: () => 1 });

    // Act
    const { delays, refusal } = await delaysUntilRefused(strategy, resumingError, clock);

    // Assess: 500 + 1000 + 2000 + 4000 + 8000 × 4 = 39 500 ms; one more 8 s wait would pass 45 s
    expect(refusal).toEqual(new Error('The database did not resume within 45000 ms'));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
    expect(clock.now()).toBeLessThanOrEqual(45_000);
  });

  it('counts the time spent on the attempts themselves against maxElapsedMs', async () => {
    const clock = fakeClock();
    const strategy = new ResumeRetryStrategy({ now: clock.now, random: () => 1, maxElapsedMs: 2_000 });
    const token = await strategy.acquireInitialRetryToken('');

    clock.advance(1_600); // a slow first attempt

    await expect(strategy.refreshRetryTokenForRetry(token, resumingError())).rejects.toThrow(
      'did not resume within 2000 ms',
    );
  });

  it('does not retry a client error that is not DatabaseResumingException', async () => {
    const strategy = new ResumeRetryStrategy();
    const token = await strategy.acquireInitialRetryToken('');

    await expect(strategy.refreshRetryTokenForRetry(token, badRequestError())).rejects.toThrow(
      'No retry token available',
    );
  });

  it('leaves throttling and server errors to the standard strategy', async () => {
    // Prepare
    const { standard, refreshed } = recordingStandard();
    const strategy = new ResumeRetryStrategy({ standard });
    const throttled = errorInfo(new Error('Rate exceeded'), 'THROTTLING');
    const unavailable = serverError('TRANSIENT');

    // Act
    const first = await strategy.refreshRetryTokenForRetry(
      await strategy.acquireInitialRetryToken(''),
      throttled,
    );
    const second = await strategy.refreshRetryTokenForRetry(first, unavailable);

    // Assess: the standard strategy decided, and its delay is the one the SDK waits
    expect(refreshed).toEqual([throttled, unavailable]);
    expect([first.getRetryDelay(), second.getRetryDelay()]).toEqual([7, 7]);
    expect(second.getRetryCount()).toBe(2);
  });

  it('gives up on server errors after the standard 3 attempts', async () => {
    const clock = fakeClock();
    const strategy = new ResumeRetryStrategy({ now: clock.now });

    const { delays, refusal } = await delaysUntilRefused(strategy, () => serverError('TRANSIENT'), clock);

    expect(delays).toHaveLength(2);
    expect(refusal).toEqual(new Error('No retry token available'));
  });

  it('does not count resume retries against the standard attempts', async () => {
    // Prepare: a standard strategy that allows 2 attempts, i.e. one retry
    const strategy = new ResumeRetryStrategy({ standard: new StandardRetryStrategy(2), random: () => 0 });
    let token = await strategy.acquireInitialRetryToken('');
    for (let i = 0; i < 4; i++) token = await strategy.refreshRetryTokenForRetry(token, resumingError());

    // Act
    token = await strategy.refreshRetryTokenForRetry(token, serverError('TRANSIENT'));

    // Assess
    expect(token.getRetryCount()).toBe(5);
    await expect(strategy.refreshRetryTokenForRetry(token, serverError('TRANSIENT'))).rejects.toThrow(
      'No retry token available',
    );
  });

  it('resets the resume backoff and time budget for each call', async () => {
    const clock = fakeClock();
    const strategy = new ResumeRetryStrategy({ now: clock.now, random: () => 1, maxElapsedMs: 1_000 });
    await delaysUntilRefused(strategy, resumingError, clock);

    const next = await strategy.refreshRetryTokenForRetry(
      await strategy.acquireInitialRetryToken(''),
      resumingError(),
    );

    expect(next.getRetryDelay()).toBe(500);
  });

  it('hands the standard token back to the standard strategy on success', async () => {
    const { standard, succeeded } = recordingStandard();
    const strategy = new ResumeRetryStrategy({ standard });
    const first = await strategy.refreshRetryTokenForRetry(
      await strategy.acquireInitialRetryToken(''),
      serverError('TRANSIENT'),
    );
    const second = await strategy.refreshRetryTokenForRetry(first, resumingError());

    strategy.recordSuccess(second);

    expect(succeeded.map((token) => token.getRetryCount())).toEqual([1]);
  });

  it('refuses a retry token it did not issue', async () => {
    const strategy = new ResumeRetryStrategy();
    const foreign: RetryToken = { getRetryCount: () => 0, getRetryDelay: () => 0 };

    await expect(strategy.refreshRetryTokenForRetry(foreign, resumingError())).rejects.toThrow(
      'did not issue',
    );
  });
});

describe('isDatabaseResuming', () => {
  it('recognises the exception by class and by name (errors crossing module copies)', () => {
    expect(isDatabaseResuming(resumingError().error)).toBe(true);
    expect(isDatabaseResuming(Object.assign(new Error('x'), { name: 'DatabaseResumingException' }))).toBe(
      true,
    );
    expect(isDatabaseResuming(new Error('x'))).toBe(false);
    expect(isDatabaseResuming(undefined)).toBe(false);
  });
});

describe('ResumeRetryStrategy through the SDK retry middleware', () => {
  let server: DataApiTestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const clientOf = (running: DataApiTestServer, strategy: RetryStrategyV2) =>
    new RDSData({
      endpoint: running.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      retryStrategy: strategy,
    });
  const selectOne = (client: RDSData) =>
    client.executeStatement({ resourceArn: 'arn:r', secretArn: 'arn:s', sql: 'select 1 as one' });
  const serverUnavailable: DataApiReply = {
    status: 503,
    errorType: 'ServiceUnavailableError',
    body: { message: 'Service Unavailable' },
  };

  it('resends ExecuteStatement while the database resumes, then returns its result', async () => {
    // Prepare
    server = await startDataApiTestServer((index) => (index < 2 ? resumingReply : selectOneReply));
    const client = clientOf(server, new ResumeRetryStrategy({ baseDelayMs: 4, maxDelayMs: 10 }));

    // Act
    const result = await selectOne(client);

    // Assess
    expect(result.records).toEqual([[{ longValue: 1 }]]);
    expect(result.$metadata.attempts).toBe(3);
    expect(server.requests.map((request) => request.path)).toEqual(['/Execute', '/Execute', '/Execute']);
    expect(server.requests[2]?.body).toMatchObject({ sql: 'select 1 as one' });
  });

  it('fails with DatabaseResumingException once maxElapsedMs is spent', async () => {
    // Prepare: a clock that reads 0 ms at the first attempt and 10 ms more at each failure, so
    // the 4th failure (40 ms + a 4 ms delay > 35 ms) ends the call whatever the machine's speed
    server = await startDataApiTestServer(() => resumingReply);
    let reads = 0;
    const strategy = new ResumeRetryStrategy({
      baseDelayMs: 4,
      maxDelayMs: 4,
      random: () => 1,
      maxElapsedMs: 35,
      now: () => reads++ * 10,
    });
    const client = clientOf(server, strategy);

    // Act
    const error = await selectOne(client).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DatabaseResumingException);
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 400, attempts: 4 } });
    expect(server.requests).toHaveLength(4);
  });

  it('sends a statement that fails with another client error only once', async () => {
    server = await startDataApiTestServer(() => ({
      status: 400,
      errorType: 'BadRequestException',
      body: { message: 'ERROR: syntax error; SQLState: 42601' },
    }));
    const client = clientOf(server, new ResumeRetryStrategy({ baseDelayMs: 4 }));

    await expect(selectOne(client)).rejects.toBeInstanceOf(BadRequestException);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 503 the standard way: 3 attempts in all', async () => {
    server = await startDataApiTestServer(() => serverUnavailable);
    const client = clientOf(server, new ResumeRetryStrategy({ baseDelayMs: 4 }));

    const error = await selectOne(client).catch((e: unknown) => e);

    expect(error).toMatchObject({ $metadata: { httpStatusCode: 503, attempts: 3 } });
    expect(server.requests).toHaveLength(3);
  });

  it('gets through a resume followed by a 503', async () => {
    const replies = [resumingReply, serverUnavailable, resumingReply, selectOneReply];
    server = await startDataApiTestServer((index) => replies[index] ?? serverUnavailable);
    const client = clientOf(server, new ResumeRetryStrategy({ baseDelayMs: 4, maxDelayMs: 10 }));

    const result = await selectOne(client);

    expect(result.records).toEqual([[{ longValue: 1 }]]);
    expect(server.requests).toHaveLength(4);
  });
});
